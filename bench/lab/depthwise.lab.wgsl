// Lab-only depthwise forward variants (bench/lab/depthwise.ts), X4 layout (M = 1, C % 4 == 0),
// dilation 1. A thread owns T outputs along W x RO output rows for one channel vec4; each input
// row segment of NX = (T-1)*SW + KW vec4s is loaded once into registers and serves every tap and
// output row that uses it; the filter (KH*KW vec4s) is hoisted into registers.
struct U {
  N: u32, H: u32, W: u32, C: u32,
  OH: u32, OW: u32, M: u32, CM: u32,
  KH: u32, KW: u32, sh: u32, sw: u32,
  dh: u32, dw: u32, pt: i32, pl: i32,
  CV: u32, B: u32, total: u32, act: u32,
  hasBias: u32, R: u32, rows: u32, p0: u32,
}
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

@compute @workgroup_size({{WG}})
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nw: vec3<u32>) {
  let t = gid.x + gid.y * nw.x * {{WG}}u;
  if (t >= u.total) { return; }
  let ocv = t % u.CV;
  var r = t / u.CV;
  let owb = r % u.B;
  r = r / u.B; // n*ceil(OH/RO) + ohb
  let OHB = (u.OH + RO - 1u) / RO;
  let oh0 = (r % OHB) * RO;
  let n = r / OHB;
  let ow0 = owb * T;
  var wr: array<vec4<f32>, KH * KW>;
  for (var i = 0u; i < KH * KW; i++) { wr[i] = w[i * u.CV + ocv]; }
  var acc: array<vec4<f32>, T * RO>;
  let ih0 = i32(oh0 * SH) - u.pt;
  let iw0 = i32(ow0 * SW) - u.pl;
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
