// CTC loss (Graves et al. 2006) in log space over the extended label sequence
// l' = (blank, l1, blank, l2, ..., lS, blank) of length L_n = 2*S_n + 1. Modes:
//   FWD     alpha recursion; per sequence: info (lengths, offset, status, log p), nll, alpha
//   BWD     beta recursion and d(loss)/d(logProbs) = -scale * gamma (posterior occupancy):
//           the true partial derivative, not torch's variant with the log_softmax Jacobian folded in
//   REDUCE  'sum' / 'mean' of the per-sequence losses (mean divides each by max(S_n, 1), as torch)
// THREAD: one thread per sequence walks the L_n positions (no barriers).
// Otherwise one workgroup per sequence, threads over positions, a barrier per time step (two
// in the backward pass), alpha/beta rows in workgroup memory.
// Log values are clamped at NEG (finite) so no -inf arithmetic happens on the GPU; a sequence
// whose log p stays at NEG has no alignment (status 1: loss +Inf, or 0 with zeroInfinity).
// Invalid lengths or labels (only possible when they came in tensors; arrays are checked on the
// CPU) give status 2 and NaN loss and gradient, which checkNumerics reports.
struct U {
  T: u32, N: u32, C: u32, blank: u32,
  smax: u32,      // padded: row length of targets; concatenated: total number of labels
  L: u32,         // alpha row length: 2 * min(smax, T) + 1
  concat: u32, zeroInf: u32,
  reduction: u32, // 0 none, 1 sum, 2 mean
  zero: u32,
  rows: u32,      // alpha rows per sequence: T + 2 (kept for the backward pass), else 2
  keep: u32,      // 1: keep every alpha row (row t at t), 0: two rows (row t at t & 1)
}

const NEG: f32 = -1e30;
const HALF_NEG: f32 = -5e29;
const META: u32 = 8u; // words of info per sequence: T_n, S_n, offset, status, bitcast(log p)

#if FWD
@group(0) @binding(0) var<storage, read> lp: array<f32>;
@group(0) @binding(1) var<storage, read> tg: array<i32>;
@group(0) @binding(2) var<storage, read> il: array<i32>;
@group(0) @binding(3) var<storage, read> tl: array<i32>;
@group(0) @binding(4) var<storage, read_write> alpha: array<f32>;
@group(0) @binding(5) var<storage, read_write> info: array<u32>;
@group(0) @binding(6) var<storage, read_write> nll: array<f32>;
@group(0) @binding(7) var<uniform> u: U;
#endif
#if BWD
@group(0) @binding(0) var<storage, read> lp: array<f32>;
@group(0) @binding(1) var<storage, read> tg: array<i32>;
@group(0) @binding(2) var<storage, read> info: array<u32>;
@group(0) @binding(3) var<storage, read> dy: array<f32>;
@group(0) @binding(4) var<storage, read_write> alpha: array<f32>;
@group(0) @binding(5) var<storage, read_write> grad: array<f32>;
@group(0) @binding(6) var<uniform> u: U;
#endif
#if REDUCE
@group(0) @binding(0) var<storage, read> nll: array<f32>;
@group(0) @binding(1) var<storage, read> info: array<u32>;
@group(0) @binding(2) var<storage, read_write> out: array<f32>;
@group(0) @binding(3) var<uniform> u: U;
#endif

override WG: u32 = 64u;
#if !THREAD
#if !REDUCE
override MAXL: u32 = 64u;   // alpha row capacity in workgroup memory (>= L_n)
override ROWS2: u32 = 128u; // 2 * MAXL
#endif
#endif

fn pos_inf() -> f32 { return bitcast<f32>(0x7f800000u | u.zero); }
fn nan() -> f32 { return bitcast<f32>(0x7fc00000u | u.zero); }

fn lse2(a: f32, b: f32) -> f32 {
  let m = max(a, b);
  if (m <= HALF_NEG) { return NEG; }
  return m + log(exp(a - m) + exp(b - m));
}

fn lse3(a: f32, b: f32, c: f32) -> f32 {
  let m = max(max(a, b), c);
  if (m <= HALF_NEG) { return NEG; }
  return m + log(exp(a - m) + exp(b - m) + exp(c - m));
}

#if !REDUCE
/** Class of extended position s of a sequence whose labels start at `off`. */
fn label(off: u32, s: u32) -> u32 {
  if ((s & 1u) == 0u) { return u.blank; }
  return u32(tg[off + (s >> 1u)]);
}

