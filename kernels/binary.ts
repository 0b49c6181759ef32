// Elementwise binary ops with broadcasting (shaders/binary.wgsl) and where/select (shaders/select.wgsl).
import { memo } from '../src/gpu/memo.ts';
import { grid, Uniforms, type Program } from '../src/gpu/runtime.ts';
import { wgslType, type DType, type Shape } from '../src/tensor.ts';
import { broadcastStrides, coalesce, contiguousStrides } from '../src/ops/util.ts';
import { ITEMS_PER_THREAD } from './unary.ts';

export const ARITH_OPS = ['add', 'sub', 'mul', 'div', 'maximum', 'minimum', 'pow', 'squaredDifference'] as const;
export const COMPARE_OPS = ['equal', 'notEqual', 'less', 'lessEqual', 'greater', 'greaterEqual', 'logicalAnd', 'logicalOr'] as const;
export type BinaryOp = (typeof ARITH_OPS)[number] | (typeof COMPARE_OPS)[number];

/** Rows per thread on the row-broadcast path (bench/lab/binary.ts: 16 beat 1 and 4 on lavapipe). */
const ROWS_PER_THREAD = 16;

export function isCompare(op: BinaryOp): boolean {
  return (COMPARE_OPS as readonly string[]).includes(op);
}

function sameShape(a: Shape, b: Shape): boolean {
  return a.length === b.length && a.every((d, i) => d === b[i]);
}

function buildBinaryProgram(op: BinaryOp, dtype: DType, aShape: Shape, bShape: Shape, outShape: Shape): Program {
  const n = outShape.reduce((x, y) => x * y, 1);
  const t = wgslType(dtype);
  const to = isCompare(op) ? 'u32' : t;
  const base = { [`OP_${op}`]: true, T: t, TO: to, FLOAT: dtype === 'float32' };
  if (sameShape(aShape, bShape)) {
    const vec4 = n % 4 === 0 && n >= 4;
    const items = vec4 ? n / 4 : n;
    return {
      shader: 'binary', label: op,
      defines: { ...base, VEC4: vec4, BOOLV: vec4 ? 'vec4<bool>' : 'bool', UV: vec4 ? 'vec4<u32>' : 'u32' },
      overrides: { K: ITEMS_PER_THREAD },
      workgroups: grid(items, 64 * ITEMS_PER_THREAD),
      uniforms: new Uniforms().u32(items, 0, 0, 0).vec4u([], 2).vec4u([], 2).vec4u([], 2),
    };
  }
  const c = coalesce(outShape, [broadcastStrides(aShape, outShape), broadcastStrides(bShape, outShape)]);
  const rank = c.shape.length;
  const cols = c.shape[rank - 1];
  const [ia, ib] = [c.strides[0][rank - 1], c.strides[1][rank - 1]];
  if (rank >= 1 && cols % 4 === 0 && cols >= 16 && ia <= 1 && ib <= 1 && ia + ib >= 1) {
    // Row path: vec4 along the last dimension, no per-element index arithmetic.
    const rows = n / cols;
    const full = (st: number[]) => st.every((v, i) => v === contiguousStrides(c.shape)[i]);
    return {
      shader: 'binary', label: op,
      defines: {
        ...base, ROWS: true, VEC4: true, A_SCALAR: ia === 0, B_SCALAR: ib === 0,
        A_FULL: full(c.strides[0]), B_FULL: full(c.strides[1]), BOOLV: 'vec4<bool>', UV: 'vec4<u32>',
        RANK2: rank <= 2, A_ROWCONST: rank === 1 || c.strides[0][0] === 0, B_ROWCONST: rank === 1 || c.strides[1][0] === 0,
      },
      overrides: { RP: ROWS_PER_THREAD },
      workgroups: grid((cols / 4) * Math.ceil(rows / ROWS_PER_THREAD), 64),
      uniforms: new Uniforms().u32(n, rank, rows, cols).vec4u(c.shape, 2, 1).vec4u(c.strides[0], 2).vec4u(c.strides[1], 2),
    };
  }
  return {
    shader: 'binary', label: op,
    defines: { ...base, BCAST: true, BOOLV: 'bool', UV: 'u32' },
    workgroups: grid(n, 256),
    uniforms: new Uniforms().u32(n, rank, 0, 0).vec4u(c.shape, 2, 1).vec4u(c.strides[0], 2).vec4u(c.strides[1], 2),
  };
}

