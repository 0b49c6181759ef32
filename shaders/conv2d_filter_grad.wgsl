// Filter gradient of conv2d as an implicit GEMM (NHWC x, HWIO dw):
//   dw[m, n] = sum_k A(m, k) dy[k, n],  m = (kh, kw, ci) (rows of dw viewed as [KH*KW*Cin, Cout]),
//   k = (b, oh, ow) output pixel, A(m, k) = x[b, oh*s + kh*d - pad, ow*s + kw*d - pad, ci] (zero
//   outside). Same lane layout as shaders/conv2d.wgsl (subgroup broadcast of A quads, a vec4 of
//   Cout columns per lane, TM rows per workgroup); k walks (b, oh) rows and 4 ow at a time, so
//   an A quad is 4 scalar loads of x (4 pixels of one channel) and a B chunk 4 rows of dy.
// Split-K: with few [M, Cout] tiles (e.g. a first layer, M = 3*3*3) the (b, oh) rows are cut
// into `splits` slices, each written to its own [M, Cout] slice of the output, summed afterwards.
// Defines: TM, R1/R2/R3, VEC_B (Cout % 4 == 0), SUBGROUP, B_T.
#if SUBGROUP
enable subgroups;
#endif

struct U {
  M: u32, OC: u32, IC: u32, KW: u32,
  NB: u32, OH: u32, OW: u32, H: u32,
  W: u32, sH: i32, sW: i32, dH: i32,
  dW: i32, pT: i32, pL: i32, tiles: u32,
  nTiles: u32, splits: u32, perSplit: u32, _p2: u32,  // split-K: (b, oh) rows perSplit at a time
}
@group(0) @binding(0) var<storage, read> a: array<f32>;
@group(0) @binding(1) var<storage, read> b: array<{{B_T}}>;
@group(0) @binding(2) var<storage, read_write> c: array<{{B_T}}>;
@group(0) @binding(3) var<uniform> u: U;

const TM = {{TM}}u;
alias Acc = array<vec4<f32>, TM>;
struct BChunk { b0: vec4<f32>, b1: vec4<f32>, b2: vec4<f32>, b3: vec4<f32> }

var<private> g0: u32;
var<private> cOff: u32;  // element offset of this split's slice of the output
#if !SUBGROUP
var<workgroup> sq: array<vec4<f32>, 32>;
#endif

// dy rows k0 .. k0+3 (the last `valid` of them real, the rest zero) at this lane's 4 columns.
fn bChunk(k0: u32, nvalid: u32) -> BChunk {
  let kc = vec4<u32>(k0) + min(vec4<u32>(0u, 1u, 2u, 3u), vec4<u32>(nvalid - 1u));
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
  if (nvalid < 2u) { o.b1 = vec4<f32>(); }
  if (nvalid < 3u) { o.b2 = vec4<f32>(); }
  if (nvalid < 4u) { o.b3 = vec4<f32>(); }
  return o;
}

