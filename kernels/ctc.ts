// CTC loss: shaders/ctc.wgsl (alpha forward, beta + gradient backward, reduction), and the
// float64 CPU reference.
import { Uniforms, grid, type Program } from '../src/gpu/runtime.ts';
import { memo } from '../src/gpu/memo.ts';
import { empty, engine, type Tensor } from '../src/tensor.ts';

export type CtcReduction = 'none' | 'sum' | 'mean';
const RED = { none: 0, sum: 1, mean: 2 } as const;

export interface CtcConfig {
  T: number; N: number; C: number; blank: number;
  /** padded: the row length S_max of targets [N, S_max]; concatenated: the number of labels */
  smax: number;
  concat: boolean;
  zeroInfinity: boolean;
  reduction: CtcReduction;
  /** keep the whole alpha table for the backward pass (else two rows per sequence) */
  keep: boolean;
}

/** u32 words of per-sequence metadata (T_n, S_n, label offset, status, log p as f32 bits, pad). */
export const META = 8;
/** meta status: 0 ok, 1 no alignment (p = 0), 2 invalid lengths or labels */
export const STATUS = { ok: 0, impossible: 1, invalid: 2 } as const;

const WG = 16;

/** Kernel choice: 'auto' picks per shape (see pathOf); tests force each path. */
export const ctcTuning: { path: 'auto' | 'thread' | 'workgroup' } = { path: 'auto' };

/** Length of an alpha row: 2 * (the most labels a feasible sequence can have) + 1. */
export const rowLength = (c: CtcConfig) => 2 * Math.min(c.smax, c.T) + 1;
/** Alpha rows per sequence: every frame and two rows of beta scratch, or two rolling rows. */
const alphaRows = (c: CtcConfig) => (c.keep ? c.T + 2 : 2);

/** Workgroup-memory row capacity for the workgroup path (a multiple of 32, fewer pipelines). */
const maxL = (c: CtcConfig) => Math.max(32, Math.ceil(rowLength(c) / 32) * 32);
/** Positions that fit the 16 KiB of workgroup memory WebGPU guarantees (4 rows of f32/u32). */
const WG_MAXL = 1024;

function pathOf(c: CtcConfig): 'thread' | 'workgroup' {
  if (maxL(c) > WG_MAXL || c.N > 65535) return 'thread';
  if (ctcTuning.path !== 'auto') return ctcTuning.path;
  // Software adapters (lavapipe, 2 cores): barriers cost more than the serial walk. Measured
  // with ctcTuning.path forced, median of 5 runs after a warm-up, loss / loss + gradient,
  // thread vs workgroup (ms, on a loaded machine):
  //   T100 N32 C30 S20: 6.4 / 18 vs 26 / 161;  T17 N3 S5: 0.5 / 1.0 vs 1.8 / 1.1;
  //   T129 N64 S60: 70 / 412 vs 327 / 1184;    T300 N8 S100: 25 / 124 vs 108 / 508.
  // GPUs get the workgroup path (a thread per position; not measured here: no GPU).
  return engine().tuning.threadRows ? 'thread' : 'workgroup';
}

const prog = memo((mode: 'FWD' | 'BWD' | 'REDUCE' | 'STATUS', c: CtcConfig, path: 'thread' | 'workgroup'): Program => {
  const single = mode === 'REDUCE' || mode === 'STATUS';
  const thread = path === 'thread';
  const m = maxL(c);
  const wg = thread ? WG : Math.min(256, m);
  return {
    shader: 'ctc',
    label: mode === 'FWD' ? 'ctcLoss' : mode === 'BWD' ? 'ctcLoss.grad' : 'ctcLoss.reduce',
    defines: mode === 'STATUS' ? { REDUCE: true, STATUS: true } : { [mode]: true, THREAD: single || thread },
    overrides: single ? undefined : thread ? { WG } : { WG: wg, MAXL: m, ROWS2: 2 * m },
    workgroups: single ? [1] : thread ? grid(c.N, WG) : [c.N],
    uniforms: new Uniforms().u32(c.T, c.N, c.C, c.blank, c.smax, rowLength(c), +c.concat, +c.zeroInfinity, RED[c.reduction], 0, alphaRows(c), +c.keep),
  };
});

export interface CtcForward {
  /** per-sequence loss [N] (+Inf where no alignment exists, 0 instead with zeroInfinity) */
  nll: Tensor;
  /** [N * META] u32 per-sequence metadata, read by the backward pass and the reduction */
  meta: Tensor;
  /** [N, T + 2, L] log alpha and two rows of beta scratch (cfg.keep), else [N, 2, L] rolling rows */
  alpha: Tensor;
}

export function ctcForward(lp: Tensor, targets: Tensor, inputLengths: Tensor, targetLengths: Tensor, c: CtcConfig): CtcForward {
  const nll = empty([c.N], 'float32');
  const meta = empty([c.N * META], 'uint32');
  const alpha = empty([c.N, alphaRows(c), rowLength(c)], 'float32');
  if (c.N) engine().dispatch(prog('FWD', c, pathOf(c)), [lp.buffer, targets.buffer, inputLengths.buffer, targetLengths.buffer], [alpha.buffer, meta.buffer, nll.buffer]);
  return { nll, meta, alpha };
}

