// Gradient rules of the reductions: the upstream gradient is reshaped to the kept shape and
// broadcast back over the reduced axes. argMax/argMin give int32 results with no gradient.
import type { Tensor } from '../tensor.ts';
import type { ReduceOp } from '../../kernels/reduce.ts';
import { record, tracking, noteBlocked } from '../autograd/tape.ts';
import { reshape, broadcastTo } from './movement.ts';
import * as E from './elementwise.ts';
import { sum, prod } from './reduce.ts';

export function recordReduce(op: ReduceOp, x: Tensor, axes: number[], y: Tensor): Tensor {
  if (!tracking(x)) return y;
  if (y.dtype !== 'float32') { noteBlocked(op === 'argmax' ? 'argMax' : op === 'argmin' ? 'argMin' : op, x); return y; }
  const kept = x.shape.map((d, i) => (axes.includes(i) ? 1 : d));
  const len = axes.reduce((n, a) => n * x.shape[a], 1);
  const spread = (t: Tensor) => broadcastTo(reshape(t, kept), x.shape);
  return record(op, [x], y, ([dy]) => {
    const g = spread(dy!);
    switch (op) {
      case 'sum': return [g];
      case 'mean': return [E.mul(g, 1 / Math.max(len, 1))];
      case 'prod': {
        // the product of the other elements of the slice, also where x has zeros (y / x is 0/0
        // there): with q = P / x' (P the product of the non-zeros, x' = x with zeros read as 1),
        // it is q if the slice has no zero, q (= P) at the one zero if it has one, else 0
        const isZero = E.equal(x, 0);
        const safe = E.where(isZero, 1, x);
        const zeros = spread(sum(E.cast(isZero, 'float32'), axes, true));
        const q = E.div(spread(prod(safe, axes, true)), safe);
        const keep = E.logicalOr(E.equal(zeros, 0), E.logicalAnd(isZero, E.equal(zeros, 1)));
        return [E.mul(g, E.where(keep, q, 0))];
      }
      case 'logsumexp': return [E.mul(g, E.exp(E.sub(x, spread(y))))];
      case 'max': case 'min': {
        // ties share the gradient evenly (PyTorch's amax/amin)
        const mask = E.cast(E.equal(x, spread(y)), 'float32');
        return [E.div(E.mul(g, mask), spread(sum(mask, axes, true)))];
      }
      default: return [null];
    }
  });
}
