// Optimizer kernels: shaders/optim.wgsl. Fused parameter updates (one dispatch per variable,
// state updated in place), the global-norm passes of gradient clipping, and the axpy step of
// L-BFGS, each with a float64 CPU reference.
import { grid, Uniforms, type Program } from '../src/gpu/runtime.ts';

export type UpdateKind = 'sgd' | 'momentum' | 'adam' | 'rmsprop' | 'adagrad';

/** Variant switches that change the set of state buffers (so they select a pipeline). */
export interface UpdateVariant {
  /** adam: keep the running maximum of v (AMSGrad) */
  amsgrad?: boolean;
  /** rmsprop: normalise by the variance rather than the second moment */
  centered?: boolean;
  /** rmsprop: a momentum buffer (momentum > 0) */
  momentum?: boolean;
  /** scale the gradient by min(1, maxNorm / (norm + 1e-6)), norm read from a buffer */
  clip?: boolean;
}

/**
 * Per-step hyper-parameters, computed on the CPU and passed as uniforms. Fields an update kind
 * does not use are ignored.
 */
export interface UpdateHyper {
  lr: number;
  /** L2 penalty added to the gradient: g += weightDecay * p */
  weightDecay?: number;
  /** multiplies p before the update (AdamW's decoupled decay: 1 - lr * weightDecay) */
  decay?: number;
  /** with `clip`: the largest global norm */
  maxNorm?: number;
  /** momentum (sgd momentum, rmsprop) */
  momentum?: number;
  dampening?: number;
  nesterov?: boolean;
  /** first step of this variable: momentum's buffer starts as the gradient */
  first?: boolean;
  beta1?: number;
  beta2?: number;
  eps?: number;
  /** adam: lr / (1 - beta1^t) */
  stepSize?: number;
  /** adam: sqrt(1 - beta2^t) */
  bc2Sqrt?: number;
  /** rmsprop: smoothing constant of the running averages */
  alpha?: number;
}

/** Names of the state tensors of an update kind, in binding order. */
export function stateNames(kind: UpdateKind, v: UpdateVariant = {}): string[] {
  switch (kind) {
    case 'sgd': return [];
    case 'momentum': return ['buf'];
    case 'adam': return v.amsgrad ? ['m', 'v', 'vmax'] : ['m', 'v'];
    case 'rmsprop': return ['sq', ...(v.centered ? ['ga'] : []), ...(v.momentum ? ['buf'] : [])];
    case 'adagrad': return ['sum'];
  }
}

/** Items per thread; as the elementwise kernels (bench/lab/binary.ts). */
const K = 4;

function uniforms(n: number, h: Partial<UpdateHyper>, extra: { off?: number; threads?: number; alpha?: number } = {}): Uniforms {
  const flags = (h.first ? 1 : 0) | (h.nesterov ? 2 : 0);
  return new Uniforms()
    .u32(n, extra.off ?? 0, extra.threads ?? 0, flags)
    .f32(h.lr ?? 0, h.weightDecay ?? 0, h.decay ?? 1, h.maxNorm ?? 0)
    .f32(h.momentum ?? 0, h.dampening ?? 0, h.beta1 ?? 0, h.beta2 ?? 0)
    .f32(h.eps ?? 0, h.stepSize ?? 0, h.bc2Sqrt ?? 1, extra.alpha ?? h.alpha ?? 0);
}

/**
 * One fused update of `n` parameters. Bindings: g, [norm with clip], p, then the state
 * buffers in stateNames() order, then the uniforms.
 */
export function updateProgram(kind: UpdateKind, n: number, variant: UpdateVariant, h: UpdateHyper): Program {
  const vec4 = n % 4 === 0 && n >= 4;
  const items = vec4 ? n / 4 : n;
  const names = stateNames(kind, variant);
  const defines: Record<string, string | number | boolean> = {
    UPDATE: true, [`OP_${kind}`]: true, VEC4: vec4, CLIP: !!variant.clip,
    AMSGRAD: !!variant.amsgrad, CENTERED: !!variant.centered, MOMENTUM: !!variant.momentum,
  };
  let b = variant.clip ? 2 : 1;
  defines.B_p = b++;
  for (const s of names) defines[`B_${s}`] = b++;
  defines.B_u = b;
  return {
    shader: 'optim',
    label: kind,
    defines,
    overrides: { K },
    workgroups: grid(items, 64 * K),
    uniforms: uniforms(items, h),
  };
}

/** Partial sums of squares of one tensor into partials[off, off + threads). */
export function sumSquaresProgram(n: number, off: number): { program: Program; threads: number } {
  const vec4 = n % 4 === 0 && n >= 4;
  const items = vec4 ? n / 4 : n;
  const threads = Math.max(1, Math.min(16384, Math.ceil(items / 64)));
  return {
    threads,
    program: {
      shader: 'optim', label: 'sumsq', defines: { OP_sumsq: true, VEC4: vec4 },
      workgroups: grid(threads, 64), uniforms: uniforms(items, {}, { off, threads }),
    },
  };
}

/** Number of partials sumSquaresProgram writes for a tensor of n elements. */
export function sumSquaresThreads(n: number): number {
  return sumSquaresProgram(n, 0).threads;
}

