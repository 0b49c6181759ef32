// softmax and logSoftmax along the last axis (tfjs: dim = -1 only, as here).
import type { Tensor } from '../tensor.ts';
import { assertTensor, assertDtype, fail } from './util.ts';
import { softmax as softmaxKernel } from '../../kernels/softmax.ts';
import { checked } from './run.ts';
import { recordSoftmax } from './softmax.grad.ts';

function softmaxOp(name: string, x: Tensor, dim: number, log: boolean): Tensor {
  assertTensor(name, 'logits', x);
  assertDtype(name, 'logits', x, ['float32']);
  if (x.rank === 0) fail(name, 'logits must have at least one dimension');
  if (dim !== -1 && dim !== x.rank - 1) fail(name, `only the last axis is supported (dim -1 or ${x.rank - 1}), got ${dim}; transpose first`);
  const len = x.shape[x.rank - 1];
  const rows = len ? x.size / len : 0;
  return recordSoftmax(x, checked(softmaxKernel(x, rows, len, log), name), log);
}

/** exp(x - max) / sum(exp(x - max)) along the last axis. */
export const softmax = (logits: Tensor, dim = -1) => softmaxOp('softmax', logits, dim, false);
/** x - max - log(sum(exp(x - max))) along the last axis. */
export const logSoftmax = (logits: Tensor, dim = -1) => softmaxOp('logSoftmax', logits, dim, true);
