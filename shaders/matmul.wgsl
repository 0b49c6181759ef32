// C[b] = op(A[b]) · op(B[b]): the portable kernel (GPUs, and adapters without 8-wide subgroups).
// Workgroup-shared tiles: each step stages a BM x BK tile of A and a BK x BN tile of B in
// workgroup memory (vec4 loads where the contiguous dimension is a multiple of 4; transposes are
// absorbed here, in the load stage), then every thread accumulates a 4x4 block of C from them.
// Bounds are checked at load time (zero fill) and at store time, so no size needs to be a tile
// multiple.
//
// Overrides: WX, WY (workgroup size; BN = 4*WX, BM = 4*WY), BK (K per stage).
// Defines: VEC_A / VEC_B (the operand's contiguous dimension is a multiple of 4: vec4 loads along
// it), TRANS_A / TRANS_B (with VEC_*: the operand is stored transposed), VEC_C (N % 4 == 0),
// A_T/B_T/C_T (array element types). Without VEC_* an operand is read with scalar loads through
// the strides in U, transposed or not.
struct U {
  M: u32, N: u32, K: u32, batches: u32,
  mTiles: u32, rank: u32, sAm: u32, sAk: u32,  // element strides of A(m, k) and B(k, n), so the
  sBk: u32, sBn: u32, pad0: u32, pad1: u32,    // scalar paths serve every transpose combination
  shape: array<vec4<u32>, 2>,
  aStride: array<vec4<u32>, 2>,
  bStride: array<vec4<u32>, 2>,
}
@group(0) @binding(0) var<storage, read> a: array<{{A_T}}>;
@group(0) @binding(1) var<storage, read> b: array<{{B_T}}>;
@group(0) @binding(2) var<storage, read_write> c: array<{{C_T}}>;
@group(0) @binding(3) var<uniform> u: U;

override WX: u32 = 16u;
override WY: u32 = 16u;
override BK: u32 = 16u;

// As[k * BM + m]; Bs[k * WX + n / 4] holds columns n .. n+3.
var<workgroup> As: array<f32, BK * WY * 4u>;
var<workgroup> Bs: array<vec4<f32>, BK * WX>;

var<private> offA: u32;
var<private> offB: u32;

fn dimOf(v: array<vec4<u32>, 2>, d: u32) -> u32 { return v[d / 4u][d % 4u]; }

fn loadA(tid: u32, m0: u32, k0: u32) {
  let BM = WY * 4u;
  let T = WX * WY;
#if VEC_A
#if TRANS_A
  // A stored [K, M], M % 4 == 0: vec4 along M.
  for (var s = tid; s < BK * WY; s += T) {
    let k = s / WY;
    let m = (s % WY) * 4u;
    var v = vec4<f32>(0.0);
    if (k0 + k < u.K && m0 + m < u.M) { v = a[(offA + (k0 + k) * u.M + m0 + m) / 4u]; }
    As[k * BM + m] = v.x;
    As[k * BM + m + 1u] = v.y;
    As[k * BM + m + 2u] = v.z;
    As[k * BM + m + 3u] = v.w;
  }
#else
  // A stored [M, K], K % 4 == 0: vec4 along K.
  let kq = BK / 4u;
  for (var s = tid; s < BM * kq; s += T) {
    let m = s / kq;
    let k = (s % kq) * 4u;
    var v = vec4<f32>(0.0);
    if (m0 + m < u.M && k0 + k < u.K) { v = a[(offA + (m0 + m) * u.K + k0 + k) / 4u]; }
    As[k * BM + m] = v.x;
    As[(k + 1u) * BM + m] = v.y;
    As[(k + 2u) * BM + m] = v.z;
    As[(k + 3u) * BM + m] = v.w;
  }
#endif
#else
  // Neighbouring invocations walk the operand's contiguous dimension.
  let kFast = u.sAk == 1u;
  for (var s = tid; s < BM * BK; s += T) {
    let m = select(s % BM, s / BK, kFast);
    let k = select(s / BM, s % BK, kFast);
    var v = 0.0;
    if (m0 + m < u.M && k0 + k < u.K) { v = a[offA + (m0 + m) * u.sAm + (k0 + k) * u.sAk]; }
    As[k * BM + m] = v;
  }
#endif
}

