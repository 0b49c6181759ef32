// The Residual-GRU codec's binarizer (Toderici et al. 2016/2017): x in [-1, 1] (a tanh output)
// becomes b in {-1, +1}. Deterministic: b = +1 where x >= 0. STOCHASTIC (training): b = +1 with
// probability (1 + x) / 2, from a counter-based hash of (element index, seed), so the same seed
// gives the same bits on every run and device. The gradient (straight through) is in the op.
struct U { n: u32, seed: u32, p0: u32, p1: u32 }
@group(0) @binding(0) var<storage, read> x: array<f32>;
@group(0) @binding(1) var<storage, read_write> y: array<f32>;
@group(0) @binding(2) var<uniform> u: U;

#if STOCHASTIC
// PCG-style 32-bit permutation (an LCG step, then a data-dependent xorshift-multiply output).
fn mix32(v: u32) -> u32 {
  let s = v * 747796405u + 2891336453u;
  let w = ((s >> ((s >> 28u) + 4u)) ^ s) * 277803737u;
  return (w >> 22u) ^ w;
}
#endif

@compute @workgroup_size(256)
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nw: vec3<u32>) {
  let i = gid.x + gid.y * nw.x * 256u;
  if (i >= u.n) { return; }
  let v = x[i];
#if STOCHASTIC
  // 24 random bits -> a threshold t uniform on [-1, 1): P(v > t) = (1 + v) / 2 for v in [-1, 1]
  let r = mix32(i ^ mix32(u.seed));
  let t = f32(r >> 8u) * (2.0 / 16777216.0) - 1.0;
  y[i] = select(-1.0, 1.0, v > t);
#else
  y[i] = select(-1.0, 1.0, v >= 0.0);
#endif
}
