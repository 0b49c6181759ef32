// Normalisation over the middle axis of x viewed as [G, L, C]: shaders/instance_norm.wgsl.
// Instance norm is G = N, L = H*W; batch norm with batch statistics is G = 1, L = N*H*W;
// conditional instance norm passes per-sample gamma/beta [N, C] (perGroup).
// Sums run one thread per (g, chunk of L, c); normChunks picks the chunking.
import { memo } from '../src/gpu/memo.ts';
import { grid, Uniforms, type Program } from '../src/gpu/runtime.ts';

export type NormAct = 'none' | 'relu' | 'relu6';

export interface NormDims {
  g: number; l: number; c: number;
  /** gamma/beta are [G, C] (true) or [C] (false) */
  perGroup: boolean;
  hasGamma: boolean; hasBeta: boolean;
  eps: number;
  act: NormAct;
}

/** Aim for about this many threads in the sums (a few per lane of every core), chunks >= MIN_CHUNK rows. */
const THREADS = 512;
const MIN_CHUNK = 64;

/** Chunks of L for the thread-per-(g, chunk, c) sums: { k chunks of lc rows }. */
export function normChunks(g: number, l: number, c: number): { k: number; lc: number } {
  const want = Math.max(1, Math.min(Math.ceil(THREADS / Math.max(1, g * c)), Math.floor(l / MIN_CHUNK)));
  const lc = Math.max(1, Math.ceil(l / want));
  return { k: Math.max(1, Math.ceil(l / lc)), lc };
}

function uni(d: NormDims): Uniforms {
  const { k, lc } = normChunks(d.g, d.l, d.c);
  const lanes = d.c % 4 === 0 ? 4 : 1;
  const cv = d.c / lanes;
  return new Uniforms().u32(d.g, d.l, d.c, d.perGroup ? d.c : 0).f32(d.eps).u32(k, lc, cv, d.perGroup ? cv : 0, 0, 0, 0);
}

function defs(d: NormDims, mode: string): Record<string, boolean | string> {
  return {
    [mode]: true, HAS_GAMMA: d.hasGamma, HAS_BETA: d.hasBeta, ACT_relu: d.act === 'relu', ACT_relu6: d.act === 'relu6',
    V: d.c % 4 === 0 ? 'vec4<f32>' : 'f32',
  };
}

export interface NormPlan {
  /** chunked: PARTIAL (x -> part [G*k*C] vec2) then STATS (part -> stats); else STATS (x -> stats) */
  partial: Program | null;
  stats: Program;
  /** x, stats, gamma, beta -> y */
  apply: Program;
}

/** Forward programs; stats is planar [2, G, C] (mean, rstd). */
export const normForward = memo((d: NormDims): NormPlan => {
  const { k } = normChunks(d.g, d.l, d.c);
  const u = uni(d);
  const lanes = d.c % 4 === 0 ? 4 : 1;
  return {
    partial: k > 1 ? { shader: 'instance_norm', label: 'norm_partial', defines: { PARTIAL: true }, workgroups: grid(d.g * k * d.c, 64), uniforms: u } : null,
    stats: { shader: 'instance_norm', label: 'norm_stats', defines: { STATS: true, CHUNKED: k > 1 }, workgroups: grid(d.g * d.c, 64), uniforms: u },
    apply: { shader: 'instance_norm', label: 'norm_apply', defines: defs(d, 'APPLY'), workgroups: grid(d.g * d.l * d.c / lanes, 256), uniforms: u },
  };
});

export interface NormBackwardPlan {
  /** partial sums [2, G*k, C]: x, dy, stats, gamma, beta -> part */
  bpart: Program;
  /** k > 1: part -> dgb [2, G, C] (with k == 1, part is dgb) */
  bfin: Program | null;
  /** x, dy, stats, gamma, beta, dgb -> dx */
  dx: Program;
  k: number;
}

/** Backward programs: dgamma/dbeta per (g, c) in dgb (planar), then dx. */
export const normBackward = memo((d: NormDims): NormBackwardPlan => {
  const { k } = normChunks(d.g, d.l, d.c);
  const u = uni(d);
  const lanes = d.c % 4 === 0 ? 4 : 1;
  return {
    bpart: { shader: 'instance_norm', label: 'norm_backward_partial', defines: defs(d, 'BPART'), workgroups: grid(d.g * k * d.c, 64), uniforms: u },
    bfin: k > 1 ? { shader: 'instance_norm', label: 'norm_backward_sums', defines: { BFIN: true }, workgroups: grid(d.g * d.c, 64), uniforms: u } : null,
    dx: { shader: 'instance_norm', label: 'norm_backward_dx', defines: defs(d, 'DX'), workgroups: grid(d.g * d.l * d.c / lanes, 256), uniforms: u },
    k,
  };
});

/**
 * CPU reference (float64): y = act(gamma * (x - mean) / sqrt(var + eps) + beta) with mean and
 * biased var over L for each (g, c); gamma/beta [G*C] when perGroup, [C] otherwise, or absent.
 */
export function normRef(x: ArrayLike<number>, d: Omit<NormDims, 'hasGamma' | 'hasBeta'>, gamma?: ArrayLike<number> | null, beta?: ArrayLike<number> | null): Float64Array {
  const { g: G, l: L, c: C } = d;
  const y = new Float64Array(G * L * C);
  for (let g = 0; g < G; g++) {
    for (let c = 0; c < C; c++) {
      let s = 0;
      for (let k = 0; k < L; k++) s += x[(g * L + k) * C + c];
      const mean = s / L;
      let q = 0;
      for (let k = 0; k < L; k++) { const v = x[(g * L + k) * C + c] - mean; q += v * v; }
      const rstd = 1 / Math.sqrt(q / L + d.eps);
      const p = d.perGroup ? g * C + c : c;
      const gm = gamma ? gamma[p] : 1, bt = beta ? beta[p] : 0;
      for (let k = 0; k < L; k++) {
        const i = (g * L + k) * C + c;
        let z = gm * (x[i] - mean) * rstd + bt;
        if (d.act === 'relu') z = Math.max(z, 0);
        else if (d.act === 'relu6') z = Math.min(Math.max(z, 0), 6);
        y[i] = z;
      }
    }
  }
  return y;
}
