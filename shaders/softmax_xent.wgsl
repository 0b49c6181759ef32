// Softmax cross-entropy from logits [rows, len], fused and stable (TensorFlow's
// SoftmaxCrossEntropyWithLogits): loss[r] = logsumexp(x[r]) - sum_c p[r,c] x[r,c] with p the
// label distribution (SPARSE: an int32 class id per row). With GRAD it also writes
// softmax(x) - p, the gradient with respect to the logits, saved for the backward pass.
// One thread per row: no barriers (fast on software adapters; rows are independent).
struct U { rows: u32, len: u32, zero: u32, pad: u32 }
@group(0) @binding(0) var<storage, read> x: array<f32>;
#if SPARSE
@group(0) @binding(1) var<storage, read> labels: array<i32>;
#else
@group(0) @binding(1) var<storage, read> labels: array<f32>;
#endif
@group(0) @binding(2) var<storage, read_write> loss: array<f32>;
#if GRAD
@group(0) @binding(3) var<storage, read_write> grad: array<f32>;
@group(0) @binding(4) var<uniform> u: U;
#else
@group(0) @binding(3) var<uniform> u: U;
#endif

override WG: u32 = 64u;

@compute @workgroup_size(WG)
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nw: vec3<u32>) {
  let r = gid.x + gid.y * nw.x * WG;
  if (r >= u.rows) { return; }
  let base = r * u.len;
  var m = bitcast<f32>(0xff800000u | u.zero);
  for (var c = 0u; c < u.len; c++) { m = max(m, x[base + c]); }
  var s = 0.0;
  for (var c = 0u; c < u.len; c++) { s += exp(x[base + c] - m); }
  let lse = m + log(s);
#if SPARSE
  let y = labels[r];
  // an out-of-range class id gives NaN: a wrong label must not look like a good loss
  if (y < 0 || u32(y) >= u.len) {
    loss[r] = bitcast<f32>(0x7fc00000u | u.zero);
  } else {
    loss[r] = lse - x[base + u32(y)];
  }
#if GRAD
  for (var c = 0u; c < u.len; c++) {
    grad[base + c] = exp(x[base + c] - lse) - select(0.0, 1.0, i32(c) == y);
  }
#endif
#else
  var l = 0.0;
  var psum = 0.0;
  for (var c = 0u; c < u.len; c++) {
    let p = labels[base + c];
    l += p * (lse - x[base + c]);
    psum += p;
  }
  loss[r] = l;
#if GRAD
  // d/dx of sum_c p_c (lse - x_c) = softmax(x) * sum(p) - p (sum(p) = 1 for a distribution)
  for (var c = 0u; c < u.len; c++) {
    grad[base + c] = exp(x[base + c] - lse) * psum - labels[base + c];
  }
#endif
#endif
}
