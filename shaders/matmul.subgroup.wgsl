// C[b] = op(A[b]) · op(B[b]) for CPU-backed adapters (lavapipe/llvmpipe, subgroup size 8).
//
// Why this shape (measured in bench/lab/matmul.ts): llvmpipe runs the 8 invocations of a
// subgroup as the lanes of one SIMD register, and turns every storage or workgroup load inside a
// loop into 8 per-lane scalar loads with a bounds check each. Loads, not FMAs, are the cost, and
// staging tiles in workgroup memory only adds loads and barriers. So: no shared memory. Each lane
// loads its own B columns (vec4) and one vec4 of A per 8 rows; the A values every lane needs are
// handed around with subgroupBroadcast (an in-register shuffle), so one A load feeds 8 rows.
//
// One workgroup = one subgroup of 8 lanes = a TM x (32*NV) block of C. Lane l owns columns
// 4*(8q + l) .. +3 of the block for q < NV, and all TM rows; its accumulators are TM `Row`s
// (a vec4 or matNVx4: NV vec4 column groups). K advances 4 at a time.
//
// Every per-row/per-column step is written out (helper functions called with constant
// arguments, #if per row group) rather than looped: if NIR cannot unroll a loop that indexes the
// accumulators it moves them to scratch memory and the kernel gets 3-5x slower.
//
// Defines: TM (rows per workgroup, 8 * row groups), R1/R2/R3 (row groups 2..4 present),
// NV (vec4 column groups per lane), NV1..NV4, ROW (vec4<f32> or matNVx4<f32>),
// VEC_A (A is [M, K] with K % 4 == 0: vec4 loads along K), VEC_B (B's contiguous dimension is a
// multiple of 4: vec4 loads along it), TRANS_B (with VEC_B: B is stored [N, K]), VEC_C (N % 4 == 0),
// KTAIL (K % 4 != 0), A_T/B_T/C_T (array element types: f32 or vec4<f32>). Without VEC_A/VEC_B
// the operand is read with scalar loads through the strides in U, transposed or not.
enable subgroups;

struct U {
  M: u32, N: u32, K: u32, batches: u32,
  mTiles: u32, rank: u32, sAm: u32, sAk: u32,  // element strides of A(m, k) and B(k, n), so the
  sBk: u32, sBn: u32, nTiles: u32, group: u32, // scalar paths serve every transpose combination
  shape: array<vec4<u32>, 2>,    // coalesced batch dims, innermost first
  aStride: array<vec4<u32>, 2>,  // element strides of A per batch dim (0 = broadcast)
  bStride: array<vec4<u32>, 2>,
}
@group(0) @binding(0) var<storage, read> a: array<{{A_T}}>;
@group(0) @binding(1) var<storage, read> b: array<{{B_T}}>;
@group(0) @binding(2) var<storage, read_write> c: array<{{C_T}}>;
@group(0) @binding(3) var<uniform> u: U;

const TM = {{TM}}u;
const NV = {{NV}}u;
alias Row = {{ROW}};
alias Acc = array<Row, TM>;
struct BChunk { b0: Row, b1: Row, b2: Row, b3: Row }

var<private> offA: u32;    // element offset of this batch's A
var<private> offB: u32;
var<private> offC: u32;
var<private> g0: u32;      // this lane's first vec4 column group (column 4 * g0)

fn dimOf(v: array<vec4<u32>, 2>, d: u32) -> u32 { return v[d / 4u][d % 4u]; }

// A: 4 consecutive k (from 4 * k4) of row `row` (already clamped to M - 1).
fn aQuad(row: u32, k4: u32) -> vec4<f32> {
#if VEC_A
  return a[(offA + row * u.K) / 4u + k4];
#else
  let k = k4 * 4u;
  let kc = min(vec4<u32>(k) + vec4<u32>(0u, 1u, 2u, 3u), vec4<u32>(u.K - 1u)) * u.sAk;
  let base = offA + row * u.sAm;
  let v = vec4<f32>(a[base + kc.x], a[base + kc.y], a[base + kc.z], a[base + kc.w]);
  return select(vec4<f32>(0.0), v, vec4<u32>(k) + vec4<u32>(0u, 1u, 2u, 3u) < vec4<u32>(u.K));
#endif
}