function buildSelectProgram(dtype: DType, cShape: Shape, aShape: Shape, bShape: Shape, outShape: Shape): Program {
  const n = outShape.reduce((x, y) => x * y, 1);
  const c = coalesce(outShape, [cShape, aShape, bShape].map((s) => broadcastStrides(s, outShape)));
  return {
    shader: 'select', label: 'where',
    defines: { T: wgslType(dtype) },
    workgroups: grid(n, 256),
    uniforms: new Uniforms().u32(n, c.shape.length, 0, 0).vec4u(c.shape, 2, 1)
      .vec4u(c.strides[0], 2).vec4u(c.strides[1], 2).vec4u(c.strides[2], 2),
  };
}

const REF: Record<BinaryOp, (a: number, b: number) => number> = {
  add: (a, b) => a + b,
  sub: (a, b) => a - b,
  mul: (a, b) => a * b,
  div: (a, b) => a / b,
  maximum: (a, b) => (Number.isNaN(a) || Number.isNaN(b) ? NaN : Math.max(a, b)),
  minimum: (a, b) => (Number.isNaN(a) || Number.isNaN(b) ? NaN : Math.min(a, b)),
  pow: (a, b) => Math.pow(a, b),
  squaredDifference: (a, b) => (a - b) * (a - b),
  equal: (a, b) => +(a === b),
  notEqual: (a, b) => +(a !== b),
  less: (a, b) => +(a < b),
  lessEqual: (a, b) => +(a <= b),
  greater: (a, b) => +(a > b),
  greaterEqual: (a, b) => +(a >= b),
  logicalAnd: (a, b) => +(a !== 0 && b !== 0),
  logicalOr: (a, b) => +(a !== 0 || b !== 0),
};

/** Walks the broadcast output and calls f(outIndex, indices into each input). */
export function broadcastWalk(outShape: Shape, inShapes: Shape[], f: (i: number, idx: number[]) => void): void {
  const strides = inShapes.map((s) => broadcastStrides(s, outShape));
  const outStr = contiguousStrides(outShape);
  const n = outShape.reduce((x, y) => x * y, 1);
  const idx = new Array<number>(inShapes.length);
  for (let i = 0; i < n; i++) {
    idx.fill(0);
    let rem = i;
    for (let d = 0; d < outShape.length; d++) {
      const k = Math.floor(rem / outStr[d]);
      rem -= k * outStr[d];
      for (let j = 0; j < strides.length; j++) idx[j] += k * strides[j][d];
    }
    f(i, idx);
  }
}

/** CPU reference, float64 (integer dtypes truncate division like the GPU). */
export function binaryRef(op: BinaryOp, a: ArrayLike<number>, aShape: Shape, b: ArrayLike<number>, bShape: Shape, outShape: Shape, intDiv = false): Float64Array {
  const out = new Float64Array(outShape.reduce((x, y) => x * y, 1));
  const f = intDiv && op === 'div' ? (x: number, y: number) => Math.trunc(x / y) : REF[op];
  broadcastWalk(outShape, [aShape, bShape], (i, [ia, ib]) => { out[i] = f(a[ia], b[ib]); });
  return out;
}

export function selectRef(c: ArrayLike<number>, cShape: Shape, a: ArrayLike<number>, aShape: Shape, b: ArrayLike<number>, bShape: Shape, outShape: Shape): Float64Array {
  const out = new Float64Array(outShape.reduce((x, y) => x * y, 1));
  broadcastWalk(outShape, [cShape, aShape, bShape], (i, [ic, ia, ib]) => { out[i] = c[ic] !== 0 ? a[ia] : b[ib]; });
  return out;
}

/** Memoised: the same arguments give the same Program object. */
export const binaryProgram = memo(buildBinaryProgram);

/** Memoised: the same arguments give the same Program object. */
export const selectProgram = memo(buildSelectProgram);