fn loadB(tid: u32, n0: u32, k0: u32) {
  let BN = WX * 4u;
  let T = WX * WY;
#if VEC_B
#if TRANS_B
  // B stored [N, K], K % 4 == 0: vec4 along K.
  let kq = BK / 4u;
  for (var s = tid; s < BN * kq; s += T) {
    let n = s / kq;
    let k = (s % kq) * 4u;
    var v = vec4<f32>(0.0);
    if (n0 + n < u.N && k0 + k < u.K) { v = b[(offB + (n0 + n) * u.K + k0 + k) / 4u]; }
    Bs[k * WX + n / 4u][n % 4u] = v.x;
    Bs[(k + 1u) * WX + n / 4u][n % 4u] = v.y;
    Bs[(k + 2u) * WX + n / 4u][n % 4u] = v.z;
    Bs[(k + 3u) * WX + n / 4u][n % 4u] = v.w;
  }
#else
  // B stored [K, N], N % 4 == 0: one vec4 of columns per slot.
  for (var s = tid; s < BK * WX; s += T) {
    let k = s / WX;
    let n = n0 + (s % WX) * 4u;
    var v = vec4<f32>(0.0);
    if (k0 + k < u.K && n < u.N) { v = b[(offB + (k0 + k) * u.N + n) / 4u]; }
    Bs[s] = v;
  }
#endif
#else
  let nFast = u.sBn == 1u;
  for (var s = tid; s < BN * BK; s += T) {
    let n = select(s / BK, s % BN, nFast);
    let k = select(s % BK, s / BN, nFast);
    var v = 0.0;
    if (n0 + n < u.N && k0 + k < u.K) { v = b[offB + (k0 + k) * u.sBk + (n0 + n) * u.sBn]; }
    Bs[k * WX + n / 4u][n % 4u] = v;
  }
#endif
}

fn store(offC: u32, row: u32, n: u32, v: vec4<f32>) {
  if (row >= u.M) { return; }
#if VEC_C
  if (n < u.N) { c[(offC + row * u.N + n) / 4u] = v; }
#else
  let o = offC + row * u.N + n;
  if (n < u.N) { c[o] = v.x; }
  if (n + 1u < u.N) { c[o + 1u] = v.y; }
  if (n + 2u < u.N) { c[o + 2u] = v.z; }
  if (n + 3u < u.N) { c[o + 3u] = v.w; }
#endif
}

@compute @workgroup_size(WX, WY)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>,
        @builtin(local_invocation_id) lid: vec3<u32>) {
  let yz = wid.y + wid.z * nwg.y;
  // Uniform per workgroup, so every invocation leaves together (before any barrier).
  if (yz >= u.batches * u.mTiles) { return; }
  let batch = yz / u.mTiles;
  let BM = WY * 4u;
  let m0 = (yz % u.mTiles) * BM;
  let n0 = wid.x * WX * 4u;
  var rem = batch;
  offA = 0u;
  offB = 0u;
  for (var d = 0u; d < u.rank; d++) {
    let s = dimOf(u.shape, d);
    let i = rem % s;
    rem = rem / s;
    offA += i * dimOf(u.aStride, d);
    offB += i * dimOf(u.bStride, d);
  }
  let tid = lid.y * WX + lid.x;
  var acc = mat4x4<f32>();  // acc[i] = row ty*4+i, columns tx*4 .. +3
  for (var k0 = 0u; k0 < u.K; k0 += BK) {
    loadA(tid, m0, k0);
    loadB(tid, n0, k0);
    workgroupBarrier();
    for (var k = 0u; k < BK; k++) {
      let ai = k * BM + lid.y * 4u;
      let av = vec4<f32>(As[ai], As[ai + 1u], As[ai + 2u], As[ai + 3u]);
      let bv = Bs[k * WX + lid.x];
      acc[0] += av.x * bv;
      acc[1] += av.y * bv;
      acc[2] += av.z * bv;
      acc[3] += av.w * bv;
    }
    workgroupBarrier();
  }
  let offC = batch * u.M * u.N;
  let row = m0 + lid.y * 4u;
  let n = n0 + lid.x * 4u;
  store(offC, row, n, acc[0]);
  store(offC, row + 1u, n, acc[1]);
  store(offC, row + 2u, n, acc[2]);
  store(offC, row + 3u, n, acc[3]);
}
