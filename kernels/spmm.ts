// Sparse (CSR) x dense matrix product (shaders/spmm.wgsl) and its CPU reference.
import { grid, Uniforms, type Program } from '../src/gpu/runtime.ts';
import { memo } from '../src/gpu/memo.ts';

export const spmmProgram = memo((r: number, k: number, n: number): Program => {
  const vec4 = n % 4 === 0;
  const nv = vec4 ? n / 4 : n;
  return {
    shader: 'spmm', label: 'spmm', defines: { VEC4: vec4 },
    workgroups: grid(r * nv, 64), uniforms: new Uniforms().u32(r, k, nv),
  };
});

/** CPU reference, float64: C [R, N] = A (CSR, R rows) B ([K, N]); columns outside [0, K) are dropped. */
export function spmmRef(rowPtr: ArrayLike<number>, col: ArrayLike<number>, val: ArrayLike<number>, b: ArrayLike<number>, k: number, n: number): Float64Array {
  const r = rowPtr.length - 1;
  const out = new Float64Array(r * n);
  for (let i = 0; i < r; i++) {
    for (let j = rowPtr[i]; j < rowPtr[i + 1]; j++) {
      const c = col[j];
      if (c < 0 || c >= k) continue;
      for (let q = 0; q < n; q++) out[i * n + q] += val[j] * b[c * n + q];
    }
  }
  return out;
}
