// conv2d as an implicit GEMM, NHWC activations, HWIO filters. Two uses of one kernel:
//   forward        y[m, n] = act(bias[n] + sum_k A(m, k) B(k, n)),  m = (b, oh, ow) output pixel,
//                  k = (kh, kw, ci), A(m, k) = x[b, oh*s + kh*d - pad, ow*s + kw*d - pad, ci]
//                  (zero outside), B = filter viewed as [KH*KW*Cin, Cout].
//   transposed     dx[m, n] = sum_k A(m, k) B(k, n), m = (b, ih, iw) input pixel, k = (kh, kw, co),
//                  rows taken one phase (ih % s, iw % s) per workgroup so that only the taps that
//                  line up with that phase are visited (1/s^2 of them),
//                  A(m, k) = dy[b, (ih + pad - kh*d) / s, ..., co] where the division is exact
//                  and in range (zero elsewhere), B = filter transposed to [KH, KW, Cout, Cin].
// In both, "IC" is the channel count of the tensor read through A (Cin forward, Cout for dx)
// and "OC" the output channel count; SH x SW is that tensor's spatial size.
//
// Structure as shaders/matmul.subgroup.wgsl (see its header and bench/lab/matmul.ts: on lavapipe
// loads dominate): a workgroup is one subgroup of 8 lanes computing TM rows x 32 columns. Lane l
// owns the vec4 column group g0 = 8*nt + l and rows row0 + l + 8r of the A loads; the A quads
// are handed to the other lanes by subgroupBroadcast. The k loop runs over filter taps (kh, kw)
// outside and channel quads inside, so a tap's pixel offsets and bounds are computed once per tap
// (no divisions in the inner loop) and, when IC % 4 == 0, each A quad is one vec4 load.
// Without subgroups (GPUs) the quads go through workgroup memory instead.
//
// Defines (few, since lavapipe compiles each variant at its first dispatch): TM (8 * row groups),
// R1/R2/R3 (row groups 2..4 present), VEC_A (IC % 4 == 0), VEC_B (OC % 4 == 0: B rows and the
// output read/written as vec4), CTAIL (IC % 4 != 0), SUBGROUP, A_T / B_T (array element types).
// Forward vs transposed, bias and activation are uniforms: they cost a branch per tap or per store.
#if SUBGROUP
enable subgroups;
#endif

struct U {
  M: u32, OC: u32, IC: u32, KW: u32,
  KHW: u32, nTiles: u32, tiles: u32, OW: u32,   // OW, OHW: output grid of the GEMM rows
  OHW: u32, SH: u32, SW: u32, sH: i32,          // SH x SW: spatial size of the A tensor
  sW: i32, dH: i32, dW: i32, pT: i32,
  pL: i32, transposed: u32, hasBias: u32, act: u32,  // act: 0 linear, 1 relu, 2 relu6
  tilesPerPhase: u32, outH: u32, outW: u32, _p0: u32, // transposed: per-phase tiles, dx's H x W
}
@group(0) @binding(0) var<storage, read> a: array<{{A_T}}>;
@group(0) @binding(1) var<storage, read> b: array<{{B_T}}>;
@group(0) @binding(2) var<storage, read> bias: array<f32>;  // any buffer when !hasBias
@group(0) @binding(3) var<storage, read_write> c: array<{{B_T}}>;
@group(0) @binding(4) var<uniform> u: U;

const TM = {{TM}}u;
alias Acc = array<vec4<f32>, TM>;
struct BChunk { b0: vec4<f32>, b1: vec4<f32>, b2: vec4<f32>, b3: vec4<f32> }

var<private> g0: u32;
var<private> ph: u32;  // transposed: this workgroup's phase (dx rows with ih % sH == ph, iw % sW == pw)
var<private> pw: u32;
#if !SUBGROUP
var<workgroup> sq: array<vec4<f32>, 32>;
#endif

// B rows k0 .. k0+3 at this lane's 4 columns; rows whose channel (c + j) is past IC are zero.
fn bChunk(k0: u32, c: u32) -> BChunk {
  let K = u.KHW * u.IC;
  let kc = min(vec4<u32>(k0) + vec4<u32>(0u, 1u, 2u, 3u), vec4<u32>(K - 1u));
#if VEC_B
  let n4 = u.OC / 4u;
  let gg = min(g0, n4 - 1u);
  var o = BChunk(b[kc.x * n4 + gg], b[kc.y * n4 + gg], b[kc.z * n4 + gg], b[kc.w * n4 + gg]);
#else
  let n = min(vec4<u32>(g0 * 4u) + vec4<u32>(0u, 1u, 2u, 3u), vec4<u32>(u.OC - 1u));
  let r = kc * u.OC;
  var o = BChunk(
    vec4<f32>(b[r.x + n.x], b[r.x + n.y], b[r.x + n.z], b[r.x + n.w]),
    vec4<f32>(b[r.y + n.x], b[r.y + n.y], b[r.y + n.z], b[r.y + n.w]),
    vec4<f32>(b[r.z + n.x], b[r.z + n.y], b[r.z + n.z], b[r.z + n.w]),
    vec4<f32>(b[r.w + n.x], b[r.w + n.y], b[r.w + n.z], b[r.w + n.w]));
#endif
#if CTAIL
  if (c + 1u >= u.IC) { o.b1 = vec4<f32>(); }
  if (c + 2u >= u.IC) { o.b2 = vec4<f32>(); }
  if (c + 3u >= u.IC) { o.b3 = vec4<f32>(); }
#endif
  return o;
}