// B for k = 4*k4 .. +3 at this lane's 4 columns of group q, as a matrix whose column kk holds
// B[4*k4 + kk][n .. n+3].
fn bBlock(k4: u32, q: u32) -> mat4x4<f32> {
  let g = g0 + 8u * q;
#if VEC_B
#if TRANS_B
  // B stored [N, K], K % 4 == 0: one vec4 along K per column, transposed in registers.
  let n = min(vec4<u32>(g * 4u) + vec4<u32>(0u, 1u, 2u, 3u), vec4<u32>(u.N - 1u));
  let t = mat4x4<f32>(b[(offB + n.x * u.K) / 4u + k4], b[(offB + n.y * u.K) / 4u + k4],
                      b[(offB + n.z * u.K) / 4u + k4], b[(offB + n.w * u.K) / 4u + k4]);
  return transpose(t);
#else
  // B stored [K, N], N % 4 == 0: one vec4 of columns per k.
  let kc = min(vec4<u32>(k4 * 4u) + vec4<u32>(0u, 1u, 2u, 3u), vec4<u32>(u.K - 1u));
  let n4 = u.N / 4u;
  let base = offB / 4u + min(g, n4 - 1u);
  return mat4x4<f32>(b[base + kc.x * n4], b[base + kc.y * n4], b[base + kc.z * n4], b[base + kc.w * n4]);
#endif
#else
  let kc = min(vec4<u32>(k4 * 4u) + vec4<u32>(0u, 1u, 2u, 3u), vec4<u32>(u.K - 1u)) * u.sBk;
  let n = min(vec4<u32>(g * 4u) + vec4<u32>(0u, 1u, 2u, 3u), vec4<u32>(u.N - 1u)) * u.sBn + vec4<u32>(offB);
  return mat4x4<f32>(
    vec4<f32>(b[kc.x + n.x], b[kc.x + n.y], b[kc.x + n.z], b[kc.x + n.w]),
    vec4<f32>(b[kc.y + n.x], b[kc.y + n.y], b[kc.y + n.z], b[kc.y + n.w]),
    vec4<f32>(b[kc.z + n.x], b[kc.z + n.y], b[kc.z + n.z], b[kc.z + n.w]),
    vec4<f32>(b[kc.w + n.x], b[kc.w + n.y], b[kc.w + n.z], b[kc.w + n.w]));
#endif
}

fn bChunk(k4: u32) -> BChunk {
#if NV1
  let t0 = bBlock(k4, 0u);
  var o = BChunk(t0[0], t0[1], t0[2], t0[3]);
#endif
#if NV2
  let t0 = bBlock(k4, 0u);
  let t1 = bBlock(k4, 1u);
  var o = BChunk(Row(t0[0], t1[0]), Row(t0[1], t1[1]), Row(t0[2], t1[2]), Row(t0[3], t1[3]));
#endif
#if NV3
  let t0 = bBlock(k4, 0u);
  let t1 = bBlock(k4, 1u);
  let t2 = bBlock(k4, 2u);
  var o = BChunk(Row(t0[0], t1[0], t2[0]), Row(t0[1], t1[1], t2[1]), Row(t0[2], t1[2], t2[2]), Row(t0[3], t1[3], t2[3]));
#endif
#if NV4
  let t0 = bBlock(k4, 0u);
  let t1 = bBlock(k4, 1u);
  let t2 = bBlock(k4, 2u);
  let t3 = bBlock(k4, 3u);
  var o = BChunk(Row(t0[0], t1[0], t2[0], t3[0]), Row(t0[1], t1[1], t2[1], t3[1]), Row(t0[2], t1[2], t2[2], t3[2]), Row(t0[3], t1[3], t2[3], t3[3]));
#endif
#if KTAIL
  // Past K the A side is already zero; zeroing B too keeps 0 * Inf from making a NaN.
  let k = k4 * 4u;
  if (k + 1u >= u.K) { o.b1 = Row(); }
  if (k + 2u >= u.K) { o.b2 = Row(); }
  if (k + 3u >= u.K) { o.b3 = Row(); }
#endif
  return o;
}

