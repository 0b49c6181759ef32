// conv2d forward as a direct loop, for few input channels (a network's first layer: RGB, Cin <= 4)
// where the implicit GEMM (shaders/conv2d.wgsl) has a K of only KH*KW*Cin and wastes most of its
// 32-column tile on a narrow Cout. One thread per (PX output pixels along a row, chunk of NV vec4s
// of output channels). On lavapipe loads dominate: per tap and input channel a thread makes PX
// scalar x loads and NV vec4 filter loads for PX * NV vec4 FMAs. The chunk is the workgroup's y.
// Then bias and the activation. Same bindings and filter layout ([KH*KW*Cin, Cout]) as
// conv2d.wgsl's forward. Needs Cout % 4 == 0. The PX * NV accumulators are written out (DECL,
// FMA, STORE from kernels/conv2d.ts): lavapipe keeps a private array in memory.
struct U {
  P: u32, OC4: u32, IC: u32, KW: u32,           // P: threads along the pixels (N * OH * ceil(OW / PX))
  KH: u32, OW: u32, OWB: u32, H: u32,           // OWB = ceil(OW / PX)
  W: u32, sH: i32, sW: i32, dH: i32,
  dW: i32, pT: i32, pL: i32, hasBias: u32,
  act: u32, OH: u32, _p1: u32, _p2: u32,        // act: 0 linear, 1 relu, 2 relu6
}
@group(0) @binding(0) var<storage, read> x: array<f32>;
@group(0) @binding(1) var<storage, read> w: array<vec4<f32>>;
@group(0) @binding(2) var<storage, read> bias: array<vec4<f32>>;  // any buffer when !hasBias
@group(0) @binding(3) var<storage, read_write> y: array<vec4<f32>>;
@group(0) @binding(4) var<uniform> u: U;

fn epilogue(a: vec4<f32>, co: u32) -> vec4<f32> {
  var v = a;
  if (u.hasBias != 0u) { v += bias[co]; }
  if (u.act == 1u) { v = max(v, vec4<f32>(0.0)); }
  if (u.act == 2u) { v = clamp(v, vec4<f32>(0.0), vec4<f32>(6.0)); }
  return v;
}

// x at (b, ih, iw, c), zero outside the image (ih is checked by the caller)
fn xAt(rowBase: u32, iw: i32, c: u32) -> f32 {
  if (iw < 0 || iw >= i32(u.W)) { return 0.0; }
  return x[(rowBase + u32(iw)) * u.IC + c];
}

@compute @workgroup_size(64)
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(workgroup_id) wg: vec3<u32>) {
  let t = gid.x;
  if (t >= u.P) { return; }
  let co0 = wg.y * {{NV}}u;
  let owb = t % u.OWB;
  let r = t / u.OWB;
  let oh = r % u.OH;
  let b = r / u.OH;
  let ow0 = owb * {{PX}}u;
  let h0 = i32(oh) * u.sH - u.pT;
  let w0 = i32(ow0) * u.sW - u.pL;
  {{DECL}}
  for (var kh = 0u; kh < u.KH; kh++) {
    let ih = h0 + i32(kh) * u.dH;
    if (ih < 0 || ih >= i32(u.H)) { continue; }
    let rowBase = (b * u.H + u32(ih)) * u.W;
    for (var kw = 0u; kw < u.KW; kw++) {
      let iw = w0 + i32(kw) * u.dW;
      let wb = (kh * u.KW + kw) * u.IC * u.OC4 + co0;
      for (var c = 0u; c < u.IC; c++) {
        let wr = wb + c * u.OC4;
        {{FMA}}
      }
    }
  }
  let yb = ((b * u.OH + oh) * u.OW + ow0) * u.OC4 + co0;
  {{STORE}}
}
