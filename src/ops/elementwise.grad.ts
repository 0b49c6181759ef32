// Gradient rules of the elementwise ops (written once, in terms of other ops and the fused
// unary backward kernel). Comparisons, logical ops and rounding have no gradient.
import type { Tensor } from '../tensor.ts';
import { record, tracking, noteBlocked, type Backward } from '../autograd/tape.ts';
import { sumToShape } from '../autograd/shape.ts';
import { unaryGradProgram, UNARY_GRAD_OPS, type UnaryGradOp } from '../../kernels/unary_grad.ts';
import type { UnaryOp, UnaryParams } from '../../kernels/unary.ts';
import type { BinaryOp } from '../../kernels/binary.ts';
import { run } from './run.ts';
import * as E from './elementwise.ts';
import { zerosLike } from './creation.ts';

/** Record a unary op (y = f(x)); rounding/sign ops pass a zero gradient, as in tfjs. */
export function recordUnary(op: UnaryOp, x: Tensor, y: Tensor, p: UnaryParams = {}): Tensor {
  if (!tracking(x)) return y;
  if (y.dtype !== 'float32') { noteBlocked(op === 'identity' ? 'cast' : op, x); return y; }
  if ((UNARY_GRAD_OPS as readonly string[]).includes(op)) {
    return record(op, [x], y, ([dy]) => [run(unaryGradProgram(op as UnaryGradOp, x.size, p), [x, y, dy!], x.shape, 'float32')]);
  }
  if (op === 'identity') return record('identity', [x], y, ([dy]) => [dy]);
  return record(op, [x], y, () => [zerosLike(x)]); // sign, floor, ceil, round: piecewise constant
}

// Each rule computes only the gradients that are wanted (`na`, `nb`: the input is tracked), so
// e.g. mul(x, constant) costs one dispatch backward, not two.
const GRADS: Partial<Record<BinaryOp, (a: Tensor, b: Tensor, y: Tensor) => Backward>> = {
  add: (a, b) => ([dy], [na, nb]) => [na ? sumToShape(dy!, a.shape) : null, nb ? sumToShape(dy!, b.shape) : null],
  sub: (a, b) => ([dy], [na, nb]) => [na ? sumToShape(dy!, a.shape) : null, nb ? sumToShape(E.neg(dy!), b.shape) : null],
  mul: (a, b) => ([dy], [na, nb]) => [na ? sumToShape(E.mul(dy!, b), a.shape) : null, nb ? sumToShape(E.mul(dy!, a), b.shape) : null],
  div: (a, b) => ([dy], [na, nb]) => [
    na ? sumToShape(E.div(dy!, b), a.shape) : null,
    nb ? sumToShape(E.neg(E.div(E.mul(dy!, a), E.square(b))), b.shape) : null,
  ],
  squaredDifference: (a, b) => ([dy], [na, nb]) => {
    const g = E.mul(E.mul(dy!, 2), E.sub(a, b));
    return [na ? sumToShape(g, a.shape) : null, nb ? sumToShape(E.neg(g), b.shape) : null];
  },
  // Ties share the gradient evenly, as PyTorch's maximum/minimum.
  maximum: (a, b) => ([dy], [na, nb]) => {
    const w = E.add(E.cast(E.greater(a, b), 'float32'), E.mul(E.cast(E.equal(a, b), 'float32'), 0.5));
    return [na ? sumToShape(E.mul(dy!, w), a.shape) : null, nb ? sumToShape(E.mul(dy!, E.sub(1, w)), b.shape) : null];
  },
  minimum: (a, b) => ([dy], [na, nb]) => {
    const w = E.add(E.cast(E.less(a, b), 'float32'), E.mul(E.cast(E.equal(a, b), 'float32'), 0.5));
    return [na ? sumToShape(E.mul(dy!, w), a.shape) : null, nb ? sumToShape(E.mul(dy!, E.sub(1, w)), b.shape) : null];
  },
  // d/da a^b = b a^(b-1); d/db a^b = a^b log(a), taken as 0 where a <= 0 (as PyTorch where a == 0)
  pow: (a, b, y) => ([dy], [na, nb]) => {
    const da = na ? sumToShape(E.mul(dy!, E.mul(b, E.pow(a, E.sub(b, 1)))), a.shape) : null;
    if (!nb) return [da, null];
    const safeLog = E.where(E.greater(a, 0), E.log(E.maximum(a, 1e-30)), 0);
    return [da, sumToShape(E.mul(dy!, E.mul(y, safeLog)), b.shape)];
  },
};

export function recordBinary(op: BinaryOp, a: Tensor, b: Tensor, y: Tensor): Tensor {
  if (!tracking(a, b)) return y;
  const g = GRADS[op];
  if (y.dtype !== 'float32') { noteBlocked(op, a, b); return y; }
  if (!g) { noteBlocked(op, a, b); return y; } // comparisons and logical ops: bool results carry no gradient
  return record(op, [a, b], y, g(a, b, y));
}

export function recordWhere(cond: Tensor, a: Tensor, b: Tensor, y: Tensor): Tensor {
  if (!tracking(a, b) || y.dtype !== 'float32') return y;
  return record('where', [cond, a, b], y, ([dy], [, na, nb]) => [
    null,
    na ? sumToShape(E.where(cond, dy!, 0), a.shape) : null,
    nb ? sumToShape(E.where(cond, 0, dy!), b.shape) : null,
  ]);
}
