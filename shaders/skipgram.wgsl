// Skip-gram negative-sampling loss (word2vec SGNS), one thread per example b:
//   pos = W_out[context[b]] . W_in[center[b]],  neg_k = W_out[negatives[b,k]] . W_in[center[b]]
//   loss[b] = softplus(-pos) + sum_k softplus(neg_k)      (= -log s(pos) - sum_k log s(-neg_k))
// The W_out rows come as one int32 [B, K+1] table oid = (context, negatives...) per example.
// FWD writes loss [B]. BWD (upstream g [B]) writes the rows that the op layer then scatter-adds:
//   gin  [B, D]        g * (-s(-pos) W_out[context] + sum_k s(neg_k) W_out[neg_k])   (into dW_in at center)
//   gout [B, K+1, D]   g * (-s(-pos), s(neg_1), ...) * W_in[center]                  (into dW_out at oid)
// Ids outside [0, V) read a zero row (the op layer documents it). VEC4: rows as vec4 (D % 4 == 0).
struct U { b: u32, k: u32, dv: u32, v: u32 }
#if VEC4
alias V = vec4<f32>;
#else
alias V = f32;
#endif
@group(0) @binding(0) var<storage, read> win: array<V>;
@group(0) @binding(1) var<storage, read> wout: array<V>;
@group(0) @binding(2) var<storage, read> center: array<i32>;
@group(0) @binding(3) var<storage, read> oid: array<i32>;
#if FWD
@group(0) @binding(4) var<storage, read_write> loss: array<f32>;
@group(0) @binding(5) var<uniform> u: U;
#else
@group(0) @binding(4) var<storage, read> g: array<f32>;
@group(0) @binding(5) var<storage, read_write> gin: array<V>;
@group(0) @binding(6) var<storage, read_write> gout: array<V>;
@group(0) @binding(7) var<uniform> u: U;
#endif

fn hsum(a: V) -> f32 {
#if VEC4
  return (a.x + a.y) + (a.z + a.w);
#else
  return a;
#endif
}

fn valid(r: i32) -> bool { return r >= 0 && u32(r) < u.v; }

// W_out[r] . W_in[c] (0 when either id is out of range)
fn score(r: i32, c: i32) -> f32 {
  if (!valid(r) || !valid(c)) { return 0.0; }
  let ro = u32(r) * u.dv;
  let co = u32(c) * u.dv;
  var s = V(0.0);
  for (var j = 0u; j < u.dv; j++) { s += wout[ro + j] * win[co + j]; }
  return hsum(s);
}

fn softplus(x: f32) -> f32 { return max(x, 0.0) + log(1.0 + exp(-abs(x))); }
fn sigmoid(x: f32) -> f32 {
  let e = exp(-abs(x));
  return select(e / (1.0 + e), 1.0 / (1.0 + e), x >= 0.0);
}

@compute @workgroup_size(64)
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nw: vec3<u32>) {
  let b = gid.x + gid.y * nw.x * 64u;
  if (b >= u.b) { return; }
  let c = center[b];
  let k1 = u.k + 1u;
#if FWD
  var l = softplus(-score(oid[b * k1], c));
  for (var k = 1u; k < k1; k++) { l += softplus(score(oid[b * k1 + k], c)); }
  loss[b] = l;
#else
  let gb = g[b];
  let go = b * u.dv;
  for (var j = 0u; j < u.dv; j++) { gin[go + j] = V(0.0); }
  for (var k = 0u; k < k1; k++) {
    let r = oid[b * k1 + k];
    var a: f32;
    if (k == 0u) { a = -gb * sigmoid(-score(r, c)); } else { a = gb * sigmoid(score(r, c)); }
    let oo = (b * k1 + k) * u.dv;
    if (valid(r) && valid(c)) {
      let ro = u32(r) * u.dv;
      let co = u32(c) * u.dv;
      for (var j = 0u; j < u.dv; j++) {
        gin[go + j] += a * wout[ro + j];
        gout[oo + j] = a * win[co + j];
      }
    } else {
      for (var j = 0u; j < u.dv; j++) { gout[oo + j] = V(0.0); }
    }
  }
#endif
}
