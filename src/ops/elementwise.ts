// Elementwise ops: unary math, activations, casts, binary arithmetic/comparisons with
// broadcasting, where. Numbers are accepted wherever a tensor is (as in tfjs).
import { Tensor, fmtShape, type DType, view, InternalTensorCache } from '../tensor.ts';
import { unaryProgram, UNARY_FLOAT_OPS, type UnaryOp, type UnaryParams } from '../../kernels/unary.ts';
import { binaryProgram, isCompare, selectProgram, type BinaryOp } from '../../kernels/binary.ts';
import { assertTensor, broadcastShapes, fail, assertDtype } from './util.ts';
import { run } from './run.ts';
import { scalar } from './creation.ts';
import { recordUnary, recordBinary, recordWhere } from './elementwise.grad.ts';

export type TensorOrNumber = Tensor | number;

function unary(op: UnaryOp, x: Tensor, p?: UnaryParams, outDtype?: DType): Tensor {
  assertTensor(op, 'x', x);
  if ((UNARY_FLOAT_OPS as readonly string[]).includes(op)) assertDtype(op, 'x', x, ['float32']);
  if (op === 'neg' && x.dtype === 'uint32') fail(op, `cannot negate a uint32 tensor (shape ${fmtShape(x.shape)}); cast to int32 or float32 first`);
  return recordUnary(op, x, run(unaryProgram(op, x.dtype, outDtype ?? x.dtype, x.size, p), [x], x.shape, outDtype ?? x.dtype), p);
}

export const neg = (x: Tensor) => unary('neg', x);
export const abs = (x: Tensor) => unary('abs', x);
export const square = (x: Tensor) => unary('square', x);
export const exp = (x: Tensor) => unary('exp', x);
export const log = (x: Tensor) => unary('log', x);
export const sqrt = (x: Tensor) => unary('sqrt', x);
export const rsqrt = (x: Tensor) => unary('rsqrt', x);
export const reciprocal = (x: Tensor) => unary('reciprocal', x);
export const relu = (x: Tensor) => unary('relu', x);
export const relu6 = (x: Tensor) => unary('relu6', x);
export const sigmoid = (x: Tensor) => unary('sigmoid', x);
export const tanh = (x: Tensor) => unary('tanh', x);
export const softplus = (x: Tensor) => unary('softplus', x);
export const sign = (x: Tensor) => unary('sign', x);
export const floor = (x: Tensor) => unary('floor', x);
export const ceil = (x: Tensor) => unary('ceil', x);
export const round = (x: Tensor) => unary('round', x);
export const sin = (x: Tensor) => unary('sin', x);
export const cos = (x: Tensor) => unary('cos', x);
export const leakyRelu = (x: Tensor, alpha = 0.2) => unary('leakyRelu', x, { alpha });
export const logicalNot = (x: Tensor) => unary('not', x, undefined, 'bool');

/** Clamp to [min, max] (tf.clipByValue). */
export function clipByValue(x: Tensor, min: number, max: number): Tensor {
  if (!(min <= max)) fail('clipByValue', `min (${min}) must not exceed max (${max})`);
  return unary('clamp', x, { alpha: min, beta: max });
}
export const clamp = clipByValue;

/** Convert to another dtype (float -> int truncates toward zero, saturating). */
export function cast(x: Tensor, dtype: DType): Tensor {
  assertTensor('cast', 'x', x);
  if (dtype === x.dtype) return recordUnary('identity', x, view(x, x.shape));
  // to an integer or bool dtype: the result carries no gradient
  return run(unaryProgram('identity', x.dtype, dtype, x.size), [x], x.shape, dtype);
}

/** A copy with its own storage. */
export function clone(x: Tensor): Tensor {
  assertTensor('clone', 'x', x);
  return recordUnary('identity', x, run(unaryProgram('identity', x.dtype, x.dtype, x.size), [x], x.shape, x.dtype));
}

// Numbers used as operands become scalar tensors. They are cached (kept out of tidy scopes), so
// `mul(x, 0.5)` in a loop uploads nothing after the first time.
const SCALARS = new InternalTensorCache(256);

function cachedScalar(v: number, dtype: DType): Tensor {
  return SCALARS.get(`${dtype}:${Object.is(v, -0) ? '-0' : v}`, () => scalar(v, dtype));
}

