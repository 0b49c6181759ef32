// Binarizer of the Residual-GRU codec: shaders/binarize.wgsl, and its CPU reference (the same
// hash, so stochastic bits match the GPU's exactly).
import { memo } from '../src/gpu/memo.ts';
import { grid, Uniforms, type Program } from '../src/gpu/runtime.ts';

function buildBinarizeProgram(n: number, stochastic: boolean, seed: number): Program {
  return {
    shader: 'binarize', label: stochastic ? 'binarize_stochastic' : 'binarize',
    defines: { STOCHASTIC: stochastic },
    workgroups: grid(n, 256),
    uniforms: new Uniforms().u32(n, seed >>> 0, 0, 0),
  };
}

const deterministic = memo((n: number) => buildBinarizeProgram(n, false, 0));

/**
 * The deterministic program is memoised by size; a stochastic one is built per call (its seed
 * changes every training step, so caching it would only evict other entries). Both share one
 * pipeline per define set.
 */
export function binarizeProgram(n: number, stochastic: boolean, seed: number): Program {
  return stochastic ? buildBinarizeProgram(n, true, seed) : deterministic(n);
}

function mix32(v: number): number {
  const s = (Math.imul(v, 747796405) + 2891336453) >>> 0;
  const w = Math.imul(((s >>> ((s >>> 28) + 4)) ^ s) >>> 0, 277803737) >>> 0;
  return ((w >>> 22) ^ w) >>> 0;
}

/** The stochastic threshold the shader uses for element i: uniform on [-1, 1). */
export function binarizeThreshold(i: number, seed: number): number {
  const r = mix32((i ^ mix32(seed >>> 0)) >>> 0);
  return Math.fround(Math.fround((r >>> 8) * (2 / 16777216)) - 1);
}

/**
 * CPU reference: +1 / -1 per element. (A GPU that flushes float32 subnormals to zero reads a
 * negative subnormal as -0 and gives +1 where this gives -1; tanh outputs are never subnormal.)
 */
export function binarizeRef(x: ArrayLike<number>, stochastic = false, seed = 0): Float32Array {
  const y = new Float32Array(x.length);
  for (let i = 0; i < x.length; i++) {
    const v = Math.fround(x[i]);
    y[i] = stochastic ? (v > binarizeThreshold(i, seed) ? 1 : -1) : (v >= 0 ? 1 : -1);
  }
  return y;
}
