// Lab-only matmul variants for bench/lab/matmul.ts (registered at run time, not shipped).
// C = A · B, A [M, K], B [K, N], row-major, no batch, no transposes. The promoted kernels are
// shaders/matmul.wgsl (v3) and shaders/matmul.subgroup.wgsl (v5).
struct U { M: u32, N: u32, K: u32, pad: u32 }
@group(0) @binding(0) var<storage, read> a: array<f32>;
@group(0) @binding(1) var<storage, read> b: array<f32>;
@group(0) @binding(2) var<storage, read_write> c: array<f32>;
@group(0) @binding(3) var<uniform> u: U;

#if V1
// v1: one invocation per output, K loop over global memory.
@compute @workgroup_size(8, 8)
fn main(@builtin(global_invocation_id) gid: vec3<u32>) {
  let n = gid.x;
  let m = gid.y;
  if (m >= u.M || n >= u.N) { return; }
  var s = 0.0;
  for (var k = 0u; k < u.K; k++) { s += a[m * u.K + k] * b[k * u.N + n]; }
  c[m * u.N + n] = s;
}
#endif

#if V2
// v2: 16x16 tiles of A and B staged in workgroup memory, one output per invocation.
var<workgroup> As: array<f32, 256>;
var<workgroup> Bs: array<f32, 256>;
@compute @workgroup_size(16, 16)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_id) lid: vec3<u32>) {
  let m = wid.y * 16u + lid.y;
  let n = wid.x * 16u + lid.x;
  var s = 0.0;
  for (var k0 = 0u; k0 < u.K; k0 += 16u) {
    var av = 0.0;
    var bv = 0.0;
    if (m < u.M && k0 + lid.x < u.K) { av = a[m * u.K + k0 + lid.x]; }
    if (n < u.N && k0 + lid.y < u.K) { bv = b[(k0 + lid.y) * u.N + n]; }
    As[lid.y * 16u + lid.x] = av;
    Bs[lid.y * 16u + lid.x] = bv;
    workgroupBarrier();
    for (var k = 0u; k < 16u; k++) { s += As[lid.y * 16u + k] * Bs[k * 16u + lid.x]; }
    workgroupBarrier();
  }
  if (m < u.M && n < u.N) { c[m * u.N + n] = s; }
}
#endif

#if V4
// v4: register blocking without shared memory. An invocation owns TM rows x TN columns (columns
// strided by the workgroup width so that neighbouring lanes read neighbouring B elements).
@compute @workgroup_size({{WG}})
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_id) lid: vec3<u32>) {
  let row0 = wid.y * {{TM}}u;
  let col0 = wid.x * {{WG}}u * {{TN}}u + lid.x;
  var acc: array<array<f32, {{TN}}>, {{TM}}>;
  var arow: array<u32, {{TM}}>;
  var bcol: array<u32, {{TN}}>;
  for (var i = 0u; i < {{TM}}u; i++) { arow[i] = min(row0 + i, u.M - 1u) * u.K; }
  for (var j = 0u; j < {{TN}}u; j++) { bcol[j] = min(col0 + j * {{WG}}u, u.N - 1u); }
  for (var k = 0u; k < u.K; k++) {
    var bv: array<f32, {{TN}}>;
    for (var j = 0u; j < {{TN}}u; j++) { bv[j] = b[k * u.N + bcol[j]]; }
    for (var i = 0u; i < {{TM}}u; i++) {
      let av = a[arow[i] + k];
      for (var j = 0u; j < {{TN}}u; j++) { acc[i][j] += av * bv[j]; }
    }
  }
  for (var i = 0u; i < {{TM}}u; i++) {
    let r = row0 + i;
    if (r >= u.M) { break; }
    for (var j = 0u; j < {{TN}}u; j++) {
      let cc = col0 + j * {{WG}}u;
      if (cc < u.N) { c[r * u.N + cc] = acc[i][j]; }
    }
  }
}
#endif
