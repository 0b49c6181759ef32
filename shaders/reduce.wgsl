// Reductions. Every op carries a vec2<f32> state so one shader serves sum/mean/prod/max/min,
// argmax/argmin (value, index bits) and logsumexp (running max, scaled sum).
// Modes (defines):
//   ROWT    x viewed as [rows, len]; one thread reduces `chunk` elements of one row (software
//           adapters, where barriers are costly: 5-10x faster there than ROWS).
//   ROWS    x viewed as [rows, len]; one workgroup reduces `chunk` elements of one row.
//           With OUT_STATE it writes partial states [rows, chunks] for a second pass.
//   COLS    x viewed as [outer, len, inner]; one thread per (outer, inner) output walks `len`.
//   IN_STATE  x holds partial states (vec2) from a first pass instead of raw values.
//   VEC4    rows are read as vec4 (len and chunk are multiples of 4).
// OP_<name> picks the op.
struct U { rows: u32, len: u32, chunk: u32, chunks: u32, inner: u32, zero: u32, scale: f32, pad: u32 }
#if IN_STATE
@group(0) @binding(0) var<storage, read> x: array<vec2<f32>>;
#else
#if VEC4
@group(0) @binding(0) var<storage, read> x: array<vec4<f32>>;
#else
@group(0) @binding(0) var<storage, read> x: array<f32>;
#endif
#endif
#if OUT_STATE
@group(0) @binding(1) var<storage, read_write> y: array<vec2<f32>>;
#else
@group(0) @binding(1) var<storage, read_write> y: array<{{TO}}>;
#endif
@group(0) @binding(2) var<uniform> u: U;

override WG: u32 = 128u;

fn neg_inf() -> f32 { return bitcast<f32>(0xff800000u | u.zero); }
fn pos_inf() -> f32 { return bitcast<f32>(0x7f800000u | u.zero); }
// Bit test: `v != v` can be folded away by fast-math shader compilers.
fn is_nan(v: f32) -> bool { return (bitcast<u32>(v) & 0x7fffffffu) > 0x7f800000u; }

#if OP_sum
fn init() -> vec2<f32> { return vec2<f32>(0.0, 0.0); }
fn lift(v: f32, i: u32) -> vec2<f32> { return vec2<f32>(v, 0.0); }
fn combine(a: vec2<f32>, b: vec2<f32>) -> vec2<f32> { return vec2<f32>(a.x + b.x, 0.0); }
fn finish(s: vec2<f32>) -> {{TO}} { return s.x * u.scale; }
#endif
#if OP_prod
fn init() -> vec2<f32> { return vec2<f32>(1.0, 0.0); }
fn lift(v: f32, i: u32) -> vec2<f32> { return vec2<f32>(v, 0.0); }
fn combine(a: vec2<f32>, b: vec2<f32>) -> vec2<f32> { return vec2<f32>(a.x * b.x, 0.0); }
fn finish(s: vec2<f32>) -> {{TO}} { return s.x; }
#endif
#if OP_max
fn init() -> vec2<f32> { return vec2<f32>(neg_inf(), 0.0); }
fn lift(v: f32, i: u32) -> vec2<f32> { return vec2<f32>(v, 0.0); }
fn combine(a: vec2<f32>, b: vec2<f32>) -> vec2<f32> { return select(a, b, b.x > a.x || is_nan(b.x)); }
fn finish(s: vec2<f32>) -> {{TO}} { return s.x; }
#endif
#if OP_min
fn init() -> vec2<f32> { return vec2<f32>(pos_inf(), 0.0); }
fn lift(v: f32, i: u32) -> vec2<f32> { return vec2<f32>(v, 0.0); }
fn combine(a: vec2<f32>, b: vec2<f32>) -> vec2<f32> { return select(a, b, b.x < a.x || is_nan(b.x)); }
fn finish(s: vec2<f32>) -> {{TO}} { return s.x; }
#endif
#if OP_argmax
// First index of the largest value; NaN counts as largest (as in PyTorch).
fn init() -> vec2<f32> { return vec2<f32>(neg_inf(), bitcast<f32>(0xffffffffu | u.zero)); }
fn lift(v: f32, i: u32) -> vec2<f32> { return vec2<f32>(v, bitcast<f32>(i)); }
fn combine(a: vec2<f32>, b: vec2<f32>) -> vec2<f32> {
  let ia = bitcast<u32>(a.y);
  let ib = bitcast<u32>(b.y);
  let better = (b.x > a.x && !is_nan(a.x)) || (is_nan(b.x) && !is_nan(a.x)) ||
               ((b.x == a.x || (is_nan(a.x) && is_nan(b.x))) && ib < ia);
  return select(a, b, better);
}
fn finish(s: vec2<f32>) -> {{TO}} { return i32(bitcast<u32>(s.y)); }
#endif
#if OP_argmin
fn init() -> vec2<f32> { return vec2<f32>(pos_inf(), bitcast<f32>(0xffffffffu | u.zero)); }
fn lift(v: f32, i: u32) -> vec2<f32> { return vec2<f32>(v, bitcast<f32>(i)); }
fn combine(a: vec2<f32>, b: vec2<f32>) -> vec2<f32> {
  let ia = bitcast<u32>(a.y);
  let ib = bitcast<u32>(b.y);
  let better = (b.x < a.x && !is_nan(a.x)) || (is_nan(b.x) && !is_nan(a.x)) ||
               ((b.x == a.x || (is_nan(a.x) && is_nan(b.x))) && ib < ia);
  return select(a, b, better);
}
fn finish(s: vec2<f32>) -> {{TO}} { return i32(bitcast<u32>(s.y)); }
#endif
#if OP_logsumexp
// State (m, s): log(sum e^x) = m + log(s). Merging rescales the smaller side.
fn init() -> vec2<f32> { return vec2<f32>(neg_inf(), 0.0); }
fn lift(v: f32, i: u32) -> vec2<f32> { return vec2<f32>(v, 1.0); }
fn combine(a: vec2<f32>, b: vec2<f32>) -> vec2<f32> {
  if (b.y == 0.0) { return a; }
  if (a.y == 0.0) { return b; }
  let m = max(a.x, b.x);
  if (is_nan(a.x) || is_nan(b.x) || m == pos_inf()) { return vec2<f32>(a.x + b.x, 1.0); }
  if (m == neg_inf()) { return vec2<f32>(m, 1.0); }
  return vec2<f32>(m, a.y * exp(a.x - m) + b.y * exp(b.x - m));
}
fn finish(s: vec2<f32>) -> {{TO}} { return s.x + log(s.y); }
#endif

