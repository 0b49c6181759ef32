// Gather along one axis of 32-bit elements: x [outer, n, inner], idx [k] -> y [outer, k, inner].
// An index outside [0, n) yields 0 (the op layer documents this; GPU code cannot throw).
struct U { total: u32, n: u32, k: u32, inner: u32 }
@group(0) @binding(0) var<storage, read> x: array<u32>;
@group(0) @binding(1) var<storage, read> idx: array<i32>;
@group(0) @binding(2) var<storage, read_write> y: array<u32>;
@group(0) @binding(3) var<uniform> u: U;

@compute @workgroup_size(256)
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nw: vec3<u32>) {
  let i = gid.x + gid.y * nw.x * 256u;
  if (i >= u.total) { return; }
  let j = i % u.inner;
  let t = i / u.inner;
  let kk = t % u.k;
  let o = t / u.k;
  let r = idx[kk];
  if (r < 0 || u32(r) >= u.n) { y[i] = 0u; return; }
  y[i] = x[(o * u.n + u32(r)) * u.inner + j];
}
