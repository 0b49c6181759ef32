// Normalisation over the middle axis of x viewed as [G, L, C] (NHWC): instance norm (G = N,
// L = H*W), batch norm with batch statistics (G = 1, L = N*H*W) and conditional instance norm
// (per-(g, c) gamma/beta). Software adapters run a workgroup per core and dislike barriers
// (kernels/reduce.ts), so the sums are thread-per-(g, chunk, c) streams: L is cut into `k`
// chunks of `lc` rows so that there are a few hundred threads even when G*C is small (N = 1,
// C = 32 in style transfer), then a thread per (g, c) merges the chunks.
// stats is planar [2, G, C]: mean, then rstd = 1/sqrt(var + eps) (biased variance).
// Modes (defines):
//   PARTIAL   part[(g*k + j)*C + c] = (mean, M2) of chunk j (two passes over the chunk).
//   STATS     stats from x directly (k == 1) or, with CHUNKED, from the parts (Chan's merge).
//   APPLY     y = act(gamma * (x - mean) * rstd + beta), one thread per element (V lanes).
//   BPART     planar [2, G*k, C] chunk sums of dz*xhat (plane 0) and dz (plane 1); with k == 1 these
//             are dgamma/dbeta per (g, c).
//   BFIN      sums the k chunks: dgb planar [2, G, C] = (dgamma, dbeta) per (g, c).
//   DX        dx = gamma * rstd * (dz - dbeta/L - xhat * dgamma/L), one thread per element.
// HAS_GAMMA / HAS_BETA: affine parameters present (else 1 and 0); [G, C] when gstride = C, [C]
// when 0. ACT_relu / ACT_relu6: fused activation (dz = dy masked where it is flat).
// V is f32, or vec4<f32> when C % 4 == 0 (APPLY, DX: cv and gsv count vec4s).
struct U {
  g: u32, l: u32, c: u32, gstride: u32,
  eps: f32, k: u32, lc: u32, cv: u32,
  gsv: u32, p0: u32, p1: u32, p2: u32,
}

#if PARTIAL
@group(0) @binding(0) var<storage, read> x: array<f32>;
@group(0) @binding(1) var<storage, read_write> part: array<vec2<f32>>;
@group(0) @binding(2) var<uniform> u: U;

@compute @workgroup_size(64)
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nw: vec3<u32>) {
  let t = gid.x + gid.y * nw.x * 64u;
  if (t >= u.g * u.k * u.c) { return; }
  let gk = t / u.c;
  let c = t - gk * u.c;
  let g = gk / u.k;
  let j = gk - g * u.k;
  let l0 = j * u.lc;
  let l1 = min(l0 + u.lc, u.l);
  let base = g * u.l * u.c + c;
  var s = 0.0;
  for (var r = l0; r < l1; r++) { s += x[base + r * u.c]; }
  let n = f32(max(l1, l0) - l0);
  let mean = select(0.0, s / n, n > 0.0);
  var q = 0.0;
  for (var r = l0; r < l1; r++) { let d = x[base + r * u.c] - mean; q += d * d; }
  part[t] = vec2<f32>(mean, q);
}
#endif

#if STATS
#if CHUNKED
@group(0) @binding(0) var<storage, read> part: array<vec2<f32>>;
#else
@group(0) @binding(0) var<storage, read> x: array<f32>;
#endif
@group(0) @binding(1) var<storage, read_write> stats: array<f32>;
@group(0) @binding(2) var<uniform> u: U;

@compute @workgroup_size(64)
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nw: vec3<u32>) {
  let t = gid.x + gid.y * nw.x * 64u;
  let gc = u.g * u.c;
  if (t >= gc) { return; }
  let g = t / u.c;
  let c = t - g * u.c;
#if CHUNKED
  // Chan et al.: merge (n, mean, M2) of consecutive chunks
  var n = 0.0;
  var mean = 0.0;
  var m2 = 0.0;
  for (var j = 0u; j < u.k; j++) {
    let l0 = j * u.lc;
    let nb = f32(min(l0 + u.lc, u.l) - min(l0, u.l));
    if (nb == 0.0) { continue; }
    let p = part[(g * u.k + j) * u.c + c];
    let tot = n + nb;
    let d = p.x - mean;
    mean += d * nb / tot;
    m2 += p.y + d * d * n * nb / tot;
    n = tot;
  }
  let variance = m2 / f32(u.l);
#else
  let base = g * u.l * u.c + c;
  var s = 0.0;
  for (var r = 0u; r < u.l; r++) { s += x[base + r * u.c]; }
  let mean = s / f32(u.l);
  var q = 0.0;
  for (var r = 0u; r < u.l; r++) { let d = x[base + r * u.c] - mean; q += d * d; }
  let variance = q / f32(u.l);
#endif
  stats[t] = mean;
  stats[gc + t] = inverseSqrt(variance + u.eps);
}
#endif

#if APPLY
alias V = {{V}};
@group(0) @binding(0) var<storage, read> x: array<V>;
@group(0) @binding(1) var<storage, read> stats: array<V>;
@group(0) @binding(2) var<storage, read> gamma: array<V>;
@group(0) @binding(3) var<storage, read> beta: array<V>;
@group(0) @binding(4) var<storage, read_write> y: array<V>;
@group(0) @binding(5) var<uniform> u: U;

