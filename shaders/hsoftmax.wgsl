// Hierarchical (class-factored) softmax: log p(w|h) = log softmax(h Wc^T + bc)[class(w)]
//   + (h Ww[w] + bw[w]) - logsumexp_{w' in class(w)} (h Ww[w'] + bw[w']).
// Classes are lists of word ids in a CSR table csr = [offsets (C+1) | word ids (V)], so one example
// costs O(C + |class|) dot products of length D, never O(V). Modes (one per define):
//   CSR   one thread builds csr from int32 keys (MAP: key of item i is key[map[i]], i.e. the class of
//         example i's target), items of a class in increasing order; items with no valid key are left out
//   FWD_Z one thread per (example, class): class logits z into aux [N, 4 + C] (columns 4..)
//   FWD   one thread per example: loss [N], aux[n, 0..3] = (class lse, word lse, target class, 0);
//         the backward modes read z from aux instead of recomputing it
//   DZ    one thread per (example, class): dz [N, C] = g (softmax(z) - onehot(target class))
//   BWD_HC one thread per (example, column): dh [N, D] = dz Wc
//   BWD_H one thread per example: dh += the target class's du Ww
//   BWD_C one thread per (class, column): dWc [C, D] = dz^T h, dbc [C] (loops over the examples)
//   BWD_W one thread per word: dWw [V, D], dbw [V] (loops over the examples whose target is in its
//         class, from an example CSR): each gradient row has one writer, so sums are deterministic
//   FULL  one thread per (example, class): logsumexp of the class's word logits U [N, V] -> [N, C]
// VEC4: rows of h, Wc, Ww and their gradients as vec4 (D % 4 == 0). An example whose target is
// outside [0, V) or whose class is outside [0, C) gets a NaN loss and NaN gradient rows.
struct U { n: u32, c: u32, v: u32, dv: u32, m: u32, zero: u32, p1: u32, p2: u32 }
#if VEC4
alias V = vec4<f32>;
#else
alias V = f32;
#endif

fn hsum(a: V) -> f32 {
#if VEC4
  return (a.x + a.y) + (a.z + a.w);
#else
  return a;
#endif
}
fn neg_inf() -> f32 { return bitcast<f32>(0xff800000u | u.zero); }
fn nan() -> f32 { return bitcast<f32>(0x7fc00000u | u.zero); }
fn ind(b: bool) -> f32 { return select(0.0, 1.0, b); }
override WG: u32 = 64u;

#if CSR
@group(0) @binding(0) var<storage, read> key: array<i32>;
#if MAP
@group(0) @binding(1) var<storage, read> map: array<i32>;
@group(0) @binding(2) var<storage, read_write> csr: array<i32>;
@group(0) @binding(3) var<uniform> u: U;
#else
@group(0) @binding(1) var<storage, read_write> csr: array<i32>;
@group(0) @binding(2) var<uniform> u: U;
#endif

fn key_of(i: u32) -> i32 {
#if MAP
  let t = map[i];
  if (t < 0 || u32(t) >= u.v) { return -1; }
  return key[t];
#else
  return key[i];
#endif
}

@compute @workgroup_size(1)
fn main() {
  for (var c = 0u; c <= u.c; c++) { csr[c] = 0; }
  for (var i = 0u; i < u.m; i++) {
    let k = key_of(i);
    if (k >= 0 && u32(k) < u.c) { csr[k] += 1; }
  }
  var total = 0;
  for (var c = 0u; c < u.c; c++) { let cnt = csr[c]; csr[c] = total; total += cnt; }
  csr[u.c] = total;
  let base = u.c + 1u;
  for (var i = 0u; i < u.m; i++) {
    let k = key_of(i);
    if (k >= 0 && u32(k) < u.c) { csr[base + u32(csr[k])] = i32(i); csr[k] += 1; }
  }
  for (var c = u.c; c > 0u; c--) { csr[c] = csr[c - 1u]; }
  csr[0] = 0;
  for (var i = u32(total); i < u.m; i++) { csr[base + i] = -1; }
}
#endif

