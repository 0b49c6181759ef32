// Hierarchical (class-factored) softmax loss, N=64 rows, D=256, V=10000 words in C=100 classes of
// uneven size (1..199 words, ids scattered), forward and forward+backward (the gradient w.r.t. the
// word scorer Ww); and at V=50000 (C=224). kiln: one fused kernel, O((C + |class|)·D) per row. tfjs
// has no such op: its side is what a tfjs user writes, the full word logits (matMul [N, V]) with
// the target class masked for the logsumexp, plus the class log-softmax, O(V·D) per row.
// The fullsoftmax_ rows are the ablation of the Smart Reply model (docs/smart_reply.md): the full
// softmax cross-entropy over V words, loss + gradient, in both libraries; kiln's hsoftmax row over
// kiln's fullsoftmax row at the same V is the speed-up of the hierarchical output layer.
import type { Tensor } from '../../src/index.ts';
import type { Suite, TF, TFTensor, KilnOps } from './suite.ts';
import { bytesOf } from './suite.ts';

const N = 64, D = 256;

/** Uneven classes (sizes ~ 1 + 2c), ids shuffled; deterministic targets. */
function makeTables(V: number, C: number): { wordClass: Int32Array; targets: Int32Array } {
  let s = 777;
  const r = () => { s = (Math.imul(s, 1103515245) + 12345) >>> 0; return s / 4294967296; };
  const weights = Array.from({ length: C }, (_, c) => 1 + 2 * c);
  const total = weights.reduce((a, b) => a + b, 0);
  const cls: number[] = [];
  weights.forEach((w, c) => { for (let i = 0; i < Math.max(1, Math.round((w * V) / total)); i++) cls.push(c); });
  while (cls.length > V) cls.pop();
  while (cls.length < V) cls.push(C - 1);
  for (let i = V - 1; i > 0; i--) { const j = Math.floor(r() * (i + 1)); [cls[i], cls[j]] = [cls[j], cls[i]]; }
  const targets = Int32Array.from({ length: N }, () => Math.floor(r() * V));
  return { wordClass: Int32Array.from(cls), targets };
}

type HsmFn = (h: Tensor, Wc: Tensor, bc: Tensor, Ww: Tensor, bw: Tensor, wordClass: Tensor, targets: Tensor) => { loss: Tensor };

/** The loss + gradient suites of one vocabulary size. */
function suitesFor(V: number, C: number, withForward: boolean): Suite[] {
  const TABLES = makeTables(V, C);
  let kc: { wordClass: Tensor; targets: Tensor } | null = null;
  let tc: { wordClass: TFTensor; targets: TFTensor } | null = null;
  const kilnSetup = async (): Promise<() => void> => {
    const kiln = await import('../../src/index.ts');
    kc = { wordClass: kiln.tensor(TABLES.wordClass, [V], 'int32'), targets: kiln.tensor(TABLES.targets, [N], 'int32') };
    return () => { kiln.dispose([kc!.wordClass, kc!.targets]); kc = null; };
  };
  const tfSetup = async (tf: TF): Promise<() => void> => {
    tc = { wordClass: tf.tensor1d(TABLES.wordClass, 'int32'), targets: tf.tensor1d(TABLES.targets, 'int32') };
    return () => { tf.dispose([tc!.wordClass, tc!.targets]); tc = null; };
  };
  const kilnLoss = (k: KilnOps, [h, Wc, bc, Ww, bw]: Tensor[]): Tensor => {
    const hsm = (k as unknown as { hierarchicalSoftmax: HsmFn }).hierarchicalSoftmax;
    return hsm(h, Wc, bc, Ww, bw, kc!.wordClass, kc!.targets).loss;
  };
  const tfLoss = (tf: TF, [h, Wc, bc, Ww, bw]: TFTensor[]): TFTensor => {
    const { wordClass, targets } = tc!;
    const tclass = tf.gather(wordClass, targets); // [N]
    const lpc = tf.logSoftmax(tf.add(tf.matMul(h, Wc, false, true), bc)); // [N, C]
    const lpcT = tf.sum(tf.mul(lpc, tf.oneHot(tclass, C)), 1);
    const u = tf.add(tf.matMul(h, Ww, false, true), bw); // [N, V]
    const inClass = tf.equal(tf.expandDims(tclass, 1), tf.expandDims(wordClass, 0)); // [N, V]
    const lse = tf.logSumExp(tf.where(inClass, u, tf.fill([N, V], -1e30)), 1);
    const uT = tf.sum(tf.mul(u, tf.oneHot(targets, V)), 1);
    return tf.sub(tf.sub(lse, uT), lpcT);
  };
  const inputs = [{ shape: [N, D] }, { shape: [C, D] }, { shape: [C] }, { shape: [V, D] }, { shape: [V] }];
  const work = { bytes: bytesOf([N, D], [C, D], [V, D]) };
  const size = `N${N}_D${D}_V${V}`;
  const out: Suite[] = [];
  if (withForward) {
    out.push({
      name: `hsoftmax_loss_${size}_C${C}`,
      needs: ['matMul'],
      inputs, work, tol: 1e-4,
      setup: { kiln: kilnSetup, tfjs: tfSetup },
      kiln: (k, x) => kilnLoss(k, x),
      tfjs: (tf, x) => tfLoss(tf, x),
    });
  }
  out.push({
    name: `hsoftmax_loss_grad_${size}_C${C}`,
    needs: ['matMul', 'grads'],
    inputs, work, tol: 1e-3,
    setup: { kiln: kilnSetup, tfjs: tfSetup },
    kiln: (k, x) => k.grads((...a: Tensor[]) => k.sum(kilnLoss(k, a)))(x)[3],
    tfjs: (tf, x) => tf.grads((...a: TFTensor[]) => tf.sum(tfLoss(tf, a)))(x)[3],
  });
  // the full softmax over all V words: logits [N, V], cross-entropy, gradient w.r.t. Ww
  const fullIn = [{ shape: [N, D] }, { shape: [V, D] }, { shape: [V] }];
  out.push({
    name: `fullsoftmax_loss_grad_${size}`,
    needs: ['matMul', 'grads', 'add', 'softmaxCrossEntropy'],
    inputs: fullIn, work: { flops: 3 * 2 * N * D * V }, tol: 1e-3,
    setup: { kiln: kilnSetup, tfjs: tfSetup },
    kiln: (k, x) => k.grads((h: Tensor, Ww: Tensor, bw: Tensor) => k.mul(k.softmaxCrossEntropy(kc!.targets, k.add(k.matMul(h, Ww, false, true), bw)), N))(x)[1],
    tfjs: (tf, x) => tf.grads((h: TFTensor, Ww: TFTensor, bw: TFTensor) => tf.mul(tf.losses.softmaxCrossEntropy(tf.oneHot(tc!.targets, V), tf.add(tf.matMul(h, Ww, false, true), bw)), N))(x)[1],
  });
  return out;
}

export const hsoftmax: Suite[] = [...suitesFor(10000, 100, true), ...suitesFor(50000, 224, false)];
