// Normalisation over the middle axis of x viewed as [G, L, C] (NHWC): instance norm (G = N,
// L = H*W), batch norm with batch statistics (G = 1, L = N*H*W) and conditional instance norm
// (per-(g, c) gamma/beta). One thread per (g, c) walks its L values with stride C: on software
// adapters per-lane streams beat workgroup trees (kernels/reduce.ts), and the (g, c) sums
// need no barriers.
// Modes (defines):
//   STATS     stats[g*C + c] = (mean, 1/sqrt(var + eps)), biased variance (two passes).
//   APPLY     y = act(gamma * (x - mean) * rstd + beta), one thread per element.
//   BACKWARD  per (g, c): dx, and partial sums dgamma[g, c] = sum dz*xhat, dbeta[g, c] = sum dz.
// HAS_GAMMA / HAS_BETA: affine parameters present (else 1 and 0); their buffers are [G, C]
// when gstride = C, [C] when gstride = 0. ACT_relu / ACT_relu6: fused activation.
struct U { g: u32, l: u32, c: u32, gstride: u32, eps: f32, p0: u32, p1: u32, p2: u32 }

#if STATS
@group(0) @binding(0) var<storage, read> x: array<f32>;
@group(0) @binding(1) var<storage, read_write> stats: array<vec2<f32>>;
@group(0) @binding(2) var<uniform> u: U;

@compute @workgroup_size(64)
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nw: vec3<u32>) {
  let t = gid.x + gid.y * nw.x * 64u;
  if (t >= u.g * u.c) { return; }
  let g = t / u.c;
  let c = t - g * u.c;
  let base = g * u.l * u.c + c;
  var s = 0.0;
  for (var k = 0u; k < u.l; k++) { s += x[base + k * u.c]; }
  let mean = s / f32(u.l);
  var q = 0.0;
  for (var k = 0u; k < u.l; k++) { let d = x[base + k * u.c] - mean; q += d * d; }
  stats[t] = vec2<f32>(mean, inverseSqrt(q / f32(u.l) + u.eps));
}
#endif

#if APPLY
@group(0) @binding(0) var<storage, read> x: array<f32>;
@group(0) @binding(1) var<storage, read> stats: array<vec2<f32>>;
@group(0) @binding(2) var<storage, read> gamma: array<f32>;
@group(0) @binding(3) var<storage, read> beta: array<f32>;
@group(0) @binding(4) var<storage, read_write> y: array<f32>;
@group(0) @binding(5) var<uniform> u: U;

@compute @workgroup_size(256)
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nw: vec3<u32>) {
  let i = gid.x + gid.y * nw.x * 256u;
  let lc = u.l * u.c;
  if (i >= u.g * lc) { return; }
  let g = i / lc;
  let c = i % u.c;
  let st = stats[g * u.c + c];
  let p = select(c, g * u.gstride + c, u.gstride != 0u);
  var z = (x[i] - st.x) * st.y;
#if HAS_GAMMA
  z = z * gamma[p];
#endif
#if HAS_BETA
  z = z + beta[p];
#endif
#if ACT_relu
  z = max(z, 0.0);
#endif
#if ACT_relu6
  z = clamp(z, 0.0, 6.0);
#endif
  y[i] = z;
}
#endif

#if BACKWARD
@group(0) @binding(0) var<storage, read> x: array<f32>;
@group(0) @binding(1) var<storage, read> dy: array<f32>;
@group(0) @binding(2) var<storage, read> stats: array<vec2<f32>>;
@group(0) @binding(3) var<storage, read> gamma: array<f32>;
@group(0) @binding(4) var<storage, read> beta: array<f32>;
@group(0) @binding(5) var<storage, read_write> dx: array<f32>;
@group(0) @binding(6) var<storage, read_write> dgamma: array<f32>;
@group(0) @binding(7) var<storage, read_write> dbeta: array<f32>;
@group(0) @binding(8) var<uniform> u: U;

// dL/dz for the pre-activation z (the fused activation's mask applied).
fn dz(i: u32, xhat: f32, gm: f32, bt: f32) -> f32 {
  let z = xhat * gm + bt;
#if ACT_relu
  return select(0.0, dy[i], z > 0.0);
#else
#if ACT_relu6
  return select(0.0, dy[i], z > 0.0 && z < 6.0);
#else
  return dy[i];
#endif
#endif
}

@compute @workgroup_size(64)
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nw: vec3<u32>) {
  let t = gid.x + gid.y * nw.x * 64u;
  if (t >= u.g * u.c) { return; }
  let g = t / u.c;
  let c = t - g * u.c;
  let p = select(c, g * u.gstride + c, u.gstride != 0u);
  var gm = 1.0;
  var bt = 0.0;
#if HAS_GAMMA
  gm = gamma[p];
#endif
#if HAS_BETA
  bt = beta[p];
#endif
  let st = stats[t];
  let base = g * u.l * u.c + c;
  var s1 = 0.0;
  var s2 = 0.0;
  for (var k = 0u; k < u.l; k++) {
    let i = base + k * u.c;
    let xh = (x[i] - st.x) * st.y;
    let d = dz(i, xh, gm, bt);
    s1 += d;
    s2 += d * xh;
  }
  let inv = 1.0 / f32(u.l);
  let m1 = s1 * inv;
  let m2 = s2 * inv;
  let k0 = gm * st.y;
  for (var k = 0u; k < u.l; k++) {
    let i = base + k * u.c;
    let xh = (x[i] - st.x) * st.y;
    dx[i] = k0 * (dz(i, xh, gm, bt) - m1 - xh * m2);
  }
  dgamma[t] = s2;
  dbeta[t] = s1;
}
#endif