#if VEC4
// Four consecutive values (i, k in units of vec4), folded in order.
fn load4(s: vec2<f32>, i: u32, k: u32) -> vec2<f32> {
  let v = x[i];
  var r = combine(s, lift(v.x, 4u * k));
  r = combine(r, lift(v.y, 4u * k + 1u));
  r = combine(r, lift(v.z, 4u * k + 2u));
  return combine(r, lift(v.w, 4u * k + 3u));
}
#else
fn load(i: u32, k: u32) -> vec2<f32> {
#if IN_STATE
  return x[i];
#else
  return lift(x[i], k);
#endif
}
#endif

#if ROWS
var<workgroup> sh: array<vec2<f32>, WG>;

@compute @workgroup_size(WG)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
  let row = wid.y + wid.z * 65535u;
  if (row >= u.rows) { return; }
  let c = wid.x;
  let start = c * u.chunk;
  let end = min(start + u.chunk, u.len);
  let base = row * u.len;
  var s = init();
#if VEC4
  for (var k = start / 4u + lid; k < end / 4u; k += WG) {
    s = load4(s, base / 4u + k, k);
  }
#else
  for (var k = start + lid; k < end; k += WG) {
    s = combine(s, load(base + k, k));
  }
#endif
  sh[lid] = s;
  workgroupBarrier();
  for (var w = WG / 2u; w > 0u; w = w / 2u) {
    if (lid < w) { sh[lid] = combine(sh[lid], sh[lid + w]); }
    workgroupBarrier();
  }
  if (lid == 0u) {
#if OUT_STATE
    y[row * u.chunks + c] = sh[0];
#else
    y[row] = finish(sh[0]);
#endif
  }
}
#endif

#if ROWT
// One thread per (row, chunk): on CPU-like adapters each lane streams its own stretch of memory
// and no barrier is needed. With OUT_STATE, chunks write partial states [rows, chunks].
@compute @workgroup_size(WG)
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nw: vec3<u32>) {
  let t = gid.x + gid.y * nw.x * WG;
  if (t >= u.rows * u.chunks) { return; }
  let row = t / u.chunks;
  let c = t - row * u.chunks;
  let start = c * u.chunk;
  let end = min(start + u.chunk, u.len);
  var s = init();
#if VEC4
  let base = row * (u.len / 4u);
  for (var k = start / 4u; k < end / 4u; k++) { s = load4(s, base + k, k); }
#else
  let base = row * u.len;
  for (var k = start; k < end; k++) { s = combine(s, load(base + k, k)); }
#endif
#if OUT_STATE
  y[t] = s;
#else
  y[row] = finish(s);
#endif
}
#endif

#if COLS
@compute @workgroup_size(WG)
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nw: vec3<u32>) {
  let o = gid.x + gid.y * nw.x * WG;
  if (o >= u.rows * u.inner) { return; }
  let outer = o / u.inner;
  let j = o - outer * u.inner;
  var s = init();
  var i = outer * u.len * u.inner + j;
  for (var k = 0u; k < u.len; k++) {
    s = combine(s, load(i, k));
    i += u.inner;
  }
#if OUT_STATE
  y[o] = s;
#else
  y[o] = finish(s);
#endif
}
#endif
