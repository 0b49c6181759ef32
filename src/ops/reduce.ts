// Reductions along axes: sum, mean, prod, max, min, argMax, argMin, logSumExp (tfjs signatures).
import { Tensor, view, fmtShape, sizeOf } from '../tensor.ts';
import { assertTensor, assertDtype, normAxes, normAxis, fail } from './util.ts';
import { reduce, type ReduceOp } from '../../kernels/reduce.ts';
import { transpose } from './movement.ts';
import { checked } from './run.ts';
import { noGrad } from '../autograd/tape.ts';
import { recordReduce } from './reduce.grad.ts';

function reduceOp(op: ReduceOp, name: string, x: Tensor, axis: number | number[] | undefined, keepDims: boolean): Tensor {
  assertTensor(name, 'x', x);
  assertDtype(name, 'x', x, ['float32']);
  const axes = normAxes(name, axis, x.rank, x.shape);
  const keptShape = x.shape.map((d, i) => (axes.includes(i) ? 1 : d));
  const outShape = keepDims ? keptShape : x.shape.filter((_, i) => !axes.includes(i));
  const len = sizeOf(axes.map((a) => x.shape[a]));
  if (len === 0 && (op === 'argmax' || op === 'argmin')) fail(name, `cannot take ${name} over an empty axis (shape ${fmtShape(x.shape)})`);
  const contiguous = axes.every((a, i) => i === 0 || a === axes[i - 1] + 1);
  let outer: number, inner: number, src = x, tmp: Tensor | null = null;
  if (axes.length === 0) {
    outer = x.size; inner = 1;
  } else {
    outer = sizeOf(x.shape.slice(0, axes[0]));
    inner = sizeOf(x.shape.slice(axes[axes.length - 1] + 1));
  }
  // Few long columns reduce faster as rows: move the reduced axes last.
  if (axes.length && (!contiguous || (inner > 1 && outer * inner < 1024 && len > 4096))) {
    const kept = x.shape.map((_, i) => i).filter((i) => !axes.includes(i));
    tmp = noGrad(() => transpose(x, [...kept, ...axes])); // internal: the rule below covers it
    src = tmp;
    outer = sizeOf(kept.map((i) => x.shape[i]));
    inner = 1;
  }
  const flat = checked(reduce(op, src, outer, axes.length ? len : 1, inner), name);
  if (tmp) tmp.dispose();
  const out = view(flat, outShape);
  flat.dispose();
  return recordReduce(op, x, axes, out);
}

/** Sum over `axis` (all axes when omitted), like tf.sum. */
export const sum = (x: Tensor, axis?: number | number[], keepDims = false) => reduceOp('sum', 'sum', x, axis, keepDims);
export const mean = (x: Tensor, axis?: number | number[], keepDims = false) => reduceOp('mean', 'mean', x, axis, keepDims);
export const prod = (x: Tensor, axis?: number | number[], keepDims = false) => reduceOp('prod', 'prod', x, axis, keepDims);
/** Largest value (NaN propagates, as in PyTorch). */
export const max = (x: Tensor, axis?: number | number[], keepDims = false) => reduceOp('max', 'max', x, axis, keepDims);
export const min = (x: Tensor, axis?: number | number[], keepDims = false) => reduceOp('min', 'min', x, axis, keepDims);
/** log(sum(exp(x))) computed stably in one pass. */
export const logSumExp = (x: Tensor, axis?: number | number[], keepDims = false) => reduceOp('logsumexp', 'logSumExp', x, axis, keepDims);

/** Index (int32) of the first largest value along `axis` (default 0, as tf.argMax). */
export function argMax(x: Tensor, axis = 0): Tensor {
  assertTensor('argMax', 'x', x);
  return reduceOp('argmax', 'argMax', x, normAxis('argMax', axis, x.rank, x.shape), false);
}
export function argMin(x: Tensor, axis = 0): Tensor {
  assertTensor('argMin', 'x', x);
  return reduceOp('argmin', 'argMin', x, normAxis('argMin', axis, x.rank, x.shape), false);
}
