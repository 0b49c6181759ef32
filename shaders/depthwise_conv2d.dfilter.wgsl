// Depthwise conv filter gradient (kernels/depthwise_conv2d.ts), without atomics:
//   dw[kh,kw,c,m] = sum_{n,oh,ow} x[n, oh*sh+kh*dh-pt, ow*sw+kw*dw-pl, c] * dy[n,oh,ow,c*M+m]
// A thread owns one (vec4 of) filter element(s) and one chunk of R output rows (of N*OH) and
// writes a partial sum to part[chunk, kh*KW+kw, CM]; the op sums the chunks (one reduce) when
// there is more than one. Modes X4 / G4 / scalar as in depthwise_conv2d.wgsl.
struct U {
  N: u32, H: u32, W: u32, C: u32,
  OH: u32, OW: u32, M: u32, CM: u32,
  KH: u32, KW: u32, sh: u32, sw: u32,
  dh: u32, dw: u32, pt: i32, pl: i32,
  CV: u32, B: u32, total: u32, act: u32,
  hasBias: u32, R: u32, rows: u32, p0: u32,
}
#if SCALAR
alias V = f32;
#else
alias V = vec4<f32>;
#endif
#if X4
@group(0) @binding(0) var<storage, read> x: array<vec4<f32>>;
#else
@group(0) @binding(0) var<storage, read> x: array<f32>;
#endif
@group(0) @binding(1) var<storage, read> dy: array<V>;
@group(0) @binding(2) var<storage, read_write> part: array<V>;
@group(0) @binding(3) var<uniform> u: U;

fn loadX(p: u32, ocv: u32, ci: vec4<u32>) -> V {
#if X4
  return x[p * u.CV + ocv];
#else
#if SCALAR
  return x[p * u.C + ci.x];
#else
  let base = p * u.C;
  return vec4<f32>(x[base + ci.x], x[base + ci.y], x[base + ci.z], x[base + ci.w]);
#endif
#endif
}

@compute @workgroup_size(64)
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nw: vec3<u32>) {
  let t = gid.x + gid.y * nw.x * 64u;
  if (t >= u.total) { return; }
  let ocv = t % u.CV;
  let r = t / u.CV;
  let KK = u.KH * u.KW;
  let k = r % KK;
  let chunk = r / KK;
  let kh = k / u.KW;
  let kw = k % u.KW;
#if SCALAR
  let ci = vec4<u32>(ocv / u.M, 0u, 0u, 0u);
#else
  let ci = (vec4<u32>(ocv * 4u) + vec4<u32>(0u, 1u, 2u, 3u)) / u.M;
#endif
  // the ow range whose input column is inside the image: iw = ow*sw + kw*dw - pl in [0, W)
  let off = i32(kw * u.dw) - u.pl;
  var owLo = 0;
  if (off < 0) { owLo = (-off + i32(u.sw) - 1) / i32(u.sw); }
  let lim = i32(u.W) - 1 - off;
  let owHi = select(0, min(i32(u.OW), lim / i32(u.sw) + 1), lim >= 0); // exclusive
  var acc = V(0.0);
  let r0 = chunk * u.R;
  let r1 = min(r0 + u.R, u.rows);
  for (var rr = r0; rr < r1; rr++) {
    let oh = rr % u.OH;
    let n = rr / u.OH;
    let ih = i32(oh * u.sh + kh * u.dh) - u.pt;
    if (ih < 0 || ih >= i32(u.H)) { continue; }
    let rowBase = (n * u.H + u32(ih)) * u.W;
    let dyBase = rr * u.OW;
    for (var ow = owLo; ow < owHi; ow++) {
      let iw = u32(ow * i32(u.sw) + off);
      acc += loadX(rowBase + iw, ocv, ci) * dy[(dyBase + u32(ow)) * u.CV + ocv];
    }
  }
  part[(chunk * KK + k) * u.CV + ocv] = acc;
}
