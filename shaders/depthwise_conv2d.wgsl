// Depthwise 2-D convolution, NHWC (kernels/depthwise_conv2d.ts):
//   y[n,oh,ow,c*M+m] = act(b[c*M+m] + sum_{kh,kw} x[n, oh*sh+kh*dh-pt, ow*sw+kw*dw-pl, c] * w[kh,kw,c,m])
// The filter [KH,KW,C,M] is [KH*KW, CM] in memory (CM = C*M), so it is read as vec4s of output
// channels like y and the bias. Modes (defines), by how x is read for 4 output channels:
//   X4  M == 1 and C % 4 == 0: x as vec4s too (the MobileNet case)
//   G4  CM % 4 == 0, M > 1: the 4 input channels (oc+i)/M gathered as scalars
//   (none) scalar: one output channel per thread
// A thread owns T outputs along W for one (vec4 of) channel(s): each filter tap is loaded once
// for T outputs, and each input column once per row where the window is inside the image. Channels are fastest across lanes, so loads and stores are contiguous. No
// workgroup memory or barriers (costly on software Vulkan). act: 0 linear, 1 relu, 2 relu6.
struct U {
  N: u32, H: u32, W: u32, C: u32,
  OH: u32, OW: u32, M: u32, CM: u32,
  KH: u32, KW: u32, sh: u32, sw: u32,
  dh: u32, dw: u32, pt: i32, pl: i32,
  CV: u32, B: u32, total: u32, act: u32,
  hasBias: u32, R: u32, rows: u32, p0: u32,
}
#if TILE
// TILE (X4 layout, dilation 1; kernels/depthwise_conv2d.ts picks it): a thread owns T outputs
// along W x RO output rows for one channel vec4. Each input row segment of NX = (T-1)*SW + KW
// vec4s is loaded once into registers and serves every tap and output row that uses it (NR input
// rows for RO output rows); the filter (KH*KW vec4s) is hoisted into registers. Kernel size and
// strides are text constants here (they size the register arrays). Measured in
// bench/lab/depthwise.ts: 1.4-1.8x over the T-outputs kernel below on MobileNet's 3x3 s1 and s2
// (T 4 x RO 6).
@group(0) @binding(0) var<storage, read> x: array<vec4<f32>>;
@group(0) @binding(1) var<storage, read> w: array<vec4<f32>>;
@group(0) @binding(2) var<storage, read> b: array<vec4<f32>>;
@group(0) @binding(3) var<storage, read_write> y: array<vec4<f32>>;
@group(0) @binding(4) var<uniform> u: U;

const T = {{T}}u;
const RO = {{RO}}u;
const KH = {{KH}}u;
const KW = {{KW}}u;
const SH = {{SH}}u;
const SW = {{SW}}u;
const NX = (T - 1u) * SW + KW;
const NR = (RO - 1u) * SH + KH;

@compute @workgroup_size(64)
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nw: vec3<u32>) {
  let t = gid.x + gid.y * nw.x * 64u;
  if (t >= u.total) { return; }
  let ocv = t % u.CV;
  var r = t / u.CV;
  let owb = r % u.B;
  r = r / u.B; // n*ceil(OH/RO) + row block
  let OHB = (u.OH + RO - 1u) / RO;
  let oh0 = (r % OHB) * RO;
  let n = r / OHB;
  let ow0 = owb * T;
  var wr: array<vec4<f32>, KH * KW>;
  for (var i = 0u; i < KH * KW; i++) { wr[i] = w[i * u.CV + ocv]; }
  var acc: array<vec4<f32>, T * RO>;
  let ih0 = i32(oh0 * SH) - u.pt;
  let iw0 = i32(ow0 * SW) - u.pl;
  // the whole row segment inside the image: no per-load bounds checks
  let inside = iw0 >= 0 && iw0 + i32(NX) <= i32(u.W);
  for (var ir = 0u; ir < NR; ir++) {
    let ih = ih0 + i32(ir);
    if (ih < 0 || ih >= i32(u.H)) { continue; }
    let rowBase = (n * u.H + u32(ih)) * u.W;
    var xr: array<vec4<f32>, NX>;
    if (inside) {
      let p0 = (rowBase + u32(iw0)) * u.CV + ocv;
      for (var i = 0u; i < NX; i++) { xr[i] = x[p0 + i * u.CV]; }
    } else {
      for (var i = 0u; i < NX; i++) {
        let iw = iw0 + i32(i);
        if (iw >= 0 && iw < i32(u.W)) { xr[i] = x[(rowBase + u32(iw)) * u.CV + ocv]; }
        else { xr[i] = vec4<f32>(0.0); }
      }
    }
    for (var ro = 0u; ro < RO; ro++) {
      let kh = i32(ir) - i32(ro * SH);
      if (kh < 0 || kh >= i32(KH)) { continue; }
      for (var kw = 0u; kw < KW; kw++) {
        let wv = wr[u32(kh) * KW + kw];
        for (var j = 0u; j < T; j++) {
          acc[ro * T + j] += xr[j * SW + kw] * wv;
        }
      }
    }
  }
  var bias = vec4<f32>(0.0);
  if (u.hasBias != 0u) { bias = b[ocv]; }
  for (var ro = 0u; ro < RO; ro++) {
    let oh = oh0 + ro;
    if (oh >= u.OH) { break; }
    let outBase = (n * u.OH + oh) * u.OW;
    for (var j = 0u; j < T; j++) {
      let ow = ow0 + j;
      if (ow >= u.OW) { break; }
      var v = acc[ro * T + j] + bias;
      if (u.act == 1u) { v = max(v, vec4<f32>(0.0)); }
      else if (u.act == 2u) { v = clamp(v, vec4<f32>(0.0), vec4<f32>(6.0)); }
      y[(outBase + ow) * u.CV + ocv] = v;
    }
  }
}
#else
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
@group(0) @binding(1) var<storage, read> w: array<V>;
@group(0) @binding(2) var<storage, read> b: array<V>;
@group(0) @binding(3) var<storage, read_write> y: array<V>;
@group(0) @binding(4) var<uniform> u: U;