#if FULL
@group(0) @binding(0) var<storage, read> wl: array<f32>;
@group(0) @binding(1) var<storage, read> csr: array<i32>;
@group(0) @binding(2) var<storage, read_write> lse: array<f32>;
@group(0) @binding(3) var<uniform> u: U;

@compute @workgroup_size(WG)
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nw: vec3<u32>) {
  let i = gid.x + gid.y * nw.x * WG;
  if (i >= u.n * u.c) { return; }
  let n = i / u.c;
  let c = i % u.c;
  let base = u.c + 1u;
  var m = neg_inf();
  var s = 0.0;
  for (var p = u32(csr[c]); p < u32(csr[c + 1u]); p++) {
    let z = wl[n * u.v + u32(csr[base + p])];
    if (z > m) { s = s * exp(m - z) + 1.0; m = z; } else { s += exp(z - m); }
  }
  lse[i] = m + log(s);
}
#endif

#if FWD_Z
@group(0) @binding(0) var<storage, read> h: array<V>;
@group(0) @binding(1) var<storage, read> wc: array<V>;
@group(0) @binding(2) var<storage, read> bc: array<f32>;
@group(0) @binding(3) var<storage, read_write> aux: array<f32>;
@group(0) @binding(4) var<uniform> u: U;

// one thread per (example, class): the class logit z = h Wc^T + bc into aux
@compute @workgroup_size(WG)
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nw: vec3<u32>) {
  let i = gid.x + gid.y * nw.x * WG;
  if (i >= u.n * u.c) { return; }
  let n = i / u.c;
  let c = i % u.c;
  let ho = n * u.dv;
  let co = c * u.dv;
  var acc = V(0.0);
  for (var j = 0u; j < u.dv; j++) { acc += h[ho + j] * wc[co + j]; }
  aux[n * (u.c + 4u) + 4u + c] = hsum(acc) + bc[c];
}
#endif

#if FWD
@group(0) @binding(0) var<storage, read> h: array<V>;
@group(0) @binding(1) var<storage, read> ww: array<V>;
@group(0) @binding(2) var<storage, read> bw: array<f32>;
@group(0) @binding(3) var<storage, read> wcls: array<i32>;
@group(0) @binding(4) var<storage, read> tgt: array<i32>;
@group(0) @binding(5) var<storage, read> csr: array<i32>;
@group(0) @binding(6) var<storage, read_write> aux: array<f32>;
@group(0) @binding(7) var<storage, read_write> loss: array<f32>;
@group(0) @binding(8) var<uniform> u: U;

fn set_stats(n: u32, v: vec4<f32>) {
  let o = n * (u.c + 4u);
  aux[o] = v.x;
  aux[o + 1u] = v.y;
  aux[o + 2u] = v.z;
  aux[o + 3u] = v.w;
}

// one thread per example, after FWD_Z: class log-softmax from aux, then the target class's words
@compute @workgroup_size(WG)
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nw: vec3<u32>) {
  let n = gid.x + gid.y * nw.x * WG;
  if (n >= u.n) { return; }
  let tw = tgt[n];
  var tc = -1;
  if (tw >= 0 && u32(tw) < u.v) { tc = wcls[tw]; }
  if (tc < 0 || u32(tc) >= u.c) {
    loss[n] = nan();
    set_stats(n, vec4<f32>(nan(), nan(), -1.0, 0.0));
    return;
  }
  let ho = n * u.dv;
  let ao = n * (u.c + 4u) + 4u;
  var m = neg_inf();
  var s = 0.0;
  for (var c = 0u; c < u.c; c++) {
    let z = aux[ao + c];
    if (z > m) { s = s * exp(m - z) + 1.0; m = z; } else { s += exp(z - m); }
  }
  let lc = m + log(s);
  let zt = aux[ao + u32(tc)];
  let base = u.c + 1u;
  var m2 = neg_inf();
  var s2 = 0.0;
  var ut = 0.0;
  for (var p = u32(csr[tc]); p < u32(csr[tc + 1]); p++) {
    let w = u32(csr[base + p]);
    let wo = w * u.dv;
    var acc = V(0.0);
    for (var j = 0u; j < u.dv; j++) { acc += h[ho + j] * ww[wo + j]; }
    let z = hsum(acc) + bw[w];
    if (i32(w) == tw) { ut = z; }
    if (z > m2) { s2 = s2 * exp(m2 - z) + 1.0; m2 = z; } else { s2 += exp(z - m2); }
  }
  let lw = m2 + log(s2);
  loss[n] = (lc - zt) + (lw - ut);
  set_stats(n, vec4<f32>(lc, lw, f32(tc), 0.0));
}
#endif