/** May position s (odd) be entered from s - 2 (skipping the blank between different labels)? */
fn skip(off: u32, s: u32) -> bool {
  return (s & 1u) == 1u && s >= 2u && tg[off + (s >> 1u)] != tg[off + (s >> 1u) - 1u];
}

fn lpAt(t: u32, n: u32, c: u32) -> f32 { return lp[(t * u.N + n) * u.C + c]; }
fn aIdx(n: u32, t: u32, s: u32) -> u32 { return (n * u.rows + t) * u.L + s; }
/** Row of frame t in the forward pass. */
fn fr(t: u32) -> u32 { return select(t & 1u, t, u.keep == 1u); }
#endif

#if FWD
/** Lengths, label offset and validity of sequence n: (T_n, S_n, offset, status). */
fn check(n: u32) -> vec4<u32> {
  let tn = il[n];
  let sn = tl[n];
  var off = 0i;
  if (u.concat == 1u) {
    for (var k = 0u; k < n; k++) { off += tl[k]; }
  } else {
    off = i32(n * u.smax);
  }
  var bad = tn < 0i || tn > i32(u.T) || sn < 0i || off < 0i;
  if (!bad) {
    if (u.concat == 1u) { bad = off + sn > i32(u.smax); } else { bad = sn > i32(u.smax); }
  }
  if (!bad) {
    for (var k = 0i; k < sn; k++) {
      let c = tg[off + k];
      if (c < 0i || c >= i32(u.C) || c == i32(u.blank)) { bad = true; }
    }
  }
  if (bad) { return vec4<u32>(0u, 0u, 0u, 2u); }
  return vec4<u32>(u32(tn), u32(sn), u32(off), 0u);
}

fn finish(n: u32, m: vec4<u32>, logp: f32) {
  var status = m.w;
  var loss = select(-logp, 0.0, logp == 0.0); // +0, not -0 (an empty target on no frames)
  if (status == 0u && logp <= HALF_NEG) { status = 1u; }
  if (status == 1u) { loss = select(pos_inf(), 0.0, u.zeroInf == 1u); }
  if (status == 2u) { loss = nan(); }
  info[n * META] = m.x;
  info[n * META + 1u] = m.y;
  info[n * META + 2u] = m.z;
  info[n * META + 3u] = status;
  info[n * META + 4u] = bitcast<u32>(logp);
  nll[n] = loss;
}
#endif

#if FWD
#if THREAD
@compute @workgroup_size(WG)
fn main(@builtin(global_invocation_id) gid: vec3<u32>) {
  let n = gid.x;
  if (n >= u.N) { return; }
  let m = check(n);
  let tn = m.x;
  let sn = m.y;
  let off = m.z;
  if (m.w != 0u || sn > tn || tn == 0u) {
    // invalid, impossible (more labels than frames), or empty input: p = [S_n == 0]
    finish(n, m, select(NEG, 0.0, m.w == 0u && sn == 0u));
    return;
  }
  let ln = 2u * sn + 1u;
  alpha[aIdx(n, 0u, 0u)] = max(lpAt(0u, n, u.blank), NEG);
  if (ln > 1u) { alpha[aIdx(n, 0u, 1u)] = max(lpAt(0u, n, label(off, 1u)), NEG); }
  for (var s = 2u; s < ln; s++) { alpha[aIdx(n, 0u, s)] = NEG; }
  for (var t = 1u; t < tn; t++) {
    let prev = aIdx(n, fr(t - 1u), 0u);
    let cur = aIdx(n, fr(t), 0u);
    // positions that can still reach the end in the remaining frames: s >= ln - 2 * (tn - t)
    let rem = 2u * (tn - t);
    let lo = select(0u, ln - rem, ln > rem);
    for (var s = 0u; s < lo; s++) { alpha[cur + s] = NEG; }
    let hi = min(ln, 2u * t + 2u);
    for (var s = lo; s < hi; s++) {
      var a = alpha[prev + s];
      if (s >= 1u) {
        if (skip(off, s)) { a = lse3(a, alpha[prev + s - 1u], alpha[prev + s - 2u]); }
        else { a = lse2(a, alpha[prev + s - 1u]); }
      }
      alpha[cur + s] = max(a + lpAt(t, n, label(off, s)), NEG);
    }
    for (var s = hi; s < ln; s++) { alpha[cur + s] = NEG; }
  }
  let last = aIdx(n, fr(tn - 1u), 0u);
  var logp = alpha[last + ln - 1u];
  if (ln > 1u) { logp = lse2(logp, alpha[last + ln - 2u]); }
  finish(n, m, logp);
}
#else
// one workgroup per sequence: threads over positions s, two alpha rows in workgroup memory
var<workgroup> rows: array<f32, ROWS2>;
var<workgroup> labs: array<u32, MAXL>;

