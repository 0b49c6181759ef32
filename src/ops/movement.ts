// Data movement: reshape (free), transpose, slice, concat, stack, pad, gather, scatterAdd,
// broadcastTo, expandDims, squeeze.
import { Tensor, view, empty, engine, fmtShape, sizeOf, type Shape } from '../tensor.ts';
import { assertTensor, fail, normAxis, contiguousStrides, broadcastShapes, broadcastStrides, assertDtype } from './util.ts';
import { copyProgram, transposeProgram } from '../../kernels/copy.ts';
import { padProgram, type PadMode } from '../../kernels/pad.ts';
import { gatherProgram, scatterAddProgram } from '../../kernels/gather.ts';
import { bitsOf } from '../../kernels/fill.ts';
import { run, checked } from './run.ts';
import {
  recordReshape, recordTranspose, recordSlice, recordConcat, recordBroadcastTo, recordPad, recordGather, recordSegmentSum,
} from './movement.grad.ts';

/** Same values, new shape (no copy). One dimension may be -1. */
export function reshape(x: Tensor, shape: Shape): Tensor {
  assertTensor('reshape', 'x', x);
  const s = [...shape];
  const neg = s.filter((d) => d === -1).length;
  if (neg > 1 || s.some((d) => !Number.isInteger(d) || d < -1)) fail('reshape', `invalid shape ${fmtShape(s)}: use non-negative integers and at most one -1`);
  if (neg) {
    const known = s.filter((d) => d !== -1).reduce((a, b) => a * b, 1);
    if (known === 0 || x.size % known) fail('reshape', `cannot infer -1 in ${fmtShape(s)} for ${x.size} elements (shape ${fmtShape(x.shape)})`);
    s[s.indexOf(-1)] = x.size / known;
  }
  if (sizeOf(s) !== x.size) fail('reshape', `cannot reshape ${fmtShape(x.shape)} (${x.size} elements) to ${fmtShape(s)} (${sizeOf(s)} elements)`);
  return recordReshape('reshape', x, view(x, s));
}

export function expandDims(x: Tensor, axis = 0): Tensor {
  assertTensor('expandDims', 'x', x);
  const a = normAxis('expandDims', axis, x.rank + 1, x.shape);
  const s = [...x.shape];
  s.splice(a, 0, 1);
  return recordReshape('expandDims', x, view(x, s));
}

export function squeeze(x: Tensor, axis?: number | number[]): Tensor {
  assertTensor('squeeze', 'x', x);
  const axes = axis === undefined ? x.shape.map((d, i) => (d === 1 ? i : -1)).filter((i) => i >= 0)
    : (Array.isArray(axis) ? axis : [axis]).map((a) => normAxis('squeeze', a, x.rank, x.shape));
  for (const a of axes) if (x.shape[a] !== 1) fail('squeeze', `cannot squeeze axis ${a} of shape ${fmtShape(x.shape)}: its size is ${x.shape[a]}, not 1`);
  return recordReshape('squeeze', x, view(x, x.shape.filter((_, i) => !axes.includes(i))));
}

/** Permute axes (default: reverse them), like tf.transpose. */
export function transpose(x: Tensor, perm?: number[]): Tensor {
  assertTensor('transpose', 'x', x);
  const p = perm ?? x.shape.map((_, i) => x.rank - 1 - i);
  if (p.length !== x.rank || [...p].sort((a, b) => a - b).some((v, i) => v !== i)) {
    fail('transpose', `perm ${JSON.stringify(perm)} is not a permutation of the ${x.rank} axes of shape ${fmtShape(x.shape)}`);
  }
  const outShape = p.map((i) => x.shape[i]);
  if (p.every((v, i) => v === i)) return recordReshape('transpose', x, view(x, outShape));
  return recordTranspose(x, p, run(transposeProgram(x.shape, p), [x], outShape, x.dtype));
}

