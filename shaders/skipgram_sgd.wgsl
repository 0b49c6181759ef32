// Skip-gram negative-sampling training, word2vec's inner loop on the GPU: one thread per
// (context, centre) pair, plain SGD written straight into the tables (lock-free "Hogwild"
// updates, as word2vec's threads do). For pair (c, w):
//   targets: w (label 1) and K noise words n_k (label 0; a draw equal to w is skipped)
//   f = W_in[c] . W_out[t];  a = lr * (label - s(f));  e += a W_out[t];  W_out[t] += a W_in[c]
//   then W_in[c] += e
// which is exactly one SGD step on skipGramLoss(W_in, W_out, [c], [w], [n_1..n_K]).
// Windows and subsampling are drawn on the CPU (the pair list); one pair a thread keeps every lane
// of a SIMD group busy for the same K+1 targets. Thread t takes pair (t % L) * G + t / L (n = G L):
// pairs of one position (they share W_out[w]) sit next to each other in the list, so lanes that run
// together take pairs G apart. Noise draws: a PCG hash of the seed and the pair index (the CPU
// reference in kernels/skipgram_sgd.ts has the same generator). A pair with an id outside [0, V)
// is skipped (pad the list with -1). loss[t] = the pair's sum of -log s(+-f).
//
// The context row, its update and the target row are function-local arrays indexed only in loops
// of constant trip count DV: NIR unrolls them and keeps the rows in registers, so a target costs DV
// vector loads and DV stores (measured: 2.3x faster than indexing storage in every loop).
struct U { n: u32, l: u32, g: u32, v: u32, k: u32, noise: u32, seed: u32, lr: f32 }
#if VEC4
alias V = vec4<f32>;
#else
alias V = f32;
#endif
@group(0) @binding(0) var<storage, read> pairs: array<vec2<i32>>;
@group(0) @binding(1) var<storage, read> noise: array<i32>;
@group(0) @binding(2) var<storage, read_write> win: array<V>;
@group(0) @binding(3) var<storage, read_write> wout: array<V>;
@group(0) @binding(4) var<storage, read_write> loss: array<f32>;
@group(0) @binding(5) var<uniform> u: U;

const DV: u32 = {{DV}}u;

fn pcg(v: u32) -> u32 {
  let s = v * 747796405u + 2891336453u;
  let w = ((s >> ((s >> 28u) + 4u)) ^ s) * 277803737u;
  return (w >> 22u) ^ w;
}

fn hsum(a: V) -> f32 {
#if VEC4
  return (a.x + a.y) + (a.z + a.w);
#else
  return a;
#endif
}

fn logsig(x: f32) -> f32 { return -(max(-x, 0.0) + log(1.0 + exp(-abs(x)))); }
fn sigmoid(x: f32) -> f32 {
  let e = exp(-abs(x));
  return select(e / (1.0 + e), 1.0 / (1.0 + e), x >= 0.0);
}

fn valid(i: i32) -> bool { return i >= 0 && u32(i) < u.v; }

@compute @workgroup_size(64)
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nw: vec3<u32>) {
  let t = gid.x + gid.y * nw.x * 64u;
  if (t >= u.n) { return; }
  let p = (t % u.l) * u.g + t / u.l;
  let cw = pairs[p];
  let c = cw.x;
  let w = cw.y;
  if (!valid(c) || !valid(w)) { loss[t] = 0.0; return; }
  var st = pcg(u.seed ^ pcg(p));
  let co = u32(c) * DV;
  var cr: array<V, DV>;
  var e: array<V, DV>;
  for (var j = 0u; j < DV; j++) { cr[j] = win[co + j]; e[j] = V(0.0); }
  var l = 0.0;
  var tg = w;
  var label = 1.0;
  for (var k = 0u; k <= u.k; k++) {
    if (k > 0u) {
      st = pcg(st);
      tg = noise[st % u.noise];
      label = 0.0;
      if (tg == w || !valid(tg)) { continue; }
    }
    let to = u32(tg) * DV;
    var o: array<V, DV>;
    var s = V(0.0);
    for (var j = 0u; j < DV; j++) { o[j] = wout[to + j]; s += cr[j] * o[j]; }
    let f = hsum(s);
    let a = u.lr * (label - sigmoid(f));
    for (var j = 0u; j < DV; j++) {
      e[j] += a * o[j];
      wout[to + j] = o[j] + a * cr[j];
    }
    l -= logsig(select(-f, f, label > 0.5));
  }
  for (var j = 0u; j < DV; j++) { win[co + j] = cr[j] + e[j]; }
  loss[t] = l;
}