#if BWD_HC
@group(0) @binding(0) var<storage, read> wc: array<V>;
@group(0) @binding(1) var<storage, read> dzs: array<f32>;
@group(0) @binding(2) var<storage, read_write> dh: array<V>;
@group(0) @binding(3) var<uniform> u: U;

// one thread per (example, column): dh[n, j] = sum_c dz[n, c] Wc[c, j] (the class part)
@compute @workgroup_size(WG)
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nw: vec3<u32>) {
  let i = gid.x + gid.y * nw.x * WG;
  if (i >= u.n * u.dv) { return; }
  let n = i / u.dv;
  let j = i % u.dv;
  var acc = V(0.0);
  for (var c = 0u; c < u.c; c++) { acc += dzs[n * u.c + c] * wc[c * u.dv + j]; }
  dh[i] = acc;
}
#endif

#if BWD_H
@group(0) @binding(0) var<storage, read> h: array<V>;
@group(0) @binding(1) var<storage, read> ww: array<V>;
@group(0) @binding(2) var<storage, read> bw: array<f32>;
@group(0) @binding(3) var<storage, read> tgt: array<i32>;
@group(0) @binding(4) var<storage, read> csr: array<i32>;
@group(0) @binding(5) var<storage, read> aux: array<f32>;
@group(0) @binding(6) var<storage, read> g: array<f32>;
@group(0) @binding(7) var<storage, read_write> dh: array<V>;
@group(0) @binding(8) var<uniform> u: U;

// one thread per example, after BWD_HC: dh[n] += sum over the target class's words of du_w Ww[w]
@compute @workgroup_size(WG)
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nw: vec3<u32>) {
  let n = gid.x + gid.y * nw.x * WG;
  if (n >= u.n) { return; }
  let ho = n * u.dv;
  let ao = n * (u.c + 4u);
  let tc = i32(aux[ao + 2u]);
  if (tc < 0 || u32(tc) >= u.c) {
    for (var j = 0u; j < u.dv; j++) { dh[ho + j] = V(nan()); }
    return;
  }
  let lw = aux[ao + 1u];
  let tw = tgt[n];
  let gn = g[n];
  let base = u.c + 1u;
  for (var p = u32(csr[tc]); p < u32(csr[tc + 1]); p++) {
    let w = u32(csr[base + p]);
    let wo = w * u.dv;
    var acc = V(0.0);
    for (var j = 0u; j < u.dv; j++) { acc += h[ho + j] * ww[wo + j]; }
    let du = gn * (exp(hsum(acc) + bw[w] - lw) - ind(i32(w) == tw));
    for (var j = 0u; j < u.dv; j++) { dh[ho + j] += du * ww[wo + j]; }
  }
}
#endif

#if DZ
@group(0) @binding(0) var<storage, read> aux: array<f32>;
@group(0) @binding(1) var<storage, read> g: array<f32>;
@group(0) @binding(2) var<storage, read_write> dzs: array<f32>;
@group(0) @binding(3) var<uniform> u: U;

