// Hierarchical (class-factored) softmax: p(w|h) = p(class(w)|h) * p(w|class(w), h). docs/text_ops.md.
import { empty, engine, fmtShape, InternalTensorCache, tidy, type Tensor } from '../tensor.ts';
import { assertTensor, assertDtype, fail } from './util.ts';
import { checked } from './run.ts';
import { matMul } from './matmul.ts';
import { add, sub } from './elementwise.ts';
import { gather } from './movement.ts';
import { logSoftmax } from './softmax.ts';
import { csrProgram, hsoftmaxProgram, classLseProgram } from '../../kernels/hsoftmax.ts';
import { recordHsoftmax, recordClassLse } from './hsoftmax.grad.ts';

export interface HierarchicalSoftmaxOptions {
  /** also return logp [N, V], log p(w|h) for every word (O(V·D) per example) */
  full?: boolean;
}

export interface HierarchicalSoftmaxResult {
  /** [N]: -log p(targets[n] | h[n]) */
  loss: Tensor;
  /** [N, V] with `full: true` */
  logp?: Tensor;
}

/** Class -> word-id lists per (wordClass tensor, number of classes), built once on the GPU. */
const CSR_CACHE = new InternalTensorCache(32);

/** @internal the CSR table [offsets (C+1) | word ids (V)] of `wordClass`'s classes. */
export function classCsr(wordClass: Tensor, c: number): Tensor {
  return CSR_CACHE.get(`${wordClass.id}/${c}`, () => {
    const v = wordClass.size;
    const csr = empty([c + 1 + v], 'int32');
    engine().dispatch(csrProgram(false, c, v, v), [wordClass.buffer], [csr.buffer]);
    return csr;
  });
}

/**
 * Two-level softmax loss for targets, with words assigned to classes by `wordClass`:
 *   log p(w|h) = log_softmax(h Wc^T + bc)[class(w)] + (h Ww^T + bw)[w] - logsumexp_{w' in class(w)} (h Ww^T + bw)[w']
 * h [N, D], Wc [C, D], bc [C], Ww [V, D], bw [V], wordClass int32 [V] (values in [0, C); classes
 * may be uneven and their words non-contiguous), targets int32 [N]. loss[n] = -log p(targets[n]|h[n])
 * costs O((C + |class|)·D) per example in one fused dispatch; `full: true` adds logp [N, V].
 * Gradients reach h, Wc, bc, Ww, bw (from loss and logp). The class lists are computed on the GPU
 * once per wordClass tensor and cached: do not change a wordClass tensor in place. A target
 * outside [0, V), or a word class outside [0, C), gives a NaN loss (flagged by
 * kiln.setDebug({ checkNumerics: true })).
 */
export function hierarchicalSoftmax(h: Tensor, Wc: Tensor, bc: Tensor, Ww: Tensor, bw: Tensor, wordClass: Tensor, targets: Tensor, options: HierarchicalSoftmaxOptions = {}): HierarchicalSoftmaxResult {
  const op = 'hierarchicalSoftmax';
  const named = { h, Wc, bc, Ww, bw, wordClass, targets };
  for (const [k, t] of Object.entries(named)) assertTensor(op, k, t);
  for (const k of ['h', 'Wc', 'bc', 'Ww', 'bw'] as const) assertDtype(op, k, named[k], ['float32']);
  assertDtype(op, 'wordClass', wordClass, ['int32']);
  assertDtype(op, 'targets', targets, ['int32']);
  const shapes = `h ${fmtShape(h.shape)}, Wc ${fmtShape(Wc.shape)}, bc ${fmtShape(bc.shape)}, Ww ${fmtShape(Ww.shape)}, bw ${fmtShape(bw.shape)}, wordClass ${fmtShape(wordClass.shape)}, targets ${fmtShape(targets.shape)}`;
  if (h.rank !== 2 || Wc.rank !== 2 || Ww.rank !== 2) fail(op, `h, Wc and Ww must be 2-D ([N, D], [C, D], [V, D]); got ${shapes}`);
  const [n, d] = h.shape;
  const c = Wc.shape[0];
  const v = Ww.shape[0];
  if (Wc.shape[1] !== d || Ww.shape[1] !== d) fail(op, `Wc and Ww must have D = ${d} columns like h; got ${shapes}`);
  if (bc.rank !== 1 || bc.shape[0] !== c) fail(op, `bc must be [C] = [${c}]; got ${shapes}`);
  if (bw.rank !== 1 || bw.shape[0] !== v) fail(op, `bw must be [V] = [${v}]; got ${shapes}`);
  if (wordClass.rank !== 1 || wordClass.shape[0] !== v) fail(op, `wordClass must be int32 [V] = [${v}] (the class of each word); got ${shapes}`);
  if (targets.rank !== 1 || targets.shape[0] !== n) fail(op, `targets must be int32 [N] = [${n}] (one word id per row of h); got ${shapes}`);
  if (c === 0 || v === 0) fail(op, `need at least one class and one word; got ${shapes}`);
  const csr = classCsr(wordClass, c);
  const loss = empty([n], 'float32');
  const aux = empty([n, 4 + c], 'float32'); // (class lse, word lse, target class, 0, class logits)
  if (n) {
    const e = engine();
    e.dispatch(hsoftmaxProgram('FWD_Z', n, c, v, d), [h.buffer, Wc.buffer, bc.buffer], [aux.buffer]);
    e.dispatch(hsoftmaxProgram('FWD', n, c, v, d), [Ww, bw, wordClass, targets, csr].reduce((b, t) => [...b, t.buffer], [h.buffer]), [aux.buffer, loss.buffer]);
  }
  const out: HierarchicalSoftmaxResult = { loss: recordHsoftmax([h, Wc, bc, Ww, bw, wordClass, targets], csr, aux, checked(loss, op)) };
  if (options.full) out.logp = tidy(() => fullLogp(h, Wc, bc, Ww, bw, wordClass, csr));
  return out;
}

/** logp [N, V] from matMuls, the class log-softmax and each class's logsumexp (differentiable). */
function fullLogp(h: Tensor, Wc: Tensor, bc: Tensor, Ww: Tensor, bw: Tensor, wordClass: Tensor, csr: Tensor): Tensor {
  const [n] = h.shape;
  const c = Wc.shape[0];
  const v = Ww.shape[0];
  const lpc = logSoftmax(add(matMul(h, Wc, false, true), bc)); // [N, C]
  const wl = add(matMul(h, Ww, false, true), bw); // [N, V]
  const lse = empty([n, c], 'float32');
  if (n) engine().dispatch(classLseProgram(n, c, v), [wl.buffer, csr.buffer], [lse.buffer]);
  const classLse = recordClassLse(wl, wordClass, checked(lse, 'hierarchicalSoftmax'));
  return sub(add(gather(lpc, wordClass, 1), wl), gather(classLse, wordClass, 1));
}
