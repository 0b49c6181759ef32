// Gradients of softmax and logSoftmax along the last axis.
//   softmax:    dx = y * (dy - sum(dy * y))
//   logSoftmax: dx = dy - exp(y) * sum(dy)
import type { Tensor } from '../tensor.ts';
import { record, tracking } from '../autograd/tape.ts';
import * as E from './elementwise.ts';
import { sum } from './reduce.ts';

export function recordSoftmax(x: Tensor, y: Tensor, log: boolean): Tensor {
  if (!tracking(x)) return y;
  const last = x.rank - 1;
  return record(log ? 'logSoftmax' : 'softmax', [x], y, ([dy]) => {
    if (log) return [E.sub(dy!, E.mul(E.exp(y), sum(dy!, last, true)))];
    return [E.mul(y, E.sub(dy!, sum(E.mul(dy!, y), last, true)))];
  });
}