@compute @workgroup_size(256)
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nw: vec3<u32>) {
  let i = gid.x + gid.y * nw.x * 256u;
  let lc = u.l * u.cv;
  if (i >= u.g * lc) { return; }
  let g = i / lc;
  let c = i % u.cv;
  let s = g * u.cv + c;
  let p = g * u.gsv + c;
  var z = (x[i] - stats[s]) * stats[u.g * u.cv + s];
#if HAS_GAMMA
  z = z * gamma[p];
#endif
#if HAS_BETA
  z = z + beta[p];
#endif
#if ACT_relu
  z = max(z, V(0.0));
#endif
#if ACT_relu6
  z = clamp(z, V(0.0), V(6.0));
#endif
  y[i] = z;
}
#endif

#if BPART
@group(0) @binding(0) var<storage, read> x: array<f32>;
@group(0) @binding(1) var<storage, read> dy: array<f32>;
@group(0) @binding(2) var<storage, read> stats: array<f32>;
@group(0) @binding(3) var<storage, read> gamma: array<f32>;
@group(0) @binding(4) var<storage, read> beta: array<f32>;
@group(0) @binding(5) var<storage, read_write> part: array<f32>;
@group(0) @binding(6) var<uniform> u: U;

@compute @workgroup_size(64)
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nw: vec3<u32>) {
  let t = gid.x + gid.y * nw.x * 64u;
  let total = u.g * u.k * u.c;
  if (t >= total) { return; }
  let gk = t / u.c;
  let c = t - gk * u.c;
  let g = gk / u.k;
  let j = gk - g * u.k;
  let p = g * u.gstride + c;
  var gm = 1.0;
  var bt = 0.0;
#if HAS_GAMMA
  gm = gamma[p];
#endif
#if HAS_BETA
  bt = beta[p];
#endif
  let mean = stats[g * u.c + c];
  let rstd = stats[u.g * u.c + g * u.c + c];
  let l0 = j * u.lc;
  let l1 = min(l0 + u.lc, u.l);
  let base = g * u.l * u.c + c;
  var s1 = 0.0;
  var s2 = 0.0;
  for (var r = l0; r < l1; r++) {
    let i = base + r * u.c;
    let xh = (x[i] - mean) * rstd;
    var d = dy[i];
#if ACT_relu
    d = select(0.0, d, xh * gm + bt > 0.0);
#endif
#if ACT_relu6
    let z = xh * gm + bt;
    d = select(0.0, d, z > 0.0 && z < 6.0);
#endif
    s1 += d;
    s2 += d * xh;
  }
  part[t] = s2;
  part[total + t] = s1;
}
#endif

#if BFIN
@group(0) @binding(0) var<storage, read> part: array<f32>;
@group(0) @binding(1) var<storage, read_write> dgb: array<f32>;
@group(0) @binding(2) var<uniform> u: U;

@compute @workgroup_size(64)
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nw: vec3<u32>) {
  let t = gid.x + gid.y * nw.x * 64u;
  let gc = u.g * u.c;
  if (t >= gc) { return; }
  let g = t / u.c;
  let c = t - g * u.c;
  let total = u.g * u.k * u.c;
  var s1 = 0.0;
  var s2 = 0.0;
  for (var j = 0u; j < u.k; j++) {
    let q = (g * u.k + j) * u.c + c;
    s2 += part[q];
    s1 += part[total + q];
  }
  dgb[t] = s2;
  dgb[gc + t] = s1;
}
#endif

#if DX
alias V = {{V}};
@group(0) @binding(0) var<storage, read> x: array<V>;
@group(0) @binding(1) var<storage, read> dy: array<V>;
@group(0) @binding(2) var<storage, read> stats: array<V>;
@group(0) @binding(3) var<storage, read> gamma: array<V>;
@group(0) @binding(4) var<storage, read> beta: array<V>;
@group(0) @binding(5) var<storage, read> dgb: array<V>;
@group(0) @binding(6) var<storage, read_write> dx: array<V>;
@group(0) @binding(7) var<uniform> u: U;

@compute @workgroup_size(256)
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nw: vec3<u32>) {
  let i = gid.x + gid.y * nw.x * 256u;
  let lc = u.l * u.cv;
  if (i >= u.g * lc) { return; }
  let g = i / lc;
  let c = i % u.cv;
  let s = g * u.cv + c;
  let gcv = u.g * u.cv;
  let p = g * u.gsv + c;
  var gm = V(1.0);
  var bt = V(0.0);
#if HAS_GAMMA
  gm = gamma[p];
#endif
#if HAS_BETA
  bt = beta[p];
#endif
  let rstd = stats[gcv + s];
  let xh = (x[i] - stats[s]) * rstd;
  var d = dy[i];
#if ACT_relu
  d = select(V(0.0), d, xh * gm + bt > V(0.0));
#endif
#if ACT_relu6
  let z = xh * gm + bt;
  d = select(V(0.0), d, (z > V(0.0)) & (z < V(6.0)));
#endif
  let inv = 1.0 / f32(u.l);
  dx[i] = gm * rstd * (d - dgb[gcv + s] * inv - xh * (dgb[s] * inv));
}
#endif
