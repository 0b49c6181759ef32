// Gradient rules of the reductions: the upstream gradient is reshaped to the kept shape and
// broadcast back over the reduced axes. argMax/argMin give int32 results with no gradient.
import type { Tensor } from '../tensor.ts';
import type { ReduceOp } from '../../kernels/reduce.ts';
import { record, tracking } from '../autograd/tape.ts';
import { reshape, broadcastTo } from './movement.ts';
import * as E from './elementwise.ts';
import { sum } from './reduce.ts';

export function recordReduce(op: ReduceOp, x: Tensor, axes: number[], y: Tensor): Tensor {
  if (!tracking(x) || y.dtype !== 'float32') return y;
  const kept = x.shape.map((d, i) => (axes.includes(i) ? 1 : d));
  const len = axes.reduce((n, a) => n * x.shape[a], 1);
  const spread = (t: Tensor) => broadcastTo(reshape(t, kept), x.shape);
  return record(op, [x], y, ([dy]) => {
    const g = spread(dy!);
    switch (op) {
      case 'sum': return [g];
      case 'mean': return [E.mul(g, 1 / Math.max(len, 1))];
      case 'prod': return [E.mul(g, E.div(spread(y), x))]; // y / x: undefined where x == 0
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
