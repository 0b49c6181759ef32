// Batched matrix multiply: C[...b] = op(A[...b]) · op(B[...b]), batch dims broadcast.
// Two kernels (bench/lab/matmul.ts has the measurements behind both and behind the tables):
//   shaders/matmul.subgroup.wgsl  CPU-backed adapters (lavapipe/llvmpipe) with 8-wide subgroups:
//                                 no shared memory, A rows handed between lanes by subgroupBroadcast.
//   shaders/matmul.wgsl           everything else: workgroup-shared tiles, 4x4 per thread.
import { memo } from '../src/gpu/memo.ts';
import { grid, Uniforms, type Program } from '../src/gpu/runtime.ts';
import type { Engine } from '../src/gpu/runtime.ts';
import { broadcastStrides, coalesce } from '../src/ops/util.ts';
import type { Shape } from '../src/tensor.ts';

/** Subgroup kernel: a workgroup of 8 lanes computes (8 * rowGroups) x (32 * colGroups) of C. */
export interface SubgroupConfig {
  kind: 'subgroup';
  rowGroups: 1 | 2 | 3 | 4;
  colGroups: 1 | 2 | 3 | 4;
  /** tiles are visited `group` row tiles at a time across all column tiles (default 1: row-major) */
  group?: number;
}
/** Tiled kernel: a wx x wy workgroup computes (4 * wy) x (4 * wx) of C, staging bk of K at a time. */
export interface TiledConfig { kind: 'tiled'; wx: number; wy: number; bk: number }
export type MatMulConfig = SubgroupConfig | TiledConfig;
export type MatMulKernel = MatMulConfig['kind'];

export interface MatMulDims {
  M: number;
  N: number;
  K: number;
  transposeA: boolean;
  transposeB: boolean;
  /** batch dims of a and b (everything but the last two), and their broadcast */
  aBatch: Shape;
  bBatch: Shape;
  batch: Shape;
}

/**
 * The subgroup kernel assumes 8-lane subgroups and pays off where loads are per-lane scalar
 * work (a CPU rasteriser); GPUs get the shared-memory kernel.
 */
export function preferredKernel(e: Pick<Engine, 'info' | 'adapter'>): MatMulKernel {
  const ai = e.adapter.info as GPUAdapterInfo & { subgroupMinSize?: number; subgroupMaxSize?: number };
  const eight = ai?.subgroupMinSize === 8 && ai?.subgroupMaxSize === 8;
  return e.info.isSoftware && e.info.features.subgroups && eight ? 'subgroup' : 'tiled';
}

/**
 * Tile configs per shape, from bench/lab/matmul.ts --sweep on lavapipe (2 cores). Subgroup
 * kernel: one vec4 column group per lane (32 columns per workgroup) beat 2 or 4 at every size,
 * since each extra column group adds as many B loads as it saves A loads; 3-4 row groups (24-32
 * rows) were fastest from 256 to 2048, and 6-8 spill (~9 GFLOP/s at 1024 against ~15). Short M
 * gets fewer row groups so no lane computes rows that are thrown away. Walking the column tiles
 * 8 row tiles at a time (`group`) gave 16-18 GFLOP/s at 2048 against 13 in row-major order, and
 * no measurable difference at 1024 and below.
 */
export function matMulConfig(M: number, N: number, kind: MatMulKernel): MatMulConfig {
  if (kind === 'subgroup') {
    const rowGroups = Math.min(4, Math.max(1, Math.ceil(M / 8))) as 1 | 2 | 3 | 4;
    return { kind, rowGroups, colGroups: 1, group: 8 };
  }
  // Tiled kernel (GPUs): 64x64 tiles, 32x32 where a 64-wide tile would be mostly empty. bk 32
  // beat 16 on lavapipe; 64x64 with bk 32 uses exactly WebGPU's default 16 KiB of workgroup memory.
  if (M <= 32 || N <= 32) return { kind, wx: 8, wy: 8, bk: 16 };
  return { kind, wx: 16, wy: 16, bk: 32 };
}

/** Batch dims coalesced, innermost first, with per-operand element strides (0 = broadcast). */
function batchLayout(d: MatMulDims): { shape: number[]; aStride: number[]; bStride: number[]; count: number } {
  const count = d.batch.reduce((x, y) => x * y, 1);
  const aS = broadcastStrides(d.aBatch, d.batch).map((s) => s * d.M * d.K);
  const bS = broadcastStrides(d.bBatch, d.batch).map((s) => s * d.K * d.N);
  const c = coalesce(d.batch, [aS, bS]);
  return { shape: c.shape.reverse(), aStride: c.strides[0].reverse(), bStride: c.strides[1].reverse(), count };
}