function asTensor(op: string, name: string, v: TensorOrNumber, like: DType): Tensor {
  if (v instanceof Tensor) return v;
  if (typeof v === 'number' || typeof v === 'boolean') return cachedScalar(+v, like);
  fail(op, `argument '${name}' must be a Tensor or a number, got ${typeof v}`);
}

function binary(op: BinaryOp, a: TensorOrNumber, b: TensorOrNumber): Tensor {
  const dt = a instanceof Tensor ? a.dtype : b instanceof Tensor ? b.dtype : 'float32';
  const ta = asTensor(op, 'a', a, dt);
  const tb = asTensor(op, 'b', b, dt);
  assertTensor(op, 'a', ta);
  assertTensor(op, 'b', tb);
  if (ta.dtype !== tb.dtype) {
    fail(op, `dtypes differ: a is ${ta.dtype} ${fmtShape(ta.shape)}, b is ${tb.dtype} ${fmtShape(tb.shape)}; cast one with kiln.cast`);
  }
  if (op === 'pow') assertDtype(op, 'a', ta, ['float32']);
  const outShape = broadcastShapes(op, ta.shape, tb.shape);
  const outDtype: DType = isCompare(op) ? 'bool' : ta.dtype;
  return recordBinary(op, ta, tb, run(binaryProgram(op, ta.dtype === 'bool' ? 'uint32' : ta.dtype, ta.shape, tb.shape, outShape), [ta, tb], outShape, outDtype));
}

export const add = (a: TensorOrNumber, b: TensorOrNumber) => binary('add', a, b);
export const sub = (a: TensorOrNumber, b: TensorOrNumber) => binary('sub', a, b);
export const mul = (a: TensorOrNumber, b: TensorOrNumber) => binary('mul', a, b);
/** Division; integer dtypes truncate toward zero. */
export const div = (a: TensorOrNumber, b: TensorOrNumber) => binary('div', a, b);
export const pow = (a: TensorOrNumber, b: TensorOrNumber) => binary('pow', a, b);
export const maximum = (a: TensorOrNumber, b: TensorOrNumber) => binary('maximum', a, b);
export const minimum = (a: TensorOrNumber, b: TensorOrNumber) => binary('minimum', a, b);
export const squaredDifference = (a: TensorOrNumber, b: TensorOrNumber) => binary('squaredDifference', a, b);
export const equal = (a: TensorOrNumber, b: TensorOrNumber) => binary('equal', a, b);
export const notEqual = (a: TensorOrNumber, b: TensorOrNumber) => binary('notEqual', a, b);
export const less = (a: TensorOrNumber, b: TensorOrNumber) => binary('less', a, b);
export const lessEqual = (a: TensorOrNumber, b: TensorOrNumber) => binary('lessEqual', a, b);
export const greater = (a: TensorOrNumber, b: TensorOrNumber) => binary('greater', a, b);
export const greaterEqual = (a: TensorOrNumber, b: TensorOrNumber) => binary('greaterEqual', a, b);
export const logicalAnd = (a: TensorOrNumber, b: TensorOrNumber) => binary('logicalAnd', a, b);
export const logicalOr = (a: TensorOrNumber, b: TensorOrNumber) => binary('logicalOr', a, b);

/** Elementwise `condition ? a : b`, all three broadcast together (tf.where). */
export function where(condition: Tensor, a: TensorOrNumber, b: TensorOrNumber): Tensor {
  assertTensor('where', 'condition', condition);
  const dt = a instanceof Tensor ? a.dtype : b instanceof Tensor ? b.dtype : 'float32';
  const ta = asTensor('where', 'a', a, dt);
  const tb = asTensor('where', 'b', b, dt);
  if (condition.dtype === 'float32') {
    fail('where', `condition must be bool, int32 or uint32, got float32 ${fmtShape(condition.shape)}; compare first, e.g. kiln.greater(x, 0)`);
  }
  if (ta.dtype !== tb.dtype) fail('where', `a (${ta.dtype} ${fmtShape(ta.shape)}) and b (${tb.dtype} ${fmtShape(tb.shape)}) must have the same dtype`);
  const s1 = broadcastShapes('where', ta.shape, tb.shape);
  const outShape = broadcastShapes('where', condition.shape, s1);
  return recordWhere(condition, ta, tb, run(selectProgram(ta.dtype, condition.shape, ta.shape, tb.shape, outShape), [condition, ta, tb], outShape, ta.dtype));
}
