// Local (per-decision) training of a FeatureMlp on rows of feature ids and gold classes: softmax
// cross-entropy, Adam, shuffled minibatches, a progress line, a callback per epoch (dev scores,
// checkpoints). The tagger's training and the parser's greedy pre-training (docs/parser.md).
import * as kiln from '../../index.ts';
import type { FeatureMlp } from './mlp.ts';
import { rng } from '../../util/numeric.ts';
import type { Tensor } from '../../tensor.ts';

export interface FitSpec {
  epochs: number;
  batch: number;
  lr: number;
  /** decoupled weight decay of Adam */
  l2: number;
  seed: number;
  /** first epoch to run (resuming: the ones before are done) */
  startEpoch?: number;
  /**
   * weight of a self-normalisation term mean(logsumexp(scores)^2) (Devlin et al. 2014): the raw
   * scores become log-probabilities themselves, so a globally normalised model (summed raw scores)
   * starts from the local model's beam instead of from arbitrary per-state offsets. 0 = none.
   */
  selfNormalize?: number;
}

export interface FitProgress { epoch: number; epochs: number; step: number; steps: number; loss: number; rowsPerSec: number; etaSec: number }

/**
 * Trains `model` on rows x [n, F] (int32 ids) with classes y [n]. `legal` (optional, [n, C] of 0/1)
 * masks classes out of the softmax per row. onEpoch runs after every epoch (in eval mode).
 */
export async function fitMlp(model: FeatureMlp, x: Int32Array, y: Int32Array, spec: FitSpec, hooks: {
  onProgress?: (p: FitProgress) => void;
  onEpoch?: (epoch: number, meanLoss: number) => Promise<void> | void;
  optimizer?: kiln.Optimizer;
} = {}): Promise<void> {
  const F = model.features, C = model.spec.outputs;
  const n = y.length;
  if (x.length !== n * F) throw new Error(`fitMlp: x has ${x.length} ids, expected ${n} rows x ${F} features`);
  for (let i = 0; i < n; i++) if (!(y[i] >= 0 && y[i] < C)) throw new Error(`fitMlp: row ${i} has class ${y[i]}, outside [0, ${C})`);
  await kiln.ready();
  const params = model.namedParameters().map(([, v]) => v);
  const opt = hooks.optimizer ?? kiln.adam(spec.lr, 0.9, 0.999, 1e-8, { weightDecay: spec.l2 });
  const order = Int32Array.from({ length: n }, (_, i) => i);
  const perEpoch = Math.ceil(n / spec.batch);
  const start = spec.startEpoch ?? 0;
  const steps = (spec.epochs - start) * perEpoch;
  const bx = new Int32Array(spec.batch * F), by = new Float32Array(spec.batch * C);
  let step = 0;
  const t0 = performance.now();
  try {
    for (let ep = start; ep < spec.epochs; ep++) {
      const rand = rng(spec.seed * 7919 + ep);
      for (let i = n - 1; i > 0; i--) { const j = Math.floor(rand() * (i + 1)); const t = order[i]; order[i] = order[j]; order[j] = t; }
      model.train(true);
      let lossSum = 0, lossN = 0;
      const pending: Tensor[] = [];
      for (let at = 0; at < n; at += spec.batch) {
        const m = Math.min(spec.batch, n - at);
        by.fill(0, 0, m * C);
        for (let i = 0; i < m; i++) {
          const r = order[at + i];
          bx.set(x.subarray(r * F, (r + 1) * F), i * F);
          by[i * C + y[r]] = 1;
        }
        const loss = kiln.tidy(() => {
          const ids = model.idTensors(bx, m);
          const Y = kiln.tensor(by.subarray(0, m * C), [m, C]);
          const alpha = spec.selfNormalize ?? 0;
          return opt.minimize(() => {
            const logits = model.forward(ids);
            const ce = kiln.softmaxCrossEntropy(Y, logits);
            return alpha > 0 ? kiln.add(ce, kiln.mul(kiln.mean(kiln.square(kiln.logSumExp(logits, 1))), alpha)) : ce;
          }, { returnCost: true, varList: params })!;
        });
        pending.push(loss);
        step++;
        // read losses back in groups: one read-back per step would stall the queue
        if (pending.length >= 16 || at + spec.batch >= n) {
          const vals = await Promise.all(pending.map((t) => t.data()));
          kiln.dispose(pending);
          pending.length = 0;
          for (const v of vals) { lossSum += v[0]; lossN++; }
          const last = vals[vals.length - 1][0];
          if (!Number.isFinite(last)) throw new Error(`fitMlp: the loss went to ${last} at step ${step} (epoch ${ep + 1}); lower lr (${spec.lr})`);
          const sec = (performance.now() - t0) / 1000;
          hooks.onProgress?.({ epoch: ep + 1, epochs: spec.epochs, step, steps, loss: lossSum / lossN, rowsPerSec: (step * spec.batch) / sec, etaSec: (sec / step) * (steps - step) });
        }
      }
      model.train(false);
      await hooks.onEpoch?.(ep + 1, lossSum / Math.max(1, lossN));
    }
  } finally {
    model.train(false);
    if (!hooks.optimizer) opt.dispose();
  }
}

/** Scores [n, C] of rows x [n, F], in batches, eval mode. */
export async function scoreRows(model: FeatureMlp, x: Int32Array, n: number, batch = 8192): Promise<Float32Array> {
  const F = model.features, C = model.spec.outputs;
  const out = new Float32Array(n * C);
  model.train(false);
  for (let at = 0; at < n; at += batch) {
    const m = Math.min(batch, n - at);
    const s = model.scoreTensor(x.subarray(at * F, (at + m) * F), m);
    out.set((await s.data()) as Float32Array, at * C);
    s.dispose();
  }
  return out;
}