@compute @workgroup_size(WG)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
  let n = wid.x;
  let m = check(n);
  let tn = m.x;
  let sn = m.y;
  let off = m.z;
  if (m.w != 0u || sn > tn || tn == 0u) {
    if (lid == 0u) { finish(n, m, select(NEG, 0.0, m.w == 0u && sn == 0u)); }
    return;
  }
  let ln = 2u * sn + 1u;
  for (var s = lid; s < ln; s += WG) {
    let c = label(off, s);
    labs[s] = c;
    var a = NEG;
    if (s < 2u) { a = max(lpAt(0u, n, c), NEG); }
    rows[s] = a;
    if (u.keep == 1u) { alpha[aIdx(n, 0u, s)] = a; }
  }
  workgroupBarrier();
  for (var t = 1u; t < tn; t++) {
    let prev = ((t - 1u) & 1u) * MAXL;
    let cur = (t & 1u) * MAXL;
    for (var s = lid; s < ln; s += WG) {
      var a = rows[prev + s];
      if (s >= 1u) {
        if ((s & 1u) == 1u && s >= 2u && labs[s] != labs[s - 2u]) { a = lse3(a, rows[prev + s - 1u], rows[prev + s - 2u]); }
        else { a = lse2(a, rows[prev + s - 1u]); }
      }
      a = max(a + lpAt(t, n, labs[s]), NEG);
      rows[cur + s] = a;
      if (u.keep == 1u) { alpha[aIdx(n, t, s)] = a; }
    }
    workgroupBarrier();
  }
  if (lid == 0u) {
    let last = ((tn - 1u) & 1u) * MAXL;
    var logp = rows[last + ln - 1u];
    if (ln > 1u) { logp = lse2(logp, rows[last + ln - 2u]); }
    finish(n, m, logp);
  }
}
#endif
#endif

#if BWD
/** d(loss)/d(nll_n): the upstream gradient with the reduction's factor. */
fn scaleOf(n: u32, sn: u32) -> f32 {
  if (u.reduction == 0u) { return dy[n]; }
  if (u.reduction == 1u) { return dy[0]; }
  return dy[0] / (f32(u.N) * f32(max(sn, 1u)));
}
#endif

#if BWD
#if THREAD
@compute @workgroup_size(WG)
fn main(@builtin(global_invocation_id) gid: vec3<u32>) {
  let n = gid.x;
  if (n >= u.N) { return; }
  let tn = info[n * META];
  let sn = info[n * META + 1u];
  let off = info[n * META + 2u];
  let status = info[n * META + 3u];
  let logp = bitcast<f32>(info[n * META + 4u]);
  // rows past the input length get no gradient; so does a sequence without any alignment
  // (its loss is +Inf, or 0 with zeroInfinity); an invalid one gets NaN
  let fillv = select(0.0, nan(), status == 2u);
  let t0 = select(0u, tn, status == 0u);
  for (var t = t0; t < u.T; t++) {
    let row = (t * u.N + n) * u.C;
    for (var c = 0u; c < u.C; c++) { grad[row + c] = fillv; }
  }
  if (status != 0u || tn == 0u) { return; }
  let scale = scaleOf(n, sn);
  let ln = 2u * sn + 1u;
  for (var k = 0u; k < tn; k++) {
    let t = tn - 1u - k;
    let cur = aIdx(n, u.T + (t & 1u), 0u);
    let nxt = aIdx(n, u.T + ((t + 1u) & 1u), 0u);
    // beta_t(s) > NEG only for s >= lo (the end is reachable), alpha_t(s) only for s < hi
    let rem = 2u * (tn - t);
    let lo = select(0u, ln - rem, ln > rem);
    let hi = min(ln, 2u * t + 2u);
    for (var s = select(0u, lo - 2u, lo >= 2u); s < lo; s++) { alpha[cur + s] = NEG; }
    for (var s = lo; s < ln; s++) {
      let c = label(off, s);
      var b = NEG;
      if (t == tn - 1u) {
        if (s + 2u >= ln) { b = max(lpAt(t, n, c), NEG); }
      } else {
        var a = alpha[nxt + s];
        if (s + 1u < ln) {
          if (s + 2u < ln && skip(off, s + 2u)) { a = lse3(a, alpha[nxt + s + 1u], alpha[nxt + s + 2u]); }
          else { a = lse2(a, alpha[nxt + s + 1u]); }
        }
        b = max(a + lpAt(t, n, c), NEG);
      }
      alpha[cur + s] = b;
    }
    let row = (t * u.N + n) * u.C;
    for (var c = 0u; c < u.C; c++) { grad[row + c] = 0.0; }
    let arow = aIdx(n, t, 0u);
    for (var s = lo; s < hi; s++) {
      let a = alpha[arow + s];
      let b = alpha[cur + s];
      if (a > HALF_NEG && b > HALF_NEG) {
        let c = label(off, s);
        grad[row + c] -= scale * exp(a + b - lpAt(t, n, c) - logp);
      }
    }
  }
}
#else
// one workgroup per sequence: threads over positions s for beta and the occupancies, then
// over classes c to sum the occupancies of the positions that emit c
var<workgroup> rows: array<f32, ROWS2>;
var<workgroup> occ: array<f32, MAXL>;
var<workgroup> labs: array<u32, MAXL>;

