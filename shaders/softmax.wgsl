// softmax / logSoftmax along the last axis of x viewed as [rows, len], numerically stable
// (subtract the row max). LOG selects logSoftmax. Modes:
//   ROWS    one workgroup per row, three sweeps (max, sum, write) over a row that stays in cache
//   THREAD  one thread per (row, chunk) with no barrier (short rows; software adapters). With
//           STATES the row statistics come from a first pass (kernels/reduce.ts, logsumexp
//           partial states [rows, chunks] of (max, scaled sum)); otherwise the thread owns the
//           whole row and computes them itself. VEC4: x and y as vec4 (len, chunk % 4 == 0).
struct U { rows: u32, len: u32, zero: u32, chunk: u32, chunks: u32, p0: u32, p1: u32, p2: u32 }
#if VEC4
alias V = vec4<f32>;
#else
alias V = f32;
#endif
@group(0) @binding(0) var<storage, read> x: array<V>;
#if STATES
@group(0) @binding(1) var<storage, read> st: array<vec2<f32>>;
@group(0) @binding(2) var<storage, read_write> y: array<V>;
@group(0) @binding(3) var<uniform> u: U;
#else
@group(0) @binding(1) var<storage, read_write> y: array<V>;
@group(0) @binding(2) var<uniform> u: U;
#endif

override WG: u32 = 128u;

fn neg_inf() -> f32 { return bitcast<f32>(0xff800000u | u.zero); }

fn write(i: u32, v: V, m: f32, s: f32) {
#if LOG
  y[i] = (v - V(m)) - V(log(s));  // (x - m) first: m + log(s) would round at large m
#else
  y[i] = exp(v - V(m)) * (1.0 / s);
#endif
}

fn hmax(v: V) -> f32 {
#if VEC4
  return max(max(v.x, v.y), max(v.z, v.w));
#else
  return v;
#endif
}

fn hsum(v: V) -> f32 {
#if VEC4
  return (v.x + v.y) + (v.z + v.w);
#else
  return v;
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
  let t = gid.x + gid.y * nw.x * WG;
  if (t >= u.rows * u.chunks) { return; }
  let row = t / u.chunks;
  let c = t - row * u.chunks;
#if VEC4
  let w = 4u;
#else
  let w = 1u;
#endif
  let base = row * (u.len / w);
  let start = base + c * (u.chunk / w);
  let end = base + min((c + 1u) * u.chunk, u.len) / w;
#if STATES
  // fold the row's chunk states: (max, sum of exp(x - max))
  var m = neg_inf();
  for (var k = 0u; k < u.chunks; k++) { m = max(m, st[row * u.chunks + k].x); }
  var s = 0.0;
  for (var k = 0u; k < u.chunks; k++) {
    let q = st[row * u.chunks + k];
    if (q.y > 0.0) { s += q.y * exp(q.x - m); }
  }
#else
  var mv = V(neg_inf());
  for (var k = start; k < end; k++) { mv = max(mv, x[k]); }
  let m = hmax(mv);
  var sv = V(0.0);
  for (var k = start; k < end; k++) { sv += exp(x[k] - V(m)); }
  let s = hsum(sv);
#endif
  for (var k = start; k < end; k++) { write(k, x[k], m, s); }
}
#endif