/** norm[0] = sqrt(sum of `count` partials). */
export function normProgram(count: number): Program {
  return { shader: 'optim', label: 'global_norm', defines: { OP_norm: true }, workgroups: [1], uniforms: uniforms(count, {}) };
}

/** y = x * min(1, maxNorm / (norm + 1e-6)); bindings x, norm, y. */
export function clipScaleProgram(n: number, maxNorm: number): Program {
  const vec4 = n % 4 === 0 && n >= 4;
  const items = vec4 ? n / 4 : n;
  return {
    shader: 'optim', label: 'clip_scale', defines: { OP_scale: true, VEC4: vec4 },
    workgroups: grid(items, 64), uniforms: uniforms(items, { maxNorm }),
  };
}

/**
 * p[i] = (from ? x0[off + i] : p[i]) + alpha * d[off + i] for i < n: a variable is the slice
 * [off, off + n) of flat vectors. Bindings d, [x0], p.
 */
export function axpyProgram(n: number, off: number, alpha: number, from: boolean): Program {
  return {
    shader: 'optim', label: from ? 'axpy_from' : 'axpy', defines: { OP_axpy: true, FROM: from },
    workgroups: grid(n, 64), uniforms: uniforms(n, {}, { off, alpha }),
  };
}

// ---- CPU references (float64) ----

/**
 * One update step in float64, in place on `p` and `state` (keyed by stateNames()). The formulas
 * are PyTorch's (torch.optim SGD, Adam/AdamW, RMSprop, Adagrad); see docs/optim.md.
 */
export function updateRef(kind: UpdateKind, variant: UpdateVariant, h: UpdateHyper, p: Float64Array, g: ArrayLike<number>, state: Record<string, Float64Array>, norm = 0): void {
  const wd = h.weightDecay ?? 0;
  const decay = h.decay ?? 1;
  const coef = variant.clip ? Math.min(1, (h.maxNorm ?? 0) / (norm + 1e-6)) : 1;
  const mom = h.momentum ?? 0;
  const eps = h.eps ?? 0;
  for (let i = 0; i < p.length; i++) {
    const p0 = p[i];
    const gi = g[i] * coef + wd * p0;
    const pd = p0 * decay;
    switch (kind) {
      case 'sgd':
        p[i] = pd - h.lr * gi;
        break;
      case 'momentum': {
        const b = h.first ? gi : mom * state.buf[i] + (1 - (h.dampening ?? 0)) * gi;
        state.buf[i] = b;
        p[i] = pd - h.lr * (h.nesterov ? gi + mom * b : b);
        break;
      }
      case 'adam': {
        const b1 = h.beta1!, b2 = h.beta2!;
        const m = b1 * state.m[i] + (1 - b1) * gi;
        const v = b2 * state.v[i] + (1 - b2) * gi * gi;
        state.m[i] = m;
        state.v[i] = v;
        let vv = v;
        if (variant.amsgrad) vv = state.vmax[i] = Math.max(state.vmax[i], v);
        p[i] = pd - h.stepSize! * m / (Math.sqrt(vv) / h.bc2Sqrt! + eps);
        break;
      }
      case 'rmsprop': {
        const a = h.alpha!;
        const s = a * state.sq[i] + (1 - a) * gi * gi;
        state.sq[i] = s;
        let avg: number;
        if (variant.centered) {
          const ga = a * state.ga[i] + (1 - a) * gi;
          state.ga[i] = ga;
          avg = Math.sqrt(Math.max(s - ga * ga, 0)) + eps;
        } else {
          avg = Math.sqrt(s) + eps;
        }
        if (variant.momentum) {
          const b = mom * state.buf[i] + gi / avg;
          state.buf[i] = b;
          p[i] = pd - h.lr * b;
        } else {
          p[i] = pd - h.lr * gi / avg;
        }
        break;
      }
      case 'adagrad': {
        const s = state.sum[i] + gi * gi;
        state.sum[i] = s;
        p[i] = pd - h.lr * gi / (Math.sqrt(s) + eps);
        break;
      }
    }
  }
}

/** Global L2 norm of several arrays, float64. */
export function globalNormRef(xs: ArrayLike<number>[]): number {
  let s = 0;
  for (const x of xs) for (let i = 0; i < x.length; i++) s += x[i] * x[i];
  return Math.sqrt(s);
}

/** clipByGlobalNorm in float64: each array scaled by min(1, maxNorm / (norm + 1e-6)). */
export function clipByGlobalNormRef(xs: ArrayLike<number>[], maxNorm: number): { clipped: Float64Array[]; norm: number } {
  const norm = globalNormRef(xs);
  const c = Math.min(1, maxNorm / (norm + 1e-6));
  return { norm, clipped: xs.map((x) => Float64Array.from(x, (v) => v * c)) };
}

/** axpyProgram in float64: p[i] = (x0 ? x0[off + i] : p[i]) + alpha * d[off + i], in place on p. */
export function axpyRef(p: Float64Array, d: ArrayLike<number>, off: number, alpha: number, x0?: ArrayLike<number>): void {
  for (let i = 0; i < p.length; i++) p[i] = (x0 ? x0[off + i] : p[i]) + alpha * d[off + i];
}