// A quad: channels c .. c+3 at element offset `off` of a pixel (zero when the pixel is padding).
fn aQuad(off: u32, ok: bool, c: u32) -> vec4<f32> {
#if VEC_A
  return select(vec4<f32>(0.0), a[(off + c) / 4u], ok);
#else
  let cc = min(vec4<u32>(c) + vec4<u32>(0u, 1u, 2u, 3u), vec4<u32>(u.IC - 1u)) + vec4<u32>(off);
  let v = vec4<f32>(a[cc.x], a[cc.y], a[cc.z], a[cc.w]);
  let m = (vec4<u32>(c) + vec4<u32>(0u, 1u, 2u, 3u) < vec4<u32>(u.IC)) & vec4<bool>(ok);
  return select(vec4<f32>(0.0), v, m);
#endif
}

fn fma4(acc: ptr<function, Acc>, i: u32, x: vec4<f32>, bc: BChunk) {
  (*acc)[i] += bc.b0 * x.x + bc.b1 * x.y + bc.b2 * x.z + bc.b3 * x.w;
}

// acc[i .. i+7] += (the A quads of rows i .. i+7) x B chunk.
fn mac8(acc: ptr<function, Acc>, i: u32, v: vec4<f32>, bc: BChunk) {
#if SUBGROUP
  fma4(acc, i, subgroupBroadcast(v, 0u), bc);
  fma4(acc, i + 1u, subgroupBroadcast(v, 1u), bc);
  fma4(acc, i + 2u, subgroupBroadcast(v, 2u), bc);
  fma4(acc, i + 3u, subgroupBroadcast(v, 3u), bc);
  fma4(acc, i + 4u, subgroupBroadcast(v, 4u), bc);
  fma4(acc, i + 5u, subgroupBroadcast(v, 5u), bc);
  fma4(acc, i + 6u, subgroupBroadcast(v, 6u), bc);
  fma4(acc, i + 7u, subgroupBroadcast(v, 7u), bc);
#else
  fma4(acc, i, sq[i], bc);
  fma4(acc, i + 1u, sq[i + 1u], bc);
  fma4(acc, i + 2u, sq[i + 2u], bc);
  fma4(acc, i + 3u, sq[i + 3u], bc);
  fma4(acc, i + 4u, sq[i + 4u], bc);
  fma4(acc, i + 5u, sq[i + 5u], bc);
  fma4(acc, i + 6u, sq[i + 6u], bc);
  fma4(acc, i + 7u, sq[i + 7u], bc);
#endif
}

fn epilogue(v: vec4<f32>, bv: vec4<f32>) -> vec4<f32> {
  var r = v + bv;
  if (u.act == 1u) { r = max(r, vec4<f32>(0.0)); }
  if (u.act == 2u) { r = clamp(r, vec4<f32>(0.0), vec4<f32>(6.0)); }
  return r;
}

fn storeRow(m: u32, v: vec4<f32>) {
  if (m >= u.M) { return; }
  var row = m;
  if (u.transposed != 0u) {
    // m = (b, qh, qw) of this phase: dx pixel (qh*sH + ph, qw*sW + pw), if inside dx
    let q = m % u.OHW;
    let ih = (q / u.OW) * u32(u.sH) + ph;
    let iw = (q % u.OW) * u32(u.sW) + pw;
    if (ih >= u.outH || iw >= u.outW) { return; }
    row = ((m / u.OHW) * u.outH + ih) * u.outW + iw;
  }
#if VEC_B
  if (g0 < u.OC / 4u) { c[row * (u.OC / 4u) + g0] = v; }
#else
  let n = g0 * 4u;
  let o = row * u.OC + n;
  if (n < u.OC) { c[o] = v.x; }
  if (n + 1u < u.OC) { c[o + 1u] = v.y; }
  if (n + 2u < u.OC) { c[o + 2u] = v.z; }
  if (n + 3u < u.OC) { c[o + 3u] = v.w; }
#endif
}

fn store8(acc: ptr<function, Acc>, i: u32, row0: u32, bv: vec4<f32>) {
  storeRow(row0 + i, epilogue((*acc)[i], bv));
  storeRow(row0 + i + 1u, epilogue((*acc)[i + 1u], bv));
  storeRow(row0 + i + 2u, epilogue((*acc)[i + 2u], bv));
  storeRow(row0 + i + 3u, epilogue((*acc)[i + 3u], bv));
  storeRow(row0 + i + 4u, epilogue((*acc)[i + 4u], bv));
  storeRow(row0 + i + 5u, epilogue((*acc)[i + 5u], bv));
  storeRow(row0 + i + 6u, epilogue((*acc)[i + 6u], bv));
  storeRow(row0 + i + 7u, epilogue((*acc)[i + 7u], bv));
}

