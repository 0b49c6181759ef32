// Scatter-add rows: y[idx[k], j] += upd[k, j] for updates [k, inner] into y [n, inner]
// (embedding gradients, unsortedSegmentSum). Float adds use a compare-and-swap loop, since
// WGSL has no atomic float add; summation order, and so the last bits, may vary run to run.
// Rows with an index outside [0, n) are dropped.
struct U { total: u32, n: u32, inner: u32, p0: u32 }
@group(0) @binding(0) var<storage, read> upd: array<{{T}}>;
@group(0) @binding(1) var<storage, read> idx: array<i32>;
@group(0) @binding(2) var<storage, read_write> y: array<atomic<u32>>;
@group(0) @binding(3) var<uniform> u: U;

@compute @workgroup_size(256)
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nw: vec3<u32>) {
  let i = gid.x + gid.y * nw.x * 256u;
  if (i >= u.total) { return; }
  let j = i % u.inner;
  let k = i / u.inner;
  let r = idx[k];
  if (r < 0 || u32(r) >= u.n) { return; }
  let at = u32(r) * u.inner + j;
  let v = upd[i];
#if FLOAT
  var old = atomicLoad(&y[at]);
  loop {
    let res = atomicCompareExchangeWeak(&y[at], old, bitcast<u32>(bitcast<f32>(old) + v));
    if (res.exchanged) { break; }
    old = res.old_value;
  }
#else
  atomicAdd(&y[at], bitcast<u32>(v));
#endif
}
