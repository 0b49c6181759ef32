// CTC loss, T=100 frames, C=30 classes, N=32 sequences, target lengths 16..24 (mean 20):
// logSoftmax -> ctcLoss (torch's 'mean' reduction), forward and forward+backward (the gradient
// w.r.t. the logits). tfjs has no CTC loss: its side is what a tfjs user writes, the log-space
// alpha recursion as a loop of tf ops over T (emissions gathered by a batched one-hot matMul,
// the two shifted predecessors by pad/slice, the skip transition masked), differentiated by
// tf.grads through the whole loop.
import type { Tensor } from '../../src/index.ts';
import type { Suite, TF, TFTensor, KilnOps } from './suite.ts';

const T = 100, N = 32, C = 30, BLANK = 0;
const NEG = -1e30;

/** Deterministic targets: lengths 16..24, labels 1..C-1 with some repeats. */
function makeTargets(): { lengths: number[]; labels: number[][] } {
  let s = 12345;
  const r = () => { s = (Math.imul(s, 1103515245) + 12345) >>> 0; return s / 4294967296; };
  const lengths = Array.from({ length: N }, () => 16 + Math.floor(r() * 9));
  const labels = lengths.map((len) => {
    const l: number[] = [];
    for (let i = 0; i < len; i++) l.push(i > 0 && r() < 0.15 ? l[i - 1] : 1 + Math.floor(r() * (C - 1)));
    return l;
  });
  return { lengths, labels };
}

const TARGETS = makeTargets();
const SMAX = Math.max(...TARGETS.lengths);
const L = 2 * SMAX + 1;

// ---- kiln side ---------------------------------------------------------------------------------

type CtcLossFn = (lp: Tensor, targets: Tensor, il: Tensor, tl: Tensor, o?: { reduction?: 'mean' | 'sum' | 'none' }) => Tensor;
let kilnConst: { targets: Tensor; il: Tensor; tl: Tensor } | null = null;

async function kilnSetup(): Promise<() => void> {
  const kiln = await import('../../src/index.ts');
  const padded = new Int32Array(N * SMAX);
  TARGETS.labels.forEach((l, n) => l.forEach((v, i) => { padded[n * SMAX + i] = v; }));
  kilnConst = {
    targets: kiln.tensor(padded, [N, SMAX], 'int32'),
    il: kiln.tensor(new Int32Array(N).fill(T), [N], 'int32'),
    tl: kiln.tensor(Int32Array.from(TARGETS.lengths), [N], 'int32'),
  };
  return () => { kiln.dispose([kilnConst!.targets, kilnConst!.il, kilnConst!.tl]); kilnConst = null; };
}

function kilnLoss(k: KilnOps, x: Tensor): Tensor {
  const ctcLoss = (k as unknown as { ctcLoss: CtcLossFn }).ctcLoss;
  const c = kilnConst!;
  return ctcLoss(k.logSoftmax(x), c.targets, c.il, c.tl, { reduction: 'mean' });
}

// ---- tfjs side: the alpha recursion composed from tf ops ---------------------------------------

let tfConst: { onehot: TFTensor; init: TFTensor; skip: TFTensor; end: TFTensor; div: TFTensor } | null = null;

async function tfSetup(tf: TF): Promise<() => void> {
  // onehot [N, C, L]: extended position s of sequence n emits class ext(n, s)
  const onehot = new Float32Array(N * C * L);
  const init = new Uint8Array(N * L), skip = new Uint8Array(N * L), end = new Uint8Array(N * L);
  TARGETS.labels.forEach((lab, n) => {
    const ln = 2 * lab.length + 1;
    for (let s = 0; s < L; s++) {
      const c = s % 2 === 0 || s >= ln ? BLANK : lab[(s - 1) >> 1];
      onehot[(n * C + c) * L + s] = 1;
      if (s < 2) init[n * L + s] = 1;
      if (s % 2 === 1 && s >= 3 && s < ln && lab[(s - 1) >> 1] !== lab[(s - 3) >> 1]) skip[n * L + s] = 1;
      if (s === ln - 1 || s === ln - 2) end[n * L + s] = 1;
    }
  });
  tfConst = {
    onehot: tf.tensor3d(onehot, [N, C, L]),
    init: tf.tensor2d(init, [N, L], 'bool'),
    skip: tf.tensor2d(skip, [N, L], 'bool'),
    end: tf.tensor2d(end, [N, L], 'bool'),
    div: tf.tensor1d(TARGETS.lengths.map((v) => Math.max(v, 1))),
  };
  return () => { tf.dispose(Object.values(tfConst!)); tfConst = null; };
}

function tfLoss(tf: TF, x: TFTensor): TFTensor {
  const c = tfConst!;
  const lp = tf.logSoftmax(x); // [T, N, C]
  const em = tf.matMul(tf.transpose(lp, [1, 0, 2]), c.onehot); // [N, T, L]
  const frames = tf.unstack(em, 1); // T x [N, L]
  const neg = tf.fill([N, L], NEG);
  const negCol = tf.fill([N, 2], NEG);
  let alpha = tf.where(c.init, frames[0], neg);
  for (let t = 1; t < T; t++) {
    const padded = tf.concat([negCol, alpha], 1); // [N, L + 2]
    const a1 = tf.slice(padded, [0, 1], [N, L]);
    const a2 = tf.where(c.skip, tf.slice(padded, [0, 0], [N, L]), neg);
    alpha = tf.add(tf.logSumExp(tf.stack([alpha, a1, a2]), 0), frames[t]);
  }
  const nll = tf.neg(tf.logSumExp(tf.where(c.end, alpha, neg), 1)); // [N]
  return tf.mean(tf.div(nll, c.div));
}

const work = { bytes: 2 * T * N * C * 4 };

export const ctc: Suite[] = [
  {
    name: 'ctc_loss_T100_N32_C30',
    needs: ['logSoftmax'],
    inputs: [{ shape: [T, N, C], min: -3, max: 3 }],
    work,
    tol: 1e-4,
    sampling: { rounds: 7, maxTime: 0 },
    setup: { kiln: kilnSetup, tfjs: tfSetup },
    kiln: (k, [x]) => kilnLoss(k, x),
    tfjs: (tf, [x]) => tfLoss(tf, x),
  },
  {
    name: 'ctc_loss_grad_T100_N32_C30',
    needs: ['logSoftmax', 'grads'],
    inputs: [{ shape: [T, N, C], min: -3, max: 3 }],
    work,
    tol: 1e-3,
    sampling: { rounds: 7, maxTime: 0 },
    setup: { kiln: kilnSetup, tfjs: tfSetup },
    kiln: (k, [x]) => k.grads((a: Tensor) => kilnLoss(k, a))([x])[0],
    tfjs: (tf, [x]) => tf.grads((a: TFTensor) => tfLoss(tf, a))([x])[0],
  },
];
