// Strided 32-bit copies (shaders/copy.wgsl): transpose, slice, concat, broadcastTo.
import { memo } from '../src/gpu/memo.ts';
import { grid, Uniforms, type Program } from '../src/gpu/runtime.ts';
import type { Shape } from '../src/tensor.ts';
import { coalesce, contiguousStrides } from '../src/ops/util.ts';

/**
 * Copy over logical `shape`: dst[dstOff + c.ds] = src[srcOff + c.ss]. Dimensions are merged where
 * both sides allow, so a contiguous block is one index step.
 */
function buildCopyProgram(shape: Shape, srcStrides: number[], srcOff: number, dstStrides: number[], dstOff: number, label = 'copy'): Program {
  const n = shape.reduce((a, b) => a * b, 1);
  const c = coalesce(shape, [srcStrides, dstStrides]);
  if (c.shape.length > 8) throw new Error(`kiln.${label}: rank ${c.shape.length} after merging exceeds 8`);
  return {
    shader: 'copy', label,
    workgroups: grid(n, 256),
    uniforms: new Uniforms().u32(n, c.shape.length, srcOff, dstOff).vec4u(c.shape, 2, 1).vec4u(c.strides[0], 2).vec4u(c.strides[1], 2),
  };
}

/** Program for out = transpose(x, perm). */
function buildTransposeProgram(shape: Shape, perm: number[]): Program {
  const inStr = contiguousStrides(shape);
  const outShape = perm.map((p) => shape[p]);
  return copyProgram(outShape, perm.map((p) => inStr[p]), 0, contiguousStrides(outShape), 0, 'transpose');
}

/** CPU reference: the same strided copy in float64. */
export function copyRef(src: ArrayLike<number>, shape: Shape, srcStrides: number[], srcOff: number, dst: Float64Array, dstStrides: number[], dstOff: number): void {
  const n = shape.reduce((a, b) => a * b, 1);
  const cs = contiguousStrides(shape);
  for (let i = 0; i < n; i++) {
    let rem = i, s = srcOff, d = dstOff;
    for (let k = 0; k < shape.length; k++) {
      const c = Math.floor(rem / cs[k]);
      rem -= c * cs[k];
      s += c * srcStrides[k];
      d += c * dstStrides[k];
    }
    dst[d] = src[s];
  }
}

export function transposeRef(x: ArrayLike<number>, shape: Shape, perm: number[]): Float64Array {
  const inStr = contiguousStrides(shape);
  const outShape = perm.map((p) => shape[p]);
  const out = new Float64Array(x.length);
  copyRef(x, outShape, perm.map((p) => inStr[p]), 0, out, contiguousStrides(outShape), 0);
  return out;
}

/** Memoised: the same arguments give the same Program object. */
export const copyProgram = memo(buildCopyProgram);

/** Memoised: the same arguments give the same Program object. */
export const transposeProgram = memo(buildTransposeProgram);
