// Fused backward of the unary ops: dx = dy * f'(x), from x, the forward output y and dy in one
// pass (composing it from elementwise ops costs 2-4 dispatches). V is f32 or vec4<f32>.
struct U { n: u32, alpha: f32, beta: f32, pad: u32 }
@group(0) @binding(0) var<storage, read> x: array<V>;
@group(0) @binding(1) var<storage, read> y: array<V>;
@group(0) @binding(2) var<storage, read> dy: array<V>;
@group(0) @binding(3) var<storage, read_write> dx: array<V>;
@group(0) @binding(4) var<uniform> u: U;

alias V = {{V}};

fn step(c: {{B}}) -> V { return select(V(0.0), V(1.0), c); }

#if OP_neg
fn deriv(x: V, y: V) -> V { return V(-1.0); }
#endif
#if OP_abs
fn deriv(x: V, y: V) -> V { return sign(x); }
#endif
#if OP_square
fn deriv(x: V, y: V) -> V { return 2.0 * x; }
#endif
#if OP_exp
fn deriv(x: V, y: V) -> V { return y; }
#endif
#if OP_log
fn deriv(x: V, y: V) -> V { return 1.0 / x; }
#endif
#if OP_sqrt
fn deriv(x: V, y: V) -> V { return 0.5 / y; }
#endif
#if OP_rsqrt
fn deriv(x: V, y: V) -> V { return -0.5 * y / x; }
#endif
#if OP_reciprocal
fn deriv(x: V, y: V) -> V { return -(y * y); }
#endif
#if OP_relu
fn deriv(x: V, y: V) -> V { return step(x > V(0.0)); }
#endif
#if OP_relu6
// 0 at exactly 0 and 6, as PyTorch
fn deriv(x: V, y: V) -> V { return step(x > V(0.0)) * step(x < V(6.0)); }
#endif
#if OP_leakyRelu
fn deriv(x: V, y: V) -> V { return select(V(u.alpha), V(1.0), x > V(0.0)); }
#endif
#if OP_sigmoid
fn deriv(x: V, y: V) -> V { return y * (1.0 - y); }
#endif
#if OP_tanh
fn deriv(x: V, y: V) -> V { return 1.0 - y * y; }
#endif
#if OP_softplus
// sigmoid(x), written so neither branch overflows
fn deriv(x: V, y: V) -> V {
  let e = exp(-abs(x));
  return select(e / (1.0 + e), 1.0 / (1.0 + e), x >= V(0.0));
}
#endif
#if OP_sin
fn deriv(x: V, y: V) -> V { return cos(x); }
#endif
#if OP_cos
fn deriv(x: V, y: V) -> V { return -sin(x); }
#endif
#if OP_clamp
// 1 inside [min, max] (bounds included, as PyTorch's clamp)
fn deriv(x: V, y: V) -> V { return step(x >= V(u.alpha)) * step(x <= V(u.beta)); }
#endif

override K: u32 = 4u;

@compute @workgroup_size(64)
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nw: vec3<u32>) {
  let t = gid.x + gid.y * nw.x * 64u;
  let stride = nw.x * nw.y * 64u;
  for (var k = 0u; k < K; k++) {
    let i = t + k * stride;
    if (i >= u.n) { return; }
    dx[i] = dy[i] * deriv(x[i], y[i]);
  }
}