// x at 4 pixels (iw = iw0 + j*sW, j < nvalid) of one row `rowOff` (pixel offset of (b, ih, 0)), channel ci.
fn aQuad(rowOff: i32, rowOk: bool, iw0: i32, ci: u32, nvalid: u32) -> vec4<f32> {
  let iw = vec4<i32>(iw0) + vec4<i32>(0, 1, 2, 3) * u.sW;
  let ok = vec4<bool>(rowOk) & (iw >= vec4<i32>(0)) & (iw < vec4<i32>(i32(u.W))) & (vec4<u32>(0u, 1u, 2u, 3u) < vec4<u32>(nvalid));
  let idx = vec4<u32>(select(vec4<i32>(0), vec4<i32>(rowOff) + iw, ok)) * u.IC + vec4<u32>(ci);
  return select(vec4<f32>(0.0), vec4<f32>(a[idx.x], a[idx.y], a[idx.z], a[idx.w]), ok);
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

fn storeRow(row: u32, v: vec4<f32>) {
  if (row >= u.M) { return; }
#if VEC_B
  if (g0 < u.OC / 4u) { c[(cOff + row * u.OC) / 4u + g0] = v; }
#else
  let n = g0 * 4u;
  let o = cOff + row * u.OC + n;
  if (n < u.OC) { c[o] = v.x; }
  if (n + 1u < u.OC) { c[o + 1u] = v.y; }
  if (n + 2u < u.OC) { c[o + 2u] = v.z; }
  if (n + 3u < u.OC) { c[o + 3u] = v.w; }
#endif
}

fn store8(acc: ptr<function, Acc>, i: u32, row0: u32) {
  storeRow(row0 + i, (*acc)[i]);
  storeRow(row0 + i + 1u, (*acc)[i + 1u]);
  storeRow(row0 + i + 2u, (*acc)[i + 2u]);
  storeRow(row0 + i + 3u, (*acc)[i + 3u]);
  storeRow(row0 + i + 4u, (*acc)[i + 4u]);
  storeRow(row0 + i + 5u, (*acc)[i + 5u]);
  storeRow(row0 + i + 6u, (*acc)[i + 6u]);
  storeRow(row0 + i + 7u, (*acc)[i + 7u]);
}

@compute @workgroup_size(8)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>,
        @builtin(local_invocation_index) l: u32) {
  let flat0 = wid.x + wid.y * nwg.x;
  if (flat0 >= u.tiles * u.splits) { return; }
  // split-K: workgroup `split` sums (b, oh) rows [bo0, bo1) into its own [M, Cout] slice
  let split = flat0 / u.tiles;
  let flat = flat0 % u.tiles;
  let bo0 = split * u.perSplit;
  let bo1 = min(bo0 + u.perSplit, u.NB * u.OH);
  cOff = split * u.M * u.OC;
  let nt = flat % u.nTiles;
  let row0 = (flat / u.nTiles) * TM;
  g0 = nt * 8u + l;

  // this lane's 4 rows (one per row group): (kh, kw, ci)
  let rows = min(vec4<u32>(row0 + l) + vec4<u32>(0u, 8u, 16u, 24u), vec4<u32>(u.M - 1u));
  let tap = rows / u.IC;
  let ci = rows % u.IC;
  let khd = vec4<i32>(tap / u.KW) * u.dH - vec4<i32>(u.pT);
  let iw0 = vec4<i32>(tap % u.KW) * u.dW - vec4<i32>(u.pL);
  let H = i32(u.H);
  let W = i32(u.W);

  var acc: Acc;
  let ow4s = (u.OW + 3u) / 4u;
  for (var bo = bo0; bo < bo1; bo++) {
    let bt = bo / u.OH;
    let oh = i32(bo % u.OH);
    let ih = vec4<i32>(oh * u.sH) + khd;
    let rowOk = (ih >= vec4<i32>(0)) & (ih < vec4<i32>(H));
    let rowOff = (vec4<i32>(i32(bt) * H) + ih) * W;
    let k0 = bo * u.OW;
    for (var q = 0u; q < ow4s; q++) {
      let ow = q * 4u;
      let nv = min(4u, u.OW - ow);
      let bc = bChunk(k0 + ow, nv);
      let iwq = iw0 + vec4<i32>(i32(ow) * u.sW);
#if SUBGROUP
      mac8(&acc, 0u, aQuad(rowOff.x, rowOk.x, iwq.x, ci.x, nv), bc);
#if R1
      mac8(&acc, 8u, aQuad(rowOff.y, rowOk.y, iwq.y, ci.y, nv), bc);
#endif
#if R2
      mac8(&acc, 16u, aQuad(rowOff.z, rowOk.z, iwq.z, ci.z, nv), bc);
#endif
#if R3
      mac8(&acc, 24u, aQuad(rowOff.w, rowOk.w, iwq.w, ci.w, nv), bc);
#endif
#else
      sq[l] = aQuad(rowOff.x, rowOk.x, iwq.x, ci.x, nv);
#if R1
      sq[l + 8u] = aQuad(rowOff.y, rowOk.y, iwq.y, ci.y, nv);
#endif
#if R2
      sq[l + 16u] = aQuad(rowOff.z, rowOk.z, iwq.z, ci.z, nv);
#endif
#if R3
      sq[l + 24u] = aQuad(rowOff.w, rowOk.w, iwq.w, ci.w, nv);
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
  store8(&acc, 0u, row0);
#if R1
  store8(&acc, 8u, row0);
#endif
#if R2
  store8(&acc, 16u, row0);
#endif
#if R3
  store8(&acc, 24u, row0);
#endif
}