// acc[i .. i+7] += (rows i..i+7 of the A quad held by lanes 0..7) x B chunk.
fn mac8(acc: ptr<function, Acc>, i: u32, v: vec4<f32>, bc: BChunk) {
  var x = subgroupBroadcast(v, 0u); (*acc)[i] += bc.b0 * x.x + bc.b1 * x.y + bc.b2 * x.z + bc.b3 * x.w;
  x = subgroupBroadcast(v, 1u); (*acc)[i + 1u] += bc.b0 * x.x + bc.b1 * x.y + bc.b2 * x.z + bc.b3 * x.w;
  x = subgroupBroadcast(v, 2u); (*acc)[i + 2u] += bc.b0 * x.x + bc.b1 * x.y + bc.b2 * x.z + bc.b3 * x.w;
  x = subgroupBroadcast(v, 3u); (*acc)[i + 3u] += bc.b0 * x.x + bc.b1 * x.y + bc.b2 * x.z + bc.b3 * x.w;
  x = subgroupBroadcast(v, 4u); (*acc)[i + 4u] += bc.b0 * x.x + bc.b1 * x.y + bc.b2 * x.z + bc.b3 * x.w;
  x = subgroupBroadcast(v, 5u); (*acc)[i + 5u] += bc.b0 * x.x + bc.b1 * x.y + bc.b2 * x.z + bc.b3 * x.w;
  x = subgroupBroadcast(v, 6u); (*acc)[i + 6u] += bc.b0 * x.x + bc.b1 * x.y + bc.b2 * x.z + bc.b3 * x.w;
  x = subgroupBroadcast(v, 7u); (*acc)[i + 7u] += bc.b0 * x.x + bc.b1 * x.y + bc.b2 * x.z + bc.b3 * x.w;
}

fn storeGroup(row: u32, q: u32, v: vec4<f32>) {
  let g = g0 + 8u * q;
#if VEC_C
  if (g < u.N / 4u) { c[(offC + row * u.N) / 4u + g] = v; }
#else
  let n = g * 4u;
  let o = offC + row * u.N + n;
  if (n < u.N) { c[o] = v.x; }
  if (n + 1u < u.N) { c[o + 1u] = v.y; }
  if (n + 2u < u.N) { c[o + 2u] = v.z; }
  if (n + 3u < u.N) { c[o + 3u] = v.w; }
#endif
}

fn storeRow(row: u32, v: Row) {
  if (row >= u.M) { return; }
#if NV1
  storeGroup(row, 0u, v);
#else
  storeGroup(row, 0u, v[0]);
  storeGroup(row, 1u, v[1]);
#endif
#if NV3
  storeGroup(row, 2u, v[2]);
#endif
#if NV4
  storeGroup(row, 2u, v[2]);
  storeGroup(row, 3u, v[3]);
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
        @builtin(subgroup_invocation_id) l: u32) {
  // x and y together enumerate (batch, tile); see grid() in kernels/matmul.ts.
  let flat = wid.x + wid.y * nwg.x;
  let per = u.mTiles * u.nTiles;
  if (flat >= u.batches * per) { return; }
  let batch = flat / per;
  let t = flat % per;
  // `group` consecutive row tiles walk the column tiles together, so the B columns they share
  // are still in cache for the next one.
  let span = u.group * u.nTiles;
  let first = (t / span) * u.group;
  let rows = min(u.mTiles - first, u.group);
  let row0 = (first + (t % span) % rows) * TM;
  let nt = (t % span) / rows;
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
  offC = batch * u.M * u.N;
  g0 = nt * NV * 8u + l;
  let rowA = min(vec4<u32>(row0 + l) + vec4<u32>(0u, 8u, 16u, 24u), vec4<u32>(u.M - 1u));

  var acc: Acc;
  let k4s = (u.K + 3u) / 4u;
  for (var k4 = 0u; k4 < k4s; k4++) {
    let bc = bChunk(k4);
    mac8(&acc, 0u, aQuad(rowA.x, k4), bc);
#if R1
    mac8(&acc, 8u, aQuad(rowA.y, k4), bc);
#endif
#if R2
    mac8(&acc, 16u, aQuad(rowA.z, k4), bc);
#endif
#if R3
    mac8(&acc, 24u, aQuad(rowA.w, k4), bc);
#endif
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