/** The scalar 'sum' or 'mean' of the per-sequence losses. */
export function ctcReduce(f: CtcForward, c: CtcConfig): Tensor {
  const out = empty([], 'float32');
  engine().dispatch(prog('REDUCE', c, 'thread'), [f.nll.buffer, f.meta.buffer], [out.buffer]);
  return out;
}

/** [N]: NaN where sequence n's lengths or labels are invalid, else 0 (for checkNumerics). */
export function ctcStatus(f: CtcForward, c: CtcConfig): Tensor {
  const out = empty([c.N], 'float32');
  if (c.N) engine().dispatch(prog('STATUS', c, 'thread'), [f.nll.buffer, f.meta.buffer], [out.buffer]);
  return out;
}

/** d(loss)/d(logProbs) [T, N, C] for the upstream gradient dy ([N] for 'none', else a scalar). */
export function ctcBackward(lp: Tensor, targets: Tensor, f: CtcForward, dy: Tensor, c: CtcConfig): Tensor {
  if (!c.keep) throw new Error('kiln: ctcBackward needs the forward pass run with keep: true');
  const grad = empty([c.T, c.N, c.C], 'float32');
  if (grad.size) engine().dispatch(prog('BWD', c, pathOf(c)), [lp.buffer, targets.buffer, f.meta.buffer, dy.buffer], [f.alpha.buffer, grad.buffer]);
  return grad;
}

// ---- CPU reference (float64) -------------------------------------------------------------------

function lse(...v: number[]): number {
  const m = Math.max(...v);
  if (m === -Infinity) return -Infinity;
  let s = 0;
  for (const x of v) s += Math.exp(x - m);
  return m + Math.log(s);
}

export interface CtcRefResult {
  /** -log p(target_n | x_n) per sequence (Infinity: no alignment) */
  nll: Float64Array;
  /** d nll_n / d logProbs[t, n, c] = -gamma_t(c) (0 past the input length and for nll = Infinity) */
  grad: Float64Array;
}

/**
 * Per-sequence CTC negative log-likelihood and its exact gradient w.r.t. the log-probs
 * [T, N, C], by the alpha-beta recursion. `labels[n]` are sequence n's target labels.
 */
export function ctcRef(lp: ArrayLike<number>, T: number, N: number, C: number, labels: ArrayLike<number>[], inputLengths: ArrayLike<number>, blank = 0): CtcRefResult {
  const nll = new Float64Array(N);
  const grad = new Float64Array(T * N * C);
  const at = (t: number, n: number, c: number) => lp[(t * N + n) * C + c];
  for (let n = 0; n < N; n++) {
    const tn = inputLengths[n];
    const lab = labels[n];
    const L = 2 * lab.length + 1;
    const ext = (s: number) => (s % 2 === 0 ? blank : lab[(s - 1) >> 1]);
    const canSkip = (s: number) => s % 2 === 1 && s >= 2 && lab[(s - 1) >> 1] !== lab[(s - 3) >> 1];
    if (tn === 0) { nll[n] = lab.length === 0 ? 0 : Infinity; continue; }
    const alpha = Array.from({ length: tn }, () => new Float64Array(L).fill(-Infinity));
    const beta = Array.from({ length: tn }, () => new Float64Array(L).fill(-Infinity));
    alpha[0][0] = at(0, n, blank);
    if (L > 1) alpha[0][1] = at(0, n, ext(1));
    for (let t = 1; t < tn; t++) {
      for (let s = 0; s < L; s++) {
        const terms = [alpha[t - 1][s]];
        if (s >= 1) terms.push(alpha[t - 1][s - 1]);
        if (canSkip(s)) terms.push(alpha[t - 1][s - 2]);
        alpha[t][s] = lse(...terms) + at(t, n, ext(s));
      }
    }
    beta[tn - 1][L - 1] = at(tn - 1, n, ext(L - 1));
    if (L > 1) beta[tn - 1][L - 2] = at(tn - 1, n, ext(L - 2));
    for (let t = tn - 2; t >= 0; t--) {
      for (let s = 0; s < L; s++) {
        const terms = [beta[t + 1][s]];
        if (s + 1 < L) terms.push(beta[t + 1][s + 1]);
        if (s + 2 < L && canSkip(s + 2)) terms.push(beta[t + 1][s + 2]);
        beta[t][s] = lse(...terms) + at(t, n, ext(s));
      }
    }
    const logp = L > 1 ? lse(alpha[tn - 1][L - 1], alpha[tn - 1][L - 2]) : alpha[tn - 1][0];
    nll[n] = -logp;
    if (logp === -Infinity) continue;
    for (let t = 0; t < tn; t++) {
      for (let s = 0; s < L; s++) {
        const c = ext(s);
        const v = alpha[t][s] + beta[t][s] - at(t, n, c) - logp;
        if (v > -Infinity) grad[(t * N + n) * C + c] -= Math.exp(v);
      }
    }
  }
  return { nll, grad };
}

/** Reduce per-sequence losses like torch: 'mean' divides each by max(S_n, 1), then averages. */
export function ctcReduceRef(nll: ArrayLike<number>, targetLengths: ArrayLike<number>, reduction: CtcReduction): number | Float64Array {
  if (reduction === 'none') return Float64Array.from(nll);
  let s = 0;
  for (let n = 0; n < nll.length; n++) s += reduction === 'mean' ? nll[n] / Math.max(targetLengths[n], 1) : nll[n];
  return reduction === 'mean' ? s / nll.length : s;
}
