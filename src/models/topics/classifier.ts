// Linear topic classifiers on the GPU (docs/topics.md): logits = X_sparse W_s + X_dense W_d + b,
// trained with Adam on minibatches. Two heads:
//   'sigmoid': one binary classifier per topic (the columns never interact, so training them in one
//              matrix is training each on its own), each with its own positive weight and, after
//              training, its own threshold on the dev split;
//   'softmax': the single multi-label classifier (a softmax over all topics against the normalised
//              label set, as fastText trains), one global threshold.
import * as kiln from '../../index.ts';
import { CsrMatrix } from '../../ops/sparse.ts';
import { selectRows, type FeatureMatrix } from './features.ts';
import { rng } from '../../util/numeric.ts';

export interface LinearSpec {
  head: 'sigmoid' | 'softmax';
  /** use the dense (word-vector) features */
  dense: boolean;
  /** per-topic positive weight: 'balanced' = min(cap, negatives / positives) per topic, 'none' = 1 */
  posWeight: 'balanced' | 'none';
  posWeightCap: number;
  l2: number;
  lr: number;
  epochs: number;
  batch: number;
  seed: number;
}

export const LINEAR_DEFAULTS: LinearSpec = { head: 'sigmoid', dense: true, posWeight: 'balanced', posWeightCap: 20, l2: 1e-6, lr: 0.02, epochs: 8, batch: 1024, seed: 1 };

export interface LinearModel {
  head: 'sigmoid' | 'softmax';
  terms: number;
  dim: number;
  topics: number;
  /** [terms, topics] */
  ws: Float32Array;
  /** [dim, topics] (empty without dense features) */
  wd: Float32Array;
  b: Float32Array;
}

export interface TrainProgress { epoch: number; epochs: number; step: number; steps: number; loss: number; examplesPerSec: number; etaSec: number }

/**
 * Trains on features x (n rows) and labels y ([n, T], 0/1). `mask` ([n, T], optional) drops
 * (row, topic) entries from the loss (the few-shot curve keeps only k positives per topic).
 */
export async function trainLinear(x: FeatureMatrix, y: Float32Array, topics: number, spec: Partial<LinearSpec> = {}, mask?: Float32Array, onProgress?: (p: TrainProgress) => void): Promise<LinearModel> {
  const s = { ...LINEAR_DEFAULTS, ...spec };
  const n = x.n;
  const f = x.sparse.cols;
  const dim = s.dense && x.dense ? x.dim : 0;
  if (y.length !== n * topics) throw new Error(`trainLinear: labels must be [${n}, ${topics}], got ${y.length} values`);
  // per-topic positive counts (under the mask) -> weights and prior biases
  const pos = new Float64Array(topics), cnt = new Float64Array(topics);
  for (let i = 0; i < n; i++) for (let t = 0; t < topics; t++) { const m = mask ? mask[i * topics + t] : 1; cnt[t] += m; pos[t] += m * y[i * topics + t]; }
  const pw = Float32Array.from(pos, (p, t) => (s.posWeight === 'balanced' && p > 0 ? Math.min(s.posWeightCap, Math.max(1, (cnt[t] - p) / p)) : 1));
  // Topics are padded to a multiple of 4 (vec4 rows in spmm); the padding columns get no loss and a
  // very negative bias.
  const tp = Math.ceil(topics / 4) * 4;
  const b0 = new Float32Array(tp).fill(-30);
  for (let t = 0; t < topics; t++) b0[t] = s.head === 'sigmoid' ? Math.log(Math.max(pos[t], 0.5) / Math.max(cnt[t] - pos[t], 0.5)) : Math.log(Math.max(pos[t], 0.5) / n);
  await kiln.ready();
  const Ws = kiln.tidy(() => kiln.variable(kiln.zeros([f, tp])));
  const Wd = dim ? kiln.tidy(() => kiln.variable(kiln.zeros([dim, tp]))) : null;
  const B = kiln.tidy(() => kiln.variable(kiln.tensor(b0, [tp])));
  const params = [Ws, ...(Wd ? [Wd] : []), B];
  const opt = kiln.adam(s.lr, 0.9, 0.999, 1e-8, { weightDecay: s.l2 });
  const rand = rng(s.seed);
  const order = Array.from({ length: n }, (_, i) => i);
  const steps = s.epochs * Math.ceil(n / s.batch);
  let step = 0;
  const t0 = performance.now();
  let lastLoss = NaN;
  try {
    for (let ep = 0; ep < s.epochs; ep++) {
      for (let i = n - 1; i > 0; i--) { const j = Math.floor(rand() * (i + 1)); [order[i], order[j]] = [order[j], order[i]]; }
      for (let at = 0; at < n; at += s.batch) {
        const idx = order.slice(at, at + s.batch);
        const bx = selectRows(x, idx);
        const by = new Float32Array(idx.length * tp);
        const bw = new Float32Array(idx.length * tp);
        idx.forEach((r, i) => {
          for (let t = 0; t < topics; t++) {
            const yy = y[r * topics + t];
            const m = mask ? mask[r * topics + t] : 1;
            by[i * tp + t] = yy;
            bw[i * tp + t] = m * (yy > 0 ? pw[t] : 1);
          }
        });
        if (s.head === 'softmax') { // the normalised label set of each row is the target distribution
          for (let i = 0; i < idx.length; i++) {
            let z = 0;
            for (let t = 0; t < topics; t++) z += by[i * tp + t] * bw[i * tp + t];
            for (let t = 0; t < tp; t++) by[i * tp + t] = z > 0 ? by[i * tp + t] * bw[i * tp + t] / z : 0;
          }
        }
        const report = step % 20 === 0 || step === steps - 1;
        const loss = kiln.tidy(() => {
          const Y = kiln.tensor(by, [idx.length, tp]);
          const Wt = kiln.tensor(bw, [idx.length, tp]);
          const Xd = Wd && bx.dense ? kiln.tensor(bx.dense, [idx.length, dim]) : null;
          const f = () => {
            let logits = kiln.add(kiln.spmm(bx.sparse, Ws), B);
            if (Xd && Wd) logits = kiln.add(logits, kiln.matMul(Xd, Wd));
            if (s.head === 'sigmoid') return kiln.div(kiln.sum(kiln.mul(kiln.sigmoidCrossEntropy(Y, logits, { reduction: 'none' }), Wt)), kiln.scalar(idx.length));
            return kiln.softmaxCrossEntropy(Y, logits);
          };
          return opt.minimize(f, { returnCost: report, varList: params });
        });
        bx.sparse.dispose();
        step++;
        if (loss) {
          lastLoss = (await loss.data())[0];
          loss.dispose();
          if (!Number.isFinite(lastLoss)) throw new Error(`trainLinear: the loss went to ${lastLoss} at step ${step}; lower lr (${s.lr})`);
          const sec = (performance.now() - t0) / 1000;
          onProgress?.({ epoch: ep + 1, epochs: s.epochs, step, steps, loss: lastLoss, examplesPerSec: (step * s.batch) / sec, etaSec: sec / step * (steps - step) });
        }
      }
    }
    const [ws, wd, b] = await Promise.all([Ws.data(), Wd ? Wd.data() : Promise.resolve(new Float32Array(0)), B.data()]);
    const cut = (w: Float32Array, rows: number) => { const o = new Float32Array(rows * topics); for (let r = 0; r < rows; r++) o.set(w.subarray(r * tp, r * tp + topics), r * topics); return o; };
    return { head: s.head, terms: f, dim, topics, ws: cut(ws as Float32Array, f), wd: cut(wd as Float32Array, dim), b: (b as Float32Array).slice(0, topics) };
  } finally {
    opt.dispose();
    kiln.dispose(params);
  }
}

