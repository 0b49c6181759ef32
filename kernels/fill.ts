// Fill with a constant: shaders/fill.wgsl. The value travels as its 32-bit pattern.
import { memo } from '../src/gpu/memo.ts';
import { grid, Uniforms, type Program } from '../src/gpu/runtime.ts';
import type { DType } from '../src/tensor.ts';

export function bitsOf(value: number, dtype: DType): number {
  const b = new DataView(new ArrayBuffer(4));
  if (dtype === 'float32') b.setFloat32(0, value, true);
  else if (dtype === 'int32') b.setInt32(0, value, true);
  else b.setUint32(0, dtype === 'bool' ? +(value !== 0) : value, true);
  return b.getUint32(0, true);
}

function buildFillProgram(n: number, value: number, dtype: DType): Program {
  return {
    shader: 'fill',
    workgroups: grid(n, 256),
    uniforms: new Uniforms().u32(n, bitsOf(value, dtype), 0, 0),
  };
}

export function fillRef(n: number, value: number): Float64Array {
  return new Float64Array(n).fill(value);
}

/** Memoised: the same arguments give the same Program object. */
export const fillProgram = memo(buildFillProgram);
