// Batch norm with given (running) statistics, channel-last: shaders/batchnorm.wgsl.
// Batch statistics (training) reuse the [G, L, C] kernels of kernels/instance_norm.ts with G = 1.
import { memo } from '../src/gpu/memo.ts';
import { grid, Uniforms, type Program } from '../src/gpu/runtime.ts';
import type { NormAct } from './instance_norm.ts';

const K = 4;

/** Bindings: x, mean, variance, offset, scale -> y (absent offset/scale: any placeholder buffer). */
export const batchNormProgram = memo((n: number, c: number, eps: number, hasOffset: boolean, hasScale: boolean, act: NormAct): Program => {
  const v = c % 4 === 0 ? 4 : 1;
  return {
    shader: 'batchnorm', label: 'batchNorm',
    defines: { HAS_OFFSET: hasOffset, HAS_SCALE: hasScale, ACT_relu: act === 'relu', ACT_relu6: act === 'relu6', V: v === 4 ? 'vec4<f32>' : 'f32' },
    overrides: { K },
    workgroups: grid(n / v, 64 * K),
    uniforms: new Uniforms().u32(n / v, c / v).f32(eps).u32(0),
  };
});

/** CPU reference (float64); parameters are [C], x is [..., C]. */
export function batchNormRef(x: ArrayLike<number>, c: number, mean: ArrayLike<number>, variance: ArrayLike<number>,
  offset: ArrayLike<number> | null, scale: ArrayLike<number> | null, eps: number, act: NormAct = 'none'): Float64Array {
  const y = new Float64Array(x.length);
  for (let i = 0; i < x.length; i++) {
    const k = i % c;
    let z = (x[i] - mean[k]) / Math.sqrt(variance[k] + eps) * (scale ? scale[k] : 1) + (offset ? offset[k] : 0);
    if (act === 'relu') z = Math.max(z, 0);
    else if (act === 'relu6') z = Math.min(Math.max(z, 0), 6);
    y[i] = z;
  }
  return y;
}