/** Scores [n, T]: sigmoid probabilities (per-topic head) or softmax probabilities (multi-label head). */
export async function scoreLinear(m: LinearModel, x: FeatureMatrix, batch = 4096): Promise<Float32Array> {
  await kiln.ready();
  const out = new Float32Array(x.n * m.topics);
  const tp = Math.ceil(m.topics / 4) * 4;
  const pad = (w: Float32Array, rows: number, fill = 0) => { const o = new Float32Array(rows * tp).fill(fill); for (let r = 0; r < rows; r++) o.set(w.subarray(r * m.topics, (r + 1) * m.topics), r * tp); return o; };
  const Ws = kiln.tensor(pad(m.ws, m.terms), [m.terms, tp]);
  const Wd = m.dim ? kiln.tensor(pad(m.wd, m.dim), [m.dim, tp]) : null;
  const B = kiln.tensor(pad(m.b, 1, -30), [tp]);
  try {
    for (let at = 0; at < x.n; at += batch) {
      const idx = Array.from({ length: Math.min(batch, x.n - at) }, (_, i) => at + i);
      const bx = idx.length === x.n ? x : selectRows(x, idx);
      const p = kiln.tidy(() => {
        let logits = kiln.add(kiln.spmm(bx.sparse, Ws), B);
        if (Wd && bx.dense) logits = kiln.add(logits, kiln.matMul(kiln.tensor(bx.dense, [idx.length, m.dim]), Wd));
        return m.head === 'sigmoid' ? kiln.sigmoid(logits) : kiln.softmax(logits, -1);
      });
      const v = await p.data() as Float32Array;
      for (let i = 0; i < idx.length; i++) out.set(v.subarray(i * tp, i * tp + m.topics), (at + i) * m.topics);
      p.dispose();
      bx.sparse.dispose(); // only its GPU copy: a later use uploads it again (repeated predicts keep memory flat)
    }
  } finally {
    kiln.dispose([Ws, B, ...(Wd ? [Wd] : [])]);
  }
  return out;
}

export { CsrMatrix };
