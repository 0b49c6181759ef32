// Padding: shaders/pad.wgsl (constant, reflect, symmetric).
import { memo } from '../src/gpu/memo.ts';
import { grid, Uniforms, type Program } from '../src/gpu/runtime.ts';
import type { Shape } from '../src/tensor.ts';
import { contiguousStrides } from '../src/ops/util.ts';

export type PadMode = 'constant' | 'reflect' | 'symmetric';

function buildPadProgram(inShape: Shape, before: number[], outShape: Shape, mode: PadMode, valueBits: number): Program {
  const n = outShape.reduce((a, b) => a * b, 1);
  return {
    shader: 'pad', label: `pad_${mode}`,
    defines: { MODE_CONST: mode === 'constant', MODE_REFLECT: mode === 'reflect', MODE_SYMMETRIC: mode === 'symmetric' },
    workgroups: grid(n, 256),
    uniforms: new Uniforms().u32(n, inShape.length, valueBits, 0).vec4u([...outShape], 2, 1).vec4u([...inShape], 2, 1).vec4u(before, 2),
  };
}

/** CPU reference. */
export function padRef(x: ArrayLike<number>, inShape: Shape, before: number[], outShape: Shape, mode: PadMode, value = 0): Float64Array {
  const n = outShape.reduce((a, b) => a * b, 1);
  const os = contiguousStrides(outShape);
  const is = contiguousStrides(inShape);
  const out = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    let rem = i, src = 0, inside = true;
    for (let k = 0; k < outShape.length; k++) {
      const o = Math.floor(rem / os[k]);
      rem -= o * os[k];
      let c = o - before[k];
      const m = inShape[k];
      if (mode === 'constant') { if (c < 0 || c >= m) inside = false; }
      else if (mode === 'reflect') { c = Math.abs(c); c = (m - 1) - Math.abs((m - 1) - c); }
      else { if (c < 0) c = -c - 1; if (c >= m) c = 2 * m - 1 - c; }
      src += c * is[k];
    }
    out[i] = inside ? x[src] : value;
  }
  return out;
}

/** Memoised: the same arguments give the same Program object. */
export const padProgram = memo(buildPadProgram);