@compute @workgroup_size(WG)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
  let n = wid.x;
  let tn = info[n * META];
  let sn = info[n * META + 1u];
  let off = info[n * META + 2u];
  let status = info[n * META + 3u];
  let logp = bitcast<f32>(info[n * META + 4u]);
  let fillv = select(0.0, nan(), status == 2u);
  let t0 = select(0u, tn, status == 0u);
  for (var i = lid; i < (u.T - t0) * u.C; i += WG) {
    let t = t0 + i / u.C;
    grad[(t * u.N + n) * u.C + i % u.C] = fillv;
  }
  if (status != 0u || tn == 0u) { return; }
  let scale = scaleOf(n, sn);
  let ln = 2u * sn + 1u;
  for (var s = lid; s < ln; s += WG) { labs[s] = label(off, s); }
  workgroupBarrier();
  for (var k = 0u; k < tn; k++) {
    let t = tn - 1u - k;
    let cur = (t & 1u) * MAXL;
    let nxt = ((t + 1u) & 1u) * MAXL;
    for (var s = lid; s < ln; s += WG) {
      let c = labs[s];
      var b = NEG;
      if (t == tn - 1u) {
        if (s + 2u >= ln) { b = max(lpAt(t, n, c), NEG); }
      } else {
        var a = rows[nxt + s];
        if (s + 1u < ln) {
          if (s + 2u < ln && ((s + 2u) & 1u) == 1u && labs[s + 2u] != labs[s]) { a = lse3(a, rows[nxt + s + 1u], rows[nxt + s + 2u]); }
          else { a = lse2(a, rows[nxt + s + 1u]); }
        }
        b = max(a + lpAt(t, n, c), NEG);
      }
      rows[cur + s] = b;
      let a = alpha[aIdx(n, t, s)];
      var o = 0.0;
      if (a > HALF_NEG && b > HALF_NEG) { o = exp(a + b - lpAt(t, n, c) - logp); }
      occ[s] = o;
    }
    workgroupBarrier();
    let row = (t * u.N + n) * u.C;
    for (var c = lid; c < u.C; c += WG) {
      var g = 0.0;
      if (c == u.blank) {
        for (var s = 0u; s < ln; s += 2u) { g += occ[s]; }
      } else {
        for (var s = 1u; s < ln; s += 2u) { if (labs[s] == c) { g += occ[s]; } }
      }
      grad[row + c] = -scale * g;
    }
    workgroupBarrier(); // occ is rewritten next step
  }
}
#endif
#endif

#if REDUCE
#if STATUS
// checkNumerics: NaN where a sequence is invalid, 0 elsewhere (a +Inf loss is not a bug here)
@compute @workgroup_size(1)
fn main() {
  for (var n = 0u; n < u.N; n++) { out[n] = select(0.0, nan(), info[n * META + 3u] == 2u); }
}
#else
@compute @workgroup_size(1)
fn main() {
  var acc = 0.0;
  for (var n = 0u; n < u.N; n++) {
    var v = nll[n];
    if (u.reduction == 2u) { v = v / f32(max(info[n * META + 1u], 1u)); }
    acc += v;
  }
  if (u.reduction == 2u) { acc = acc / f32(u.N); }
  out[0] = acc;
}
#endif
#endif
