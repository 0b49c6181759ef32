// y = f(x), elementwise. Defines: TI/TO (scalar types in/out), VI/VO (storage element types:
// the scalar, or vec4 of it when VEC4), OP_<name> (selects apply()). Uniform alpha/beta carry
// op parameters (clamp bounds, leaky slope).
struct U { n: u32, alpha: f32, beta: f32, pad: u32 }
@group(0) @binding(0) var<storage, read> x: array<{{VI}}>;
@group(0) @binding(1) var<storage, read_write> y: array<{{VO}}>;
@group(0) @binding(2) var<uniform> u: U;

alias V = {{VI}};

#if OP_identity
fn apply(v: V) -> V { return v; }
#endif
#if OP_neg
fn apply(v: V) -> V { return -v; }
#endif
#if OP_abs
fn apply(v: V) -> V { return abs(v); }
#endif
#if OP_exp
fn apply(v: V) -> V { return exp(v); }
#endif
#if OP_log
fn apply(v: V) -> V { return log(v); }
#endif
#if OP_sqrt
fn apply(v: V) -> V { return sqrt(v); }
#endif
#if OP_rsqrt
fn apply(v: V) -> V { return inverseSqrt(v); }
#endif
#if OP_square
fn apply(v: V) -> V { return v * v; }
#endif
#if OP_reciprocal
fn apply(v: V) -> V { return 1.0 / v; }
#endif
#if OP_relu
fn apply(v: V) -> V { return select(V(0), v, v > V(0)); }
#endif
#if OP_relu6
fn apply(v: V) -> V { return clamp(v, V(0), V(6)); }
#endif
#if OP_sigmoid
// 1/(1+e^-x) written so neither branch overflows for large |x|.
fn apply(v: V) -> V {
  let e = exp(-abs(v));
  return select(e / (1.0 + e), 1.0 / (1.0 + e), v >= V(0));
}
#endif
#if OP_tanh
// tanh via e^{-2|x|}: the builtin may return NaN for |x| > ~44 on some drivers.
fn apply(v: V) -> V {
  let e = exp(-2.0 * abs(v));
  return sign(v) * (1.0 - e) / (1.0 + e);
}
#endif
#if OP_clamp
fn apply(v: V) -> V { return clamp(v, V({{TI}}(u.alpha)), V({{TI}}(u.beta))); }
#endif
#if OP_leakyRelu
fn apply(v: V) -> V { return select(v * u.alpha, v, v > V(0)); }
#endif
#if OP_softplus
fn apply(v: V) -> V { return max(v, V(0)) + log(1.0 + exp(-abs(v))); }
#endif
#if OP_sign
fn apply(v: V) -> V { return sign(v); }
#endif
#if OP_floor
fn apply(v: V) -> V { return floor(v); }
#endif
#if OP_ceil
fn apply(v: V) -> V { return ceil(v); }
#endif
#if OP_round
fn apply(v: V) -> V { return round(v); }
#endif
#if OP_sin
fn apply(v: V) -> V { return sin(v); }
#endif
#if OP_cos
fn apply(v: V) -> V { return cos(v); }
#endif
#if OP_not
fn apply(v: V) -> V { return select(V(0), V(1), v == V(0)); }
#endif

// Each thread handles K items a grid-stride apart (contiguous across lanes in every step).
// Several items per thread amortise the per-invocation cost of software Vulkan
// (bench/lab/binary.ts: K=4 grid-stride beat one item per thread and 64*K blocks).
override K: u32 = 4u;

@compute @workgroup_size(64)
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nw: vec3<u32>) {
  let t = gid.x + gid.y * nw.x * 64u;
  let stride = nw.x * nw.y * 64u;
  for (var k = 0u; k < K; k++) {
    let i = t + k * stride;
    if (i >= u.n) { return; }
#if TO_BOOL
    y[i] = {{VO}}(apply(x[i]) != V(0));
#else
    y[i] = {{VO}}(apply(x[i]));
#endif
  }
}
