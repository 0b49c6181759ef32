// Gradient clipping by global norm, computed on the GPU without a readback: per-tensor partial
// sums of squares into one buffer, one pass folding them into the norm, and a scale kernel that
// reads the norm from its buffer. Nothing waits on the CPU.
import { Tensor, empty, engine, fmtShape } from '../tensor.ts';
import { fail } from '../ops/util.ts';
import { checked } from '../ops/run.ts';
import { sumSquaresProgram, normProgram, clipScaleProgram } from '../../kernels/optim.ts';

function checkGrads(op: string, xs: Tensor[]): void {
  xs.forEach((t, i) => {
    if (!(t instanceof Tensor)) fail(op, `gradient ${i} must be a kiln Tensor, got ${t === null ? 'null' : typeof t}`);
    t.assertAlive(op);
    if (t.dtype !== 'float32') fail(op, `gradient ${i} is ${t.dtype} ${fmtShape(t.shape)}; gradients must be float32`);
  });
}

/** sqrt(sum over tensors of sum(x^2)) as a scalar tensor, computed on the GPU (no readback). */
export function globalNorm(xs: Tensor[]): Tensor {
  checkGrads('globalNorm', xs);
  return globalNormUnchecked(xs);
}

/** @internal globalNorm without argument checks (optimizers have checked already). */
export function globalNormUnchecked(xs: Tensor[]): Tensor {
  const e = engine();
  const parts = xs.map((t) => (t.size ? sumSquaresProgram(t.size, 0).threads : 0));
  const total = parts.reduce((a, b) => a + b, 0);
  const partials = empty([Math.max(1, total)], 'float32');
  let off = 0;
  xs.forEach((t, i) => {
    if (!t.size) return;
    e.dispatch(sumSquaresProgram(t.size, off).program, [t.buffer], [partials.buffer]);
    off += parts[i];
  });
  const norm = empty([], 'float32');
  e.dispatch(normProgram(total), [partials.buffer], [norm.buffer]);
  partials.dispose();
  return checked(norm, 'globalNorm');
}

type Grads = Tensor[] | Record<string, Tensor>;

/**
 * Scale gradients so that their global L2 norm is at most `maxNorm` (tf.clip_by_global_norm with
 * PyTorch's clip_grad_norm_ coefficient):
 *   norm = sqrt(sum_i sum(g_i^2)),  g_i' = g_i * min(1, maxNorm / (norm + 1e-6))
 * Returns new tensors in the same form (array or record) and the norm before clipping, as a
 * scalar tensor; both stay on the GPU (the scale kernel reads the norm from its buffer).
 */
export function clipByGlobalNorm<G extends Grads>(grads: G, maxNorm: number): { grads: G; globalNorm: Tensor } {
  const op = 'clipByGlobalNorm';
  if (!(typeof maxNorm === 'number' && maxNorm >= 0)) fail(op, `maxNorm must be a number >= 0, got ${maxNorm}`);
  if (!grads || typeof grads !== 'object') fail(op, `expected an array or a record of gradient tensors, got ${grads === null ? 'null' : typeof grads}`);
  const keys = Array.isArray(grads) ? null : Object.keys(grads);
  const list: Tensor[] = Array.isArray(grads) ? grads : keys!.map((k) => (grads as Record<string, Tensor>)[k]);
  checkGrads(op, list);
  const norm = globalNormUnchecked(list);
  const e = engine();
  const out = list.map((g) => {
    const y = empty(g.shape, 'float32');
    if (y.size) e.dispatch(clipScaleProgram(g.size, maxNorm), [g.buffer, norm.buffer], [y.buffer]);
    return checked(y, op);
  });
  if (keys) {
    const rec: Record<string, Tensor> = {};
    keys.forEach((k, i) => { rec[k] = out[i]; });
    return { grads: rec as G, globalNorm: norm };
  }
  return { grads: out as G, globalNorm: norm };
}
