// softmax / logSoftmax along the last axis of x viewed as [rows, len], numerically stable
// (subtract the row max). ROWS: one workgroup per row, three sweeps (max, sum, write) over a
// row that stays in cache. THREAD: one thread per row, for short rows. LOG selects logSoftmax.
struct U { rows: u32, len: u32, zero: u32, p0: u32 }
@group(0) @binding(0) var<storage, read> x: array<f32>;
@group(0) @binding(1) var<storage, read_write> y: array<f32>;
@group(0) @binding(2) var<uniform> u: U;

override WG: u32 = 128u;

fn neg_inf() -> f32 { return bitcast<f32>(0xff800000u | u.zero); }

fn write(i: u32, v: f32, m: f32, s: f32) {
#if LOG
  y[i] = v - m - log(s);
#else
  y[i] = exp(v - m) / s;
#endif
}

#if ROWS
var<workgroup> sh: array<f32, WG>;

@compute @workgroup_size(WG)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
  let row = wid.x + wid.y * 65535u;
  if (row >= u.rows) { return; }
  let base = row * u.len;
  var m = neg_inf();
  for (var k = lid; k < u.len; k += WG) { m = max(m, x[base + k]); }
  sh[lid] = m;
  workgroupBarrier();
  for (var w = WG / 2u; w > 0u; w = w / 2u) {
    if (lid < w) { sh[lid] = max(sh[lid], sh[lid + w]); }
    workgroupBarrier();
  }
  m = sh[0];
  workgroupBarrier();
  var s = 0.0;
  for (var k = lid; k < u.len; k += WG) { s += exp(x[base + k] - m); }
  sh[lid] = s;
  workgroupBarrier();
  for (var w = WG / 2u; w > 0u; w = w / 2u) {
    if (lid < w) { sh[lid] = sh[lid] + sh[lid + w]; }
    workgroupBarrier();
  }
  s = sh[0];
  for (var k = lid; k < u.len; k += WG) { write(base + k, x[base + k], m, s); }
}
#endif

#if THREAD
@compute @workgroup_size(WG)
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nw: vec3<u32>) {
  let row = gid.x + gid.y * nw.x * WG;
  if (row >= u.rows) { return; }
  let base = row * u.len;
  var m = neg_inf();
  for (var k = 0u; k < u.len; k++) { m = max(m, x[base + k]); }
  var s = 0.0;
  for (var k = 0u; k < u.len; k++) { s += exp(x[base + k] - m); }
  for (var k = 0u; k < u.len; k++) { write(base + k, x[base + k], m, s); }
}
#endif