/** x[begin : begin+size] per axis; size -1 means "to the end" (tf.slice). */
export function slice(x: Tensor, begin: number | number[], size?: number | number[]): Tensor {
  assertTensor('slice', 'x', x);
  const b = Array.isArray(begin) ? [...begin] : [begin];
  while (b.length < x.rank) b.push(0);
  const s = size === undefined ? [] : Array.isArray(size) ? [...size] : [size];
  while (s.length < x.rank) s.push(-1);
  if (b.length !== x.rank || s.length !== x.rank) fail('slice', `begin ${JSON.stringify(begin)} / size ${JSON.stringify(size)} do not match rank ${x.rank} (shape ${fmtShape(x.shape)})`);
  const outShape = s.map((d, i) => (d === -1 ? x.shape[i] - b[i] : d));
  for (let i = 0; i < x.rank; i++) {
    if (b[i] < 0 || outShape[i] < 0 || b[i] + outShape[i] > x.shape[i]) {
      fail('slice', `axis ${i}: begin ${b[i]} size ${outShape[i]} is outside shape ${fmtShape(x.shape)}; need 0 <= begin and begin+size <= ${x.shape[i]}`);
    }
  }
  const st = contiguousStrides(x.shape);
  const off = b.reduce((acc, v, i) => acc + v * st[i], 0);
  return recordSlice(x, b, run(copyProgram(outShape, st, off, contiguousStrides(outShape), 0, 'slice'), [x], outShape, x.dtype));
}

/** Join tensors along an axis (tf.concat). */
export function concat(xs: Tensor[], axis = 0): Tensor {
  if (!Array.isArray(xs) || xs.length === 0) fail('concat', 'expected a non-empty array of tensors');
  xs.forEach((t, i) => assertTensor('concat', `xs[${i}]`, t));
  const first = xs[0];
  const a = normAxis('concat', axis, first.rank, first.shape);
  for (const t of xs) {
    if (t.dtype !== first.dtype) fail('concat', `dtypes differ: ${first.dtype} ${fmtShape(first.shape)} vs ${t.dtype} ${fmtShape(t.shape)}`);
    if (t.rank !== first.rank || t.shape.some((d, i) => i !== a && d !== first.shape[i])) {
      fail('concat', `shapes ${xs.map((q) => fmtShape(q.shape)).join(', ')} must match except along axis ${a}`);
    }
  }
  const outShape = [...first.shape];
  outShape[a] = xs.reduce((s, t) => s + t.shape[a], 0);
  const out = empty(outShape, first.dtype);
  const ost = contiguousStrides(outShape);
  let offset = 0;
  for (const t of xs) {
    if (t.size) {
      engine().dispatch(copyProgram(t.shape, contiguousStrides(t.shape), 0, ost, offset * ost[a], 'concat'), [t.buffer], [out.buffer]);
    }
    offset += t.shape[a];
  }
  return recordConcat(xs, a, checked(out, 'concat'));
}

/** Stack same-shaped tensors along a new axis (tf.stack). */
export function stack(xs: Tensor[], axis = 0): Tensor {
  if (!Array.isArray(xs) || xs.length === 0) fail('stack', 'expected a non-empty array of tensors');
  xs.forEach((t, i) => assertTensor('stack', `xs[${i}]`, t));
  const s0 = xs[0].shape;
  for (const t of xs) if (t.shape.length !== s0.length || t.shape.some((d, i) => d !== s0[i])) fail('stack', `all shapes must be equal, got ${xs.map((q) => fmtShape(q.shape)).join(', ')}`);
  const a = normAxis('stack', axis, s0.length + 1, s0);
  const views = xs.map((t) => expandDims(t, a));
  try { return concat(views, a); } finally { views.forEach((v) => v.dispose()); }
}

/** Broadcast to a larger shape (materialised). */
export function broadcastTo(x: Tensor, shape: Shape): Tensor {
  assertTensor('broadcastTo', 'x', x);
  const out = broadcastShapes('broadcastTo', x.shape, shape);
  if (out.length !== shape.length || out.some((d, i) => d !== shape[i])) fail('broadcastTo', `cannot broadcast ${fmtShape(x.shape)} to ${fmtShape(shape)}`);
  return recordBroadcastTo(x, run(copyProgram(out, broadcastStrides(x.shape, out), 0, contiguousStrides(out), 0, 'broadcastTo'), [x], out, x.dtype));
}

/**
 * Pad with `paddings[i] = [before, after]` per axis (tf.pad / torch F.pad in explicit form).
 * mode 'constant' (fill with `constantValue`), 'reflect' (mirror without the edge; pads must be
 * smaller than the axis) or 'symmetric' (mirror with the edge).
 */
