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

/** Memoised: the same arguments give the same Program object. */
export const binarizeProgram = memo(buildBinarizeProgram);

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

/** CPU reference: +1 / -1 per element. */
export function binarizeRef(x: ArrayLike<number>, stochastic = false, seed = 0): Float32Array {
  const y = new Float32Array(x.length);
  for (let i = 0; i < x.length; i++) {
    const v = Math.fround(x[i]);
    y[i] = stochastic ? (v > binarizeThreshold(i, seed) ? 1 : -1) : (v >= 0 ? 1 : -1);
  }
  return y;
}
