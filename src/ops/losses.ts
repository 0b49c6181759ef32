// Losses (tf.losses vocabulary, PyTorch semantics): softmaxCrossEntropy (fused and stable),
// sigmoidCrossEntropy, meanSquaredError. `reduction` is 'mean' (default), 'sum' or 'none'.
import { Tensor, fmtShape, view } from '../tensor.ts';
import { assertTensor, assertDtype, fail } from './util.ts';
import { softmaxXent } from '../../kernels/softmax_xent.ts';
import { record, tracking } from '../autograd/tape.ts';
import { checked } from './run.ts';
import * as E from './elementwise.ts';
import { mean, sum } from './reduce.ts';
import { reshape } from './movement.ts';

export type Reduction = 'none' | 'mean' | 'sum';

function reduce(op: string, x: Tensor, reduction: Reduction): Tensor {
  if (reduction === 'none') return x;
  if (reduction === 'mean') return mean(x);
  if (reduction === 'sum') return sum(x);
  fail(op, `reduction must be 'mean', 'sum' or 'none', got '${reduction}'`);
}

/**
 * Cross-entropy of softmax(logits) against `labels`, over the last axis of logits [..., C].
 * labels: int32 class ids [...] (like torch's cross_entropy), or float32 probabilities [..., C]
 * (one-hot or soft, like tf.losses.softmaxCrossEntropy). One fused kernel computes the loss
 * and, when differentiating, softmax(logits) - p; out-of-range class ids give NaN.
 * Gradients flow to logits only.
 */
export function softmaxCrossEntropy(labels: Tensor, logits: Tensor, opts: { reduction?: Reduction } = {}): Tensor {
  const op = 'softmaxCrossEntropy';
  assertTensor(op, 'labels', labels);
  assertTensor(op, 'logits', logits);
  assertDtype(op, 'logits', logits, ['float32']);
  if (logits.rank === 0) fail(op, 'logits need a class axis (shape [..., C])');
  const C = logits.shape[logits.rank - 1];
  const lead = logits.shape.slice(0, -1);
  const sparse = labels.dtype === 'int32';
  if (sparse) {
    if (labels.shape.length !== lead.length || labels.shape.some((d, i) => d !== lead[i])) {
      fail(op, `int32 labels ${fmtShape(labels.shape)} must have the shape of logits ${fmtShape(logits.shape)} without its class axis, ${fmtShape(lead)}`);
    }
  } else {
    assertDtype(op, 'labels', labels, ['float32', 'int32']);
    if (labels.shape.length !== logits.shape.length || labels.shape.some((d, i) => d !== logits.shape[i])) {
      fail(op, `float32 labels ${fmtShape(labels.shape)} must match logits ${fmtShape(logits.shape)} (or pass int32 class ids of shape ${fmtShape(lead)})`);
    }
  }
  const rows = C ? logits.size / C : 0;
  const withGrad = tracking(logits);
  const { loss, grad } = softmaxXent(logits, labels, rows, C, sparse, withGrad);
  let perRow = view(loss, lead);
  loss.dispose();
  checked(perRow, op);
  if (grad) {
    perRow = record(op, [logits, labels], perRow, ([dy]) => [E.mul(grad, reshape(dy!, [...lead, 1])), null], [grad]);
    // the saved gradient belongs to the tape now: it is disposed with the step's other tensors
  }
  return reduce(op, perRow, opts.reduction ?? 'mean');
}

/**
 * Binary cross-entropy of sigmoid(logits) against labels in [0, 1] (tf.losses.sigmoidCrossEntropy,
 * torch's binary_cross_entropy_with_logits), computed as softplus(x) - x*z, stable for any x.
 */
export function sigmoidCrossEntropy(labels: Tensor, logits: Tensor, opts: { reduction?: Reduction } = {}): Tensor {
  const op = 'sigmoidCrossEntropy';
  assertTensor(op, 'labels', labels);
  assertTensor(op, 'logits', logits);
  assertDtype(op, 'logits', logits, ['float32']);
  assertDtype(op, 'labels', labels, ['float32']);
  if (labels.shape.length !== logits.shape.length || labels.shape.some((d, i) => d !== logits.shape[i])) {
    fail(op, `labels ${fmtShape(labels.shape)} and logits ${fmtShape(logits.shape)} must have the same shape`);
  }
  return reduce(op, E.sub(E.softplus(logits), E.mul(logits, labels)), opts.reduction ?? 'mean');
}

/** mean((predictions - labels)^2) (tf.losses.meanSquaredError, torch's mse_loss). */
export function meanSquaredError(labels: Tensor, predictions: Tensor, opts: { reduction?: Reduction } = {}): Tensor {
  const op = 'meanSquaredError';
  assertTensor(op, 'labels', labels);
  assertTensor(op, 'predictions', predictions);
  if (labels.shape.length !== predictions.shape.length || labels.shape.some((d, i) => d !== predictions.shape[i])) {
    fail(op, `labels ${fmtShape(labels.shape)} and predictions ${fmtShape(predictions.shape)} must have the same shape`);
  }
  return reduce(op, E.squaredDifference(predictions, labels), opts.reduction ?? 'mean');
}

/** The losses under one name, as tf.losses. */
export const losses = { softmaxCrossEntropy, sigmoidCrossEntropy, meanSquaredError };