export function pad(x: Tensor, paddings: [number, number][], constantValue = 0, mode: PadMode = 'constant'): Tensor {
  assertTensor('pad', 'x', x);
  if (!Array.isArray(paddings) || paddings.length !== x.rank) fail('pad', `paddings must have one [before, after] pair per axis of shape ${fmtShape(x.shape)} (${x.rank}), got ${JSON.stringify(paddings)}`);
  for (let i = 0; i < x.rank; i++) {
    const [b, a] = paddings[i];
    if (!Number.isInteger(b) || !Number.isInteger(a) || b < 0 || a < 0) fail('pad', `paddings[${i}] = ${JSON.stringify(paddings[i])}: pads must be non-negative integers`);
    if (mode === 'reflect' && (b >= x.shape[i] || a >= x.shape[i]) && (a || b)) fail('pad', `reflect padding ${JSON.stringify(paddings[i])} on axis ${i} of size ${x.shape[i]} (shape ${fmtShape(x.shape)}) must be smaller than the axis`);
    if (mode === 'symmetric' && (b > x.shape[i] || a > x.shape[i])) fail('pad', `symmetric padding ${JSON.stringify(paddings[i])} on axis ${i} exceeds its size ${x.shape[i]}`);
  }
  if (!['constant', 'reflect', 'symmetric'].includes(mode)) fail('pad', `mode must be 'constant', 'reflect' or 'symmetric', got '${mode}'`);
  const outShape = x.shape.map((d, i) => d + paddings[i][0] + paddings[i][1]);
  if (x.size === 0 && mode !== 'constant') fail('pad', `cannot ${mode}-pad an empty tensor ${fmtShape(x.shape)}`);
  return recordPad(x, paddings, mode, run(padProgram(x.shape, paddings.map((p) => p[0]), outShape, mode, bitsOf(constantValue, x.dtype)), [x], outShape, x.dtype));
}

/** Rows of `x` along `axis` picked by int32 `indices` (tf.gather; embedding lookup). Out-of-range indices give 0. */
export function gather(x: Tensor, indices: Tensor, axis = 0): Tensor {
  assertTensor('gather', 'x', x);
  assertTensor('gather', 'indices', indices);
  assertDtype('gather', 'indices', indices, ['int32']);
  const a = normAxis('gather', axis, x.rank, x.shape);
  const outer = sizeOf(x.shape.slice(0, a));
  const inner = sizeOf(x.shape.slice(a + 1));
  const outShape = [...x.shape.slice(0, a), ...indices.shape, ...x.shape.slice(a + 1)];
  return recordGather(x, indices, a, run(gatherProgram(outer, x.shape[a], indices.size, inner), [x, indices], outShape, x.dtype));
}

/**
 * out[indices[i], ...] += updates[i, ...] into a zero tensor with `numRows` rows
 * (tf.unsortedSegmentSum; the gradient of gather). Indices outside [0, numRows) are dropped.
 */
export function unsortedSegmentSum(updates: Tensor, indices: Tensor, numRows: number): Tensor {
  const op = 'unsortedSegmentSum';
  assertTensor(op, 'updates', updates);
  assertTensor(op, 'indices', indices);
  assertDtype(op, 'indices', indices, ['int32']);
  if (!Number.isInteger(numRows) || numRows < 0) fail(op, `numRows must be a non-negative integer, got ${numRows}`);
  const lead = indices.shape;
  if (lead.length > updates.rank || lead.some((d, i) => d !== updates.shape[i])) {
    fail(op, `indices ${fmtShape(lead)} must match the leading dimensions of updates ${fmtShape(updates.shape)}`);
  }
  if (updates.dtype === 'bool') fail(op, 'bool updates cannot be summed; cast to int32 first');
  const inner = sizeOf(updates.shape.slice(lead.length));
  const outShape = [numRows, ...updates.shape.slice(lead.length)];
  const out = empty(outShape, updates.dtype);
  const e = engine();
  if (out.size) e.clear(out.buffer, out.size * 4);
  if (updates.size && out.size) e.dispatch(scatterAddProgram(indices.size, numRows, inner, updates.dtype), [updates.buffer, indices.buffer], [out.buffer]);
  return recordSegmentSum(updates, indices, checked(out, op));
}

/** Alias in PyTorch's vocabulary: index_add_ of rows into zeros. */
export const scatterAdd = unsortedSegmentSum;
