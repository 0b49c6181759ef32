// Gather along an axis (shaders/gather.wgsl) and scatter-add of rows (shaders/scatter_add.wgsl).
import { memo } from '../src/gpu/memo.ts';
import { grid, Uniforms, type Program } from '../src/gpu/runtime.ts';
import type { DType } from '../src/tensor.ts';

function buildGatherProgram(outer: number, n: number, k: number, inner: number): Program {
  const total = outer * k * inner;
  return { shader: 'gather', workgroups: grid(total, 256), uniforms: new Uniforms().u32(total, n, k, inner) };
}

function buildScatterAddProgram(k: number, n: number, inner: number, dtype: DType): Program {
  const total = k * inner;
  return {
    shader: 'scatter_add', label: 'scatterAdd',
    defines: { T: dtype === 'float32' ? 'f32' : dtype === 'int32' ? 'i32' : 'u32', FLOAT: dtype === 'float32' },
    workgroups: grid(total, 256), uniforms: new Uniforms().u32(total, n, inner, 0),
  };
}

export function gatherRef(x: ArrayLike<number>, outer: number, n: number, idx: ArrayLike<number>, inner: number): Float64Array {
  const k = idx.length;
  const out = new Float64Array(outer * k * inner);
  for (let o = 0; o < outer; o++)
    for (let a = 0; a < k; a++)
      for (let j = 0; j < inner; j++) {
        const r = idx[a];
        out[(o * k + a) * inner + j] = r >= 0 && r < n ? x[(o * n + r) * inner + j] : 0;
      }
  return out;
}

export function scatterAddRef(upd: ArrayLike<number>, idx: ArrayLike<number>, n: number, inner: number): Float64Array {
  const out = new Float64Array(n * inner);
  for (let a = 0; a < idx.length; a++) {
    const r = idx[a];
    if (r < 0 || r >= n) continue;
    for (let j = 0; j < inner; j++) out[r * inner + j] += upd[a * inner + j];
  }
  return out;
}

/** Memoised: the same arguments give the same Program object. */
export const gatherProgram = memo(buildGatherProgram);

/** Memoised: the same arguments give the same Program object. */
export const scatterAddProgram = memo(buildScatterAddProgram);