function buildMatMulProgram(d: MatMulDims, cfg: MatMulConfig): Program {
  const { M, N, K, transposeA: ta, transposeB: tb } = d;
  const lay = batchLayout(d);
  // vec4 access needs the contiguous dimension of that operand to be a multiple of 4.
  // Scalar paths take the transposes from strides, so one pipeline serves all four combinations.
  const vecA = cfg.kind === 'subgroup' ? !ta && K % 4 === 0 : (ta ? M : K) % 4 === 0;
  const vecB = (tb ? K : N) % 4 === 0;
  const vecC = N % 4 === 0;
  const defines = {
    TRANS_A: vecA && ta, TRANS_B: vecB && tb, VEC_A: vecA, VEC_B: vecB, VEC_C: vecC,
    A_T: vecA ? 'vec4<f32>' : 'f32', B_T: vecB ? 'vec4<f32>' : 'f32', C_T: vecC ? 'vec4<f32>' : 'f32',
  };
  const tm = cfg.kind === 'subgroup' ? 8 * cfg.rowGroups : 4 * cfg.wy;
  const tn = cfg.kind === 'subgroup' ? 32 * cfg.colGroups : 4 * cfg.wx;
  const mTiles = Math.ceil(M / tm);
  const nTiles = Math.ceil(N / tn);
  const [sAm, sAk] = ta ? [1, M] : [K, 1];
  const [sBk, sBn] = tb ? [1, K] : [N, 1];
  const group = cfg.kind === 'subgroup' ? cfg.group ?? 1 : 0;
  const uniforms = new Uniforms().u32(M, N, K, lay.count).u32(mTiles, lay.shape.length, sAm, sAk).u32(sBk, sBn, nTiles, group)
    .vec4u(lay.shape, 2, 1).vec4u(lay.aStride, 2).vec4u(lay.bStride, 2);
  if (cfg.kind === 'subgroup') {
    const [gx, gy] = grid(nTiles * mTiles * lay.count, 1);
    const nv = cfg.colGroups;
    return {
      shader: 'matmul.subgroup',
      label: 'matMul',
      defines: {
        ...defines, TM: tm, NV: nv, [`NV${nv}`]: true, ROW: nv === 1 ? 'vec4<f32>' : `mat${nv}x4<f32>`,
        R1: cfg.rowGroups > 1, R2: cfg.rowGroups > 2, R3: cfg.rowGroups > 3, KTAIL: K % 4 !== 0,
      },
      workgroups: [gx, gy],
      uniforms,
    };
  }
  const [gy, gz] = grid(mTiles * lay.count, 1);
  if (cfg.bk % 4 !== 0) throw new Error(`kiln: matMul: tile depth bk=${cfg.bk} must be a multiple of 4`);
  return {
    shader: 'matmul',
    label: 'matMul',
    defines,
    overrides: { WX: cfg.wx, WY: cfg.wy, BK: cfg.bk },
    workgroups: [nTiles, gy, gz],
    uniforms,
  };
}

/**
 * CPU reference with float64 accumulation. `a` is [...aBatch, M, K] (or [..., K, M] when
 * transposeA), `b` is [...bBatch, K, N] (or [..., N, K]); returns [...batch, M, N].
 */
export function matMulRef(
  a: ArrayLike<number>, aShape: Shape, b: ArrayLike<number>, bShape: Shape,
  transposeA = false, transposeB = false,
): { values: Float64Array; shape: number[] } {
  const ra = aShape.length;
  const rb = bShape.length;
  const M = transposeA ? aShape[ra - 1] : aShape[ra - 2];
  const K = transposeA ? aShape[ra - 2] : aShape[ra - 1];
  const N = transposeB ? bShape[rb - 2] : bShape[rb - 1];
  const aBatch = aShape.slice(0, -2);
  const bBatch = bShape.slice(0, -2);
  const r = Math.max(aBatch.length, bBatch.length);
  const batch: number[] = [];
  for (let i = 0; i < r; i++) {
    const x = aBatch[aBatch.length - r + i] ?? 1;
    const y = bBatch[bBatch.length - r + i] ?? 1;
    batch.push(x === 1 ? y : x);
  }
  const count = batch.reduce((x, y) => x * y, 1);
  const aS = broadcastStrides(aBatch, batch);
  const bS = broadcastStrides(bBatch, batch);
  const out = new Float64Array(count * M * N);
  for (let t = 0; t < count; t++) {
    let rem = t;
    let ia = 0;
    let ib = 0;
    for (let i = r - 1; i >= 0; i--) {
      const x = rem % batch[i];
      rem = Math.floor(rem / batch[i]);
      ia += x * aS[i];
      ib += x * bS[i];
    }
    const ao = ia * M * K;
    const bo = ib * K * N;
    for (let m = 0; m < M; m++) {
      for (let n = 0; n < N; n++) {
        let s = 0;
        for (let k = 0; k < K; k++) {
          const av = transposeA ? a[ao + k * M + m] : a[ao + m * K + k];
          const bv = transposeB ? b[bo + n * K + k] : b[bo + k * N + n];
          s += av * bv;
        }
        out[t * M * N + m * N + n] = s;
      }
    }
  }
  return { values: out, shape: [...batch, M, N] };
}

/** Memoised: the same dims and config give the same Program object. */
export const matMulProgram = memo(buildMatMulProgram);
