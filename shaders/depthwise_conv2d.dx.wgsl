// Depthwise conv input gradient (kernels/depthwise_conv2d.ts):
//   dx[n,ih,iw,c] = sum_{kh,kw,m} dy[n,oh,ow,c*M+m] * w[kh,kw,c,m]
//   where oh*sh = ih + pt - kh*dh and ow*sw = iw + pl - kw*dw (skipped unless divisible, in range)
// Modes: X4 (M == 1, C % 4 == 0: vec4 of channels throughout), else scalar per input channel
// with a loop over the multiplier. A thread owns T inputs along W (each tap loaded once for T).
struct U {
  N: u32, H: u32, W: u32, C: u32,
  OH: u32, OW: u32, M: u32, CM: u32,
  KH: u32, KW: u32, sh: u32, sw: u32,
  dh: u32, dw: u32, pt: i32, pl: i32,
  CV: u32, B: u32, total: u32, act: u32,
  hasBias: u32, R: u32, rows: u32, p0: u32,
}
#if TILE
// TILE (X4, stride 1, dilation 1, kernels up to 3x3; kernels/depthwise_conv2d.ts): dx is the
// forward convolution of dy with the flipped filter and pads KH-1-pt, KW-1-pl, computed as the
// forward TILE path does (T inputs along W x RO input rows per thread, each dy row segment loaded
// once into registers, filter in registers). Here H, W are dy's (OH, OW of the op) and OH, OW dx's.
@group(0) @binding(0) var<storage, read> dy: array<vec4<f32>>;
@group(0) @binding(1) var<storage, read> w: array<vec4<f32>>;
@group(0) @binding(2) var<storage, read_write> dx: array<vec4<f32>>;
@group(0) @binding(3) var<uniform> u: U;

const T = {{T}}u;
const RO = {{RO}}u;
const KH = {{KH}}u;
const KW = {{KW}}u;
const NX = T - 1u + KW;
const NR = RO - 1u + KH;

@compute @workgroup_size(64)
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nw: vec3<u32>) {
  let t = gid.x + gid.y * nw.x * 64u;
  if (t >= u.total) { return; }
  let ocv = t % u.CV;
  var r = t / u.CV;
  let owb = r % u.B;
  r = r / u.B;
  let OHB = (u.OH + RO - 1u) / RO;
  let oh0 = (r % OHB) * RO;
  let n = r / OHB;
  let ow0 = owb * T;
  var wr: array<vec4<f32>, KH * KW>;
  for (var i = 0u; i < KH * KW; i++) { wr[i] = w[(KH * KW - 1u - i) * u.CV + ocv]; }
  var acc: array<vec4<f32>, T * RO>;
  let ih0 = i32(oh0) - u.pt;
  let iw0 = i32(ow0) - u.pl;
  let inside = iw0 >= 0 && iw0 + i32(NX) <= i32(u.W);
  for (var ir = 0u; ir < NR; ir++) {
    let ih = ih0 + i32(ir);
    if (ih < 0 || ih >= i32(u.H)) { continue; }
    let rowBase = (n * u.H + u32(ih)) * u.W;
    var xr: array<vec4<f32>, NX>;
    if (inside) {
      let p0 = (rowBase + u32(iw0)) * u.CV + ocv;
      for (var i = 0u; i < NX; i++) { xr[i] = dy[p0 + i * u.CV]; }
    } else {
      for (var i = 0u; i < NX; i++) {
        let iw = iw0 + i32(i);
        if (iw >= 0 && iw < i32(u.W)) { xr[i] = dy[(rowBase + u32(iw)) * u.CV + ocv]; }
        else { xr[i] = vec4<f32>(0.0); }
      }
    }
    for (var ro = 0u; ro < RO; ro++) {
      let kh = i32(ir) - i32(ro);
      if (kh < 0 || kh >= i32(KH)) { continue; }
      for (var kw = 0u; kw < KW; kw++) {
        let wv = wr[u32(kh) * KW + kw];
        for (var j = 0u; j < T; j++) {
          acc[ro * T + j] += xr[j + kw] * wv;
        }
      }
    }
  }
  for (var ro = 0u; ro < RO; ro++) {
    let oh = oh0 + ro;
    if (oh >= u.OH) { break; }
    let outBase = (n * u.OH + oh) * u.OW;
    for (var j = 0u; j < T; j++) {
      let ow = ow0 + j;
      if (ow >= u.OW) { break; }
      dx[(outBase + ow) * u.CV + ocv] = acc[ro * T + j];
    }
  }
}
#else
#if X4
alias V = vec4<f32>;
#else
alias V = f32;
#endif
@group(0) @binding(0) var<storage, read> dy: array<V>;
@group(0) @binding(1) var<storage, read> w: array<V>;
@group(0) @binding(2) var<storage, read_write> dx: array<V>;
@group(0) @binding(3) var<uniform> u: U;

const T = {{T}}u;
// pipeline constants, as in the forward pass: the stride divisibility tests fold (stride 1) or
// become masks (stride 2) instead of integer divisions by uniforms. lavapipe, cpu-ms:
// [1,112,112,32] 3x3 s1 21-24 vs 32-36 with uniforms; [1,112,112,64] s2 16-17 vs 28-32.
override KH: u32 = 3u;
override KW: u32 = 3u;
override SH: u32 = 1u;
override SW: u32 = 1u;
override DH: u32 = 1u;
override DW: u32 = 1u;

@compute @workgroup_size(64)
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nw: vec3<u32>) {
  let t = gid.x + gid.y * nw.x * 64u;
  if (t >= u.total) { return; }
  // CV: vec4s (X4) or channels per pixel of dx
  let cv = t % u.CV;
  var r = t / u.CV;
  let iwb = r % u.B;
  r = r / u.B; // n*H + ih
  let ih = i32(r % u.H);
  let n = r / u.H;
  let iw0 = iwb * T;
  var acc: array<V, T>;
  let sh = i32(SH);
  let sw = i32(SW);
  for (var kh = 0u; kh < KH; kh++) {
    let ohs = ih + u.pt - i32(kh * DH);
    if (ohs < 0 || ohs % sh != 0) { continue; }
    let oh = u32(ohs / sh);
    if (oh >= u.OH) { continue; }
    let dyRow = (n * u.OH + oh) * u.OW;
    for (var kw = 0u; kw < KW; kw++) {
      let ows0 = i32(iw0) + u.pl - i32(kw * DW);
#if X4
      let wv = w[(kh * KW + kw) * u.CV + cv];
#endif
      for (var j = 0u; j < T; j++) {
        let ows = ows0 + i32(j);
        if (ows < 0 || ows % sw != 0) { continue; }
        let ow = u32(ows / sw);
        if (ow >= u.OW) { continue; }
#if X4
        acc[j] += dy[(dyRow + ow) * u.CV + cv] * wv;
#else
        let dyBase = (dyRow + ow) * u.CM + cv * u.M;
        let wBase = (kh * KW + kw) * u.CM + cv * u.M;
        for (var m = 0u; m < u.M; m++) {
          acc[j] += dy[dyBase + m] * w[wBase + m];
        }
#endif
      }
    }
  }
  let outBase = r * u.W;
  for (var j = 0u; j < T; j++) {
    let iw = iw0 + j;
    if (iw >= u.W) { break; }
    dx[(outBase + iw) * u.CV + cv] = acc[j];
  }
}
#endif
