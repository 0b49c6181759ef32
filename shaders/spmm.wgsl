// C = A B with A sparse (CSR: rowPtr [R+1], col [nnz], val [nnz]) and B dense [K, N] row-major:
//   C[r, n] = sum over j in rowPtr[r] .. rowPtr[r+1] of val[j] * B[col[j], n]
// One thread per (row, column group): the lanes of a SIMD group share a row, so they run the same
// number of iterations, and each reads its own columns of the B rows the row names. VEC4: N % 4 == 0
// and a column group is a vec4. Column ids outside [0, K) contribute nothing.
struct U { r: u32, k: u32, nv: u32 }
#if VEC4
alias V = vec4<f32>;
#else
alias V = f32;
#endif
@group(0) @binding(0) var<storage, read> rowPtr: array<u32>;
@group(0) @binding(1) var<storage, read> col: array<i32>;
@group(0) @binding(2) var<storage, read> val: array<f32>;
@group(0) @binding(3) var<storage, read> b: array<V>;
@group(0) @binding(4) var<storage, read_write> c: array<V>;
@group(0) @binding(5) var<uniform> u: U;

@compute @workgroup_size(64)
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nw: vec3<u32>) {
  let t = gid.x + gid.y * nw.x * 64u;
  if (t >= u.r * u.nv) { return; }
  let r = t / u.nv;
  let q = t % u.nv;
  var acc = V(0.0);
  let end = rowPtr[r + 1u];
  for (var j = rowPtr[r]; j < end; j++) {
    let k = col[j];
    if (k >= 0 && u32(k) < u.k) { acc += val[j] * b[u32(k) * u.nv + q]; }
  }
  c[t] = acc;
}