@compute @workgroup_size(8)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>,
        @builtin(local_invocation_index) l: u32) {
  let flat0 = wid.x + wid.y * nwg.x;
  if (flat0 >= u.tiles) { return; }
  let phase = flat0 / u.tilesPerPhase;
  // lets, not the private copies, in the tap loop: the uniformity analysis needs to see them
  let phU = phase / u32(u.sW);
  let pwU = phase % u32(u.sW);
  ph = phU;
  pw = pwU;
  let flat = flat0 % u.tilesPerPhase;
  // column tiles innermost: neighbouring workgroups read the same pixels
  let nt = flat % u.nTiles;
  let row0 = (flat / u.nTiles) * TM;
  g0 = nt * 8u + l;

  // this lane's 4 A rows (one per row group) as (batch pixel offset, oh, ow)
  let rows = min(vec4<u32>(row0 + l) + vec4<u32>(0u, 8u, 16u, 24u), vec4<u32>(u.M - 1u));
  let bi = rows / u.OHW;
  let rr = rows % u.OHW;
  let oh = vec4<i32>(rr / u.OW);
  let ow = vec4<i32>(rr % u.OW);
  let bOff = vec4<i32>(bi * u.SH * u.SW);
  let SH = i32(u.SH);
  let SW = i32(u.SW);

  var acc: Acc;
  let c4s = (u.IC + 3u) / 4u;
  for (var p = 0u; p < u.KHW; p++) {
    let kh = i32(p / u.KW);
    let kw = i32(p % u.KW);
    var ih: vec4<i32>;
    var iw: vec4<i32>;
    if (u.transposed != 0u) {
      // rows of one phase: dy row oh = qh + (ph + pT - kh*dH) / sH when that division is exact
      // (the same for the whole workgroup: other taps skip), likewise for columns.
      let th = i32(phU) + u.pT - kh * u.dH;
      let tw = i32(pwU) + u.pL - kw * u.dW;
      if (th % u.sH != 0 || tw % u.sW != 0) { continue; }
      ih = oh + vec4<i32>(th / u.sH);
      iw = ow + vec4<i32>(tw / u.sW);
    } else {
      ih = oh * u.sH + vec4<i32>(kh * u.dH - u.pT);
      iw = ow * u.sW + vec4<i32>(kw * u.dW - u.pL);
    }
    let ok = (ih >= vec4<i32>(0)) & (iw >= vec4<i32>(0)) & (ih < vec4<i32>(SH)) & (iw < vec4<i32>(SW));
    let off = vec4<u32>(select(vec4<i32>(0), bOff + ih * SW + iw, ok)) * u.IC;
    let k0 = p * u.IC;
    for (var c4 = 0u; c4 < c4s; c4++) {
      let c = c4 * 4u;
      let bc = bChunk(k0 + c, c);
#if SUBGROUP
      mac8(&acc, 0u, aQuad(off.x, ok.x, c), bc);
#if R1
      mac8(&acc, 8u, aQuad(off.y, ok.y, c), bc);
#endif
#if R2
      mac8(&acc, 16u, aQuad(off.z, ok.z, c), bc);
#endif
#if R3
      mac8(&acc, 24u, aQuad(off.w, ok.w, c), bc);
#endif
#else
      sq[l] = aQuad(off.x, ok.x, c);
#if R1
      sq[l + 8u] = aQuad(off.y, ok.y, c);
#endif
#if R2
      sq[l + 16u] = aQuad(off.z, ok.z, c);
#endif
#if R3
      sq[l + 24u] = aQuad(off.w, ok.w, c);
#endif
      workgroupBarrier();
      mac8(&acc, 0u, vec4<f32>(), bc);
#if R1
      mac8(&acc, 8u, vec4<f32>(), bc);
#endif
#if R2
      mac8(&acc, 16u, vec4<f32>(), bc);
#endif
#if R3
      mac8(&acc, 24u, vec4<f32>(), bc);
#endif
      workgroupBarrier();
#endif
    }
  }

  var bv = vec4<f32>(0.0);
  if (u.hasBias != 0u) {
    let n = min(vec4<u32>(g0 * 4u) + vec4<u32>(0u, 1u, 2u, 3u), vec4<u32>(u.OC - 1u));
    bv = vec4<f32>(bias[n.x], bias[n.y], bias[n.z], bias[n.w]);
  }
  store8(&acc, 0u, row0, bv);
#if R1
  store8(&acc, 8u, row0, bv);
#endif
#if R2
  store8(&acc, 16u, row0, bv);
#endif
#if R3
  store8(&acc, 24u, row0, bv);
#endif
}
