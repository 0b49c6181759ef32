// Normalisation over the middle axis of x viewed as [G, L, C]: shaders/instance_norm.wgsl.
// Instance norm is G = N, L = H*W; batch norm with batch statistics is G = 1, L = N*H*W;
// conditional instance norm passes per-sample gamma/beta [N, C] (gstride = C).
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

function uni(d: NormDims): Uniforms {
  return new Uniforms().u32(d.g, d.l, d.c, d.perGroup ? d.c : 0).f32(d.eps).u32(0, 0, 0);
}

function defs(d: NormDims, mode: string): Record<string, boolean> {
  return { [mode]: true, HAS_GAMMA: d.hasGamma, HAS_BETA: d.hasBeta, ACT_relu: d.act === 'relu', ACT_relu6: d.act === 'relu6' };
}

/** stats [G*C] vec2 (mean, rstd) from x. Bindings: x -> stats. */
export const normStatsProgram = memo((d: NormDims): Program => ({
  shader: 'instance_norm', label: 'norm_stats', defines: { STATS: true },
  workgroups: grid(d.g * d.c, 64), uniforms: uni(d),
}));

/** Bindings: x, stats, gamma, beta -> y. */
export const normApplyProgram = memo((d: NormDims): Program => ({
  shader: 'instance_norm', label: 'norm_apply', defines: defs(d, 'APPLY'),
  workgroups: grid(d.g * d.l * d.c, 256), uniforms: uni(d),
}));

/** Bindings: x, dy, stats, gamma, beta -> dx, dgamma [G, C], dbeta [G, C] (partial sums per group). */
export const normBackwardProgram = memo((d: NormDims): Program => ({
  shader: 'instance_norm', label: 'norm_backward', defines: defs(d, 'BACKWARD'),
  workgroups: grid(d.g * d.c, 64), uniforms: uni(d),
}));

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