const T = {{T}}u;
// Kernel size, strides and dilations are pipeline constants: the tap loops unroll and the
// window offsets fold, so loads of the same input column are shared between outputs. On lavapipe
// (process CPU time, loaded 2-core machine): 3x3 s1 [1,112,112,32] 14-17 vs 17-21 cpu-ms with
// uniform loops; 3x3 s2 [1,112,112,64] unchanged (8-10). A model uses a few combinations.
override KH: u32 = 3u;
override KW: u32 = 3u;
override SH: u32 = 1u;
override SW: u32 = 1u;
override DH: u32 = 1u;
override DW: u32 = 1u;

// x at pixel p (flat n*H*W + ih*W + iw) for this thread's channels: ci = input channel offsets
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
  var r = t / u.CV;
  let owb = r % u.B;
  r = r / u.B; // n*OH + oh
  let oh = r % u.OH;
  let n = r / u.OH;
  let ow0 = owb * T;
#if SCALAR
  let ci = vec4<u32>(ocv / u.M, 0u, 0u, 0u);
#else
  let ci = (vec4<u32>(ocv * 4u) + vec4<u32>(0u, 1u, 2u, 3u)) / u.M;
#endif
  var acc: array<V, T>;
  let ih0 = i32(oh * SH) - u.pt;
  let iw0 = i32(ow0 * SW) - u.pl;
  // the whole window of this thread's T outputs inside the row: no per-load bounds checks
  let inside = iw0 >= 0 && iw0 + i32((T - 1u) * SW + (KW - 1u) * DW) < i32(u.W);
  for (var kh = 0u; kh < KH; kh++) {
    let ih = ih0 + i32(kh * DH);
    if (ih < 0 || ih >= i32(u.H)) { continue; }
    let rowBase = (n * u.H + u32(ih)) * u.W;
    if (inside) {
      let p0 = rowBase + u32(iw0);
      for (var kw = 0u; kw < KW; kw++) {
        let wv = w[(kh * KW + kw) * u.CV + ocv];
        for (var j = 0u; j < T; j++) {
          acc[j] += loadX(p0 + j * SW + kw * DW, ocv, ci) * wv;
        }
      }
    } else {
      for (var kw = 0u; kw < KW; kw++) {
        let wv = w[(kh * KW + kw) * u.CV + ocv];
        let iwk = iw0 + i32(kw * DW);
        for (var j = 0u; j < T; j++) {
          let iw = iwk + i32(j * SW);
          if (iw >= 0 && iw < i32(u.W)) {
            acc[j] += loadX(rowBase + u32(iw), ocv, ci) * wv;
          }
        }
      }
    }
  }
  var bias = V(0.0);
  if (u.hasBias != 0u) { bias = b[ocv]; }
  let outBase = r * u.OW;
  for (var j = 0u; j < T; j++) {
    let ow = ow0 + j;
    if (ow >= u.OW) { break; }
    var v = acc[j] + bias;
    if (u.act == 1u) { v = max(v, V(0.0)); }
    else if (u.act == 2u) { v = clamp(v, V(0.0), V(6.0)); }
    y[(outBase + ow) * u.CV + ocv] = v;
  }
}
#endif