@compute @workgroup_size(WG)
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nw: vec3<u32>) {
  let i = gid.x + gid.y * nw.x * WG;
  if (i >= u.n * u.c) { return; }
  let n = i / u.c;
  let c = i % u.c;
  let ao = n * (u.c + 4u);
  let tc = i32(aux[ao + 2u]);
  var dz = g[n] * (exp(aux[ao + 4u + c] - aux[ao]) - ind(i32(c) == tc));
  if (tc < 0 || u32(tc) >= u.c) { dz = nan(); }
  dzs[i] = dz;
}
#endif

#if BWD_C
@group(0) @binding(0) var<storage, read> h: array<V>;
@group(0) @binding(1) var<storage, read> dzs: array<f32>;
@group(0) @binding(2) var<storage, read_write> dwc: array<V>;
@group(0) @binding(3) var<storage, read_write> dbc: array<f32>;
@group(0) @binding(4) var<uniform> u: U;

// one thread per (class, column): dWc[c, j] = sum_n dz[n, c] h[n, j]; the column-0 thread also sums dbc
@compute @workgroup_size(WG)
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nw: vec3<u32>) {
  let i = gid.x + gid.y * nw.x * WG;
  if (i >= u.c * max(u.dv, 1u)) { return; }
  let c = i / max(u.dv, 1u);
  let j = i % max(u.dv, 1u);
  var acc = V(0.0);
  var db = 0.0;
  for (var n = 0u; n < u.n; n++) {
    let dz = dzs[n * u.c + c];
    if (u.dv > 0u) { acc += dz * h[n * u.dv + j]; }
    db += dz;
  }
  if (u.dv > 0u) { dwc[i] = acc; }
  if (j == 0u) { dbc[c] = db; }
}
#endif

#if BWD_W
@group(0) @binding(0) var<storage, read> h: array<V>;
@group(0) @binding(1) var<storage, read> ww: array<V>;
@group(0) @binding(2) var<storage, read> bw: array<f32>;
@group(0) @binding(3) var<storage, read> wcls: array<i32>;
@group(0) @binding(4) var<storage, read> tgt: array<i32>;
@group(0) @binding(5) var<storage, read> ecsr: array<i32>;
@group(0) @binding(6) var<storage, read> aux: array<f32>;
@group(0) @binding(7) var<storage, read> g: array<f32>;
@group(0) @binding(8) var<storage, read_write> dww: array<V>;
@group(0) @binding(9) var<storage, read_write> dbw: array<f32>;
@group(0) @binding(10) var<uniform> u: U;

@compute @workgroup_size(WG)
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nw: vec3<u32>) {
  let w = gid.x + gid.y * nw.x * WG;
  if (w >= u.v) { return; }
  let wo = w * u.dv;
  var db = 0.0;
  var first = true;
  let c = wcls[w];
  if (c >= 0 && u32(c) < u.c) {
    let base = u.c + 1u;
    for (var p = u32(ecsr[c]); p < u32(ecsr[c + 1]); p++) {
      let n = u32(ecsr[base + p]);
      let ho = n * u.dv;
      var acc = V(0.0);
      for (var j = 0u; j < u.dv; j++) { acc += h[ho + j] * ww[wo + j]; }
      let du = g[n] * (exp(hsum(acc) + bw[w] - aux[n * (u.c + 4u) + 1u]) - ind(tgt[n] == i32(w)));
      db += du;
      // the first example writes the row, the others add to it
      if (first) {
        for (var j = 0u; j < u.dv; j++) { dww[wo + j] = du * h[ho + j]; }
      } else {
        for (var j = 0u; j < u.dv; j++) { dww[wo + j] += du * h[ho + j]; }
      }
      first = false;
    }
  }
  if (first) { for (var j = 0u; j < u.dv; j++) { dww[wo + j] = V(0.0); } }
  dbw[w] = db;
}
#endif
