// Shared validation helpers: every error names the op, the shapes and what was expected.
import { Tensor, fmtShape, type DType, type Shape } from '../tensor.ts';

export class KilnOpError extends Error {
  constructor(op: string, message: string) {
    super(`kiln.${op}: ${message}`);
    this.name = 'KilnOpError';
  }
}

export function fail(op: string, message: string): never {
  throw new KilnOpError(op, message);
}

export function assertTensor(op: string, name: string, x: unknown): asserts x is Tensor {
  if (!(x instanceof Tensor)) fail(op, `argument '${name}' must be a kiln Tensor, got ${x === null ? 'null' : typeof x}`);
  x.assertAlive(op);
}

export function assertDtype(op: string, name: string, x: Tensor, allowed: readonly DType[]): void {
  if (!allowed.includes(x.dtype)) {
    fail(op, `'${name}' has dtype ${x.dtype} (shape ${fmtShape(x.shape)}); expected ${allowed.join(' or ')}. Use kiln.cast(${name}, '${allowed[0]}') first`);
  }
}

/** Normalise a possibly negative axis; throws with the op name when out of range. */
export function normAxis(op: string, axis: number, rank: number, shape?: Shape): number {
  if (!Number.isInteger(axis) || axis < -Math.max(rank, 1) || axis >= Math.max(rank, 1)) {
    fail(op, `axis ${axis} is out of range for a tensor of rank ${rank}${shape ? ` (shape ${fmtShape(shape)})` : ''}; expected an integer in [${-rank}, ${rank - 1}]`);
  }
  return axis < 0 ? axis + rank : axis;
}

export function normAxes(op: string, axis: number | number[] | undefined, rank: number, shape?: Shape): number[] {
  if (axis === undefined) return Array.from({ length: rank }, (_, i) => i);
  const list = (Array.isArray(axis) ? axis : [axis]).map((a) => normAxis(op, a, rank, shape));
  const set = new Set(list);
  if (set.size !== list.length) fail(op, `repeated axis in ${JSON.stringify(axis)}`);
  return [...set].sort((a, b) => a - b);
}

/** numpy/tfjs broadcasting of two shapes. */
export function broadcastShapes(op: string, a: Shape, b: Shape): number[] {
  const r = Math.max(a.length, b.length);
  const out: number[] = [];
  for (let i = 0; i < r; i++) {
    const da = a[a.length - r + i] ?? 1;
    const db = b[b.length - r + i] ?? 1;
    if (da !== db && da !== 1 && db !== 1) {
      fail(op, `shapes ${fmtShape(a)} and ${fmtShape(b)} cannot be broadcast together (dimension ${i} of the aligned shapes: ${da} vs ${db}); each dimension must match or be 1`);
    }
    out.push(da === 1 ? db : da);
  }
  return out;
}

/** Row-major strides of `shape`, with 0 where a dimension of size 1 is broadcast to `outShape`. */
export function broadcastStrides(shape: Shape, outShape: Shape): number[] {
  const r = outShape.length;
  const strides = new Array<number>(r).fill(0);
  let s = 1;
  for (let i = shape.length - 1; i >= 0; i--) {
    const oi = r - shape.length + i;
    strides[oi] = shape[i] === 1 && outShape[oi] !== 1 ? 0 : s;
    s *= shape[i];
  }
  return strides;
}

export function contiguousStrides(shape: Shape): number[] {
  const st = new Array<number>(shape.length);
  let s = 1;
  for (let i = shape.length - 1; i >= 0; i--) { st[i] = s; s *= shape[i]; }
  return st;
}

/**
 * Merge adjacent dimensions that every operand walks contiguously, so kernels do fewer index
 * divisions. `strides[k][i]` is operand k's stride for dim i.
 */
export function coalesce(shape: Shape, strides: number[][]): { shape: number[]; strides: number[][] } {
  const outShape: number[] = [];
  const outStr: number[][] = strides.map(() => []);
  for (let i = 0; i < shape.length; i++) {
    if (shape[i] === 1) continue;
    const last = outShape.length - 1;
    if (last >= 0 && strides.every((st, k) => outStr[k][last] === st[i] * shape[i])) {
      outShape[last] *= shape[i];
      strides.forEach((st, k) => { outStr[k][last] = st[i]; });
    } else {
      outShape.push(shape[i]);
      strides.forEach((st, k) => outStr[k].push(st[i]));
    }
  }
  return { shape: outShape, strides: outStr };
}

export function assertShape(op: string, shape: unknown): asserts shape is number[] {
  if (!Array.isArray(shape) || !shape.every((d) => Number.isInteger(d) && d >= 0)) {
    fail(op, `shape must be an array of non-negative integers, got ${JSON.stringify(shape)}`);
  }
}

export const MAX_RANK = 8;

export function assertRank(op: string, shape: Shape): void {
  if (shape.length > MAX_RANK) fail(op, `rank ${shape.length} (shape ${fmtShape(shape)}) exceeds kiln's maximum rank ${MAX_RANK}`);
}
