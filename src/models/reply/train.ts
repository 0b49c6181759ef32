// Training of the Smart Reply network (docs/smart_reply.md): the decoder first learns the mail's
// language from the corpus paragraphs (no message, the "nobody" user), then the whole network
// learns message -> reply on the training pairs. Adam, gradient clipping, a progress line, dev
// perplexity after every epoch, the best epoch kept.
import * as kiln from '../../index.ts';
import { rng } from '../../util/numeric.ts';
import { tokenize, type ReplyPair } from './data.ts';
import { BOS, EOS, PAD, encode, type ReplyVocab } from './vocab.ts';
import { ReplyModel, type ReplyBatch } from './model.ts';

export interface Example { src: number[] | null; tgt: number[]; user: number }

export const MAX_MESSAGE = 60, MAX_REPLY = 30;

/** Pairs as id lists: the last MAX_MESSAGE tokens of the message, the first MAX_REPLY of the reply, the user's row (0: unknown). */
export function pairExamples(pairs: readonly ReplyPair[], v: ReplyVocab, users: Map<string, number>): Example[] {
  return pairs.map((p) => ({ src: encode(v, tokenize(p.message).slice(-MAX_MESSAGE)), tgt: encode(v, tokenize(p.reply).slice(0, MAX_REPLY)), user: users.get(p.user) ?? 0 }));
}

/** Corpus paragraphs cut into pieces of at most MAX_REPLY tokens: language-model examples (no message, user 0). */
export function lmExamples(paragraphs: readonly string[][], v: ReplyVocab): Example[] {
  const out: Example[] = [];
  for (const p of paragraphs) for (let at = 0; at < p.length; at += MAX_REPLY) { const piece = p.slice(at, at + MAX_REPLY); if (piece.length >= 3) out.push({ src: null, tgt: encode(v, piece), user: 0 }); }
  return out;
}

/** A padded, time-major batch of examples (all with a message, or all without). */
export function makeBatch(ex: readonly Example[]): ReplyBatch {
  const n = ex.length;
  const withSrc = ex[0].src !== null;
  const srcLens = ex.map((e) => Math.max(1, e.src?.length ?? 0));
  const srcT = withSrc ? Math.max(...srcLens) : 0;
  const tgtLens = ex.map((e) => e.tgt.length + 1);
  const tgtT = Math.max(...tgtLens);
  const src = withSrc ? new Int32Array(srcT * n) : null;
  const tgtIn = new Int32Array(tgtT * n), tgtOut = new Int32Array(tgtT * n);
  ex.forEach((e, j) => {
    if (src) (e.src!.length ? e.src! : [PAD]).forEach((id, t) => { src[t * n + j] = id; });
    tgtIn[j] = BOS;
    e.tgt.forEach((id, t) => { tgtIn[(t + 1) * n + j] = id; tgtOut[t * n + j] = id; });
    tgtOut[e.tgt.length * n + j] = EOS;
  });
  return { src, srcLens, srcT, tgtIn, tgtOut, tgtLens, tgtT, users: Int32Array.from(ex, (e) => e.user), n };
}

/** Perplexity exp(mean token loss) of the model on examples, eval mode, in batches. */
export async function perplexity(m: ReplyModel, ex: readonly Example[], batch = 128): Promise<{ ppl: number; loss: number; tokens: number }> {
  m.train(false);
  let sum = 0, tokens = 0;
  for (let at = 0; at < ex.length; at += batch) {
    const b = makeBatch(ex.slice(at, at + batch));
    const t = kiln.tidy(() => { const r = m.batchLoss(b); tokens += r.tokens; return r.sum; });
    sum += (await t.data())[0];
    t.dispose();
  }
  const loss = sum / Math.max(1, tokens);
  return { ppl: Math.exp(loss), loss, tokens };
}

export interface EpochProgress { stage: string; epoch: number; epochs: number; step: number; steps: number; loss: number; tokensPerSec: number; etaSec: number }

/**
 * One epoch of training over examples in shuffled batches (examples of similar length batched
 * together). Returns the mean token loss.
 */
export async function trainEpoch(m: ReplyModel, ex: readonly Example[], opt: kiln.Optimizer, o: { batch: number; seed: number; stage: string; epoch: number; epochs: number; onProgress?: (p: EpochProgress) => void }): Promise<number> {
  const r = rng(o.seed);
  // bucket by target length, shuffle within and across buckets
  const order = ex.map((_, i) => i);
  for (let i = order.length - 1; i > 0; i--) { const j = Math.floor(r() * (i + 1)); [order[i], order[j]] = [order[j], order[i]]; }
  const chunks: number[][] = [];
  for (let at = 0; at < order.length; at += o.batch * 20) {
    const block = order.slice(at, at + o.batch * 20).sort((a, b) => ex[a].tgt.length - ex[b].tgt.length);
    for (let k = 0; k < block.length; k += o.batch) chunks.push(block.slice(k, k + o.batch));
  }
  for (let i = chunks.length - 1; i > 0; i--) { const j = Math.floor(r() * (i + 1)); [chunks[i], chunks[j]] = [chunks[j], chunks[i]]; }
  m.train(true);
  const params = m.namedParameters().map(([, v]) => v).filter((v) => v.trainable);
  let lossSum = 0, tokSum = 0, seenTok = 0;
  const t0 = performance.now();
  const pending: { t: kiln.Tensor; tokens: number }[] = [];
  const drain = async () => {
    const vals = await Promise.all(pending.map((p) => p.t.data()));
    pending.forEach((p, i) => { lossSum += vals[i][0] * p.tokens; tokSum += p.tokens; p.t.dispose(); });
    pending.length = 0;
    if (!Number.isFinite(lossSum)) throw new Error(`kiln reply train: the loss became ${lossSum} in ${o.stage} epoch ${o.epoch}; lower --lr`);
  };
  for (const [k, idx] of chunks.entries()) {
    const b = makeBatch(idx.map((i) => ex[i]));
    let tokens = 0;
    const loss = kiln.tidy(() => opt.minimize(() => {
      const r2 = m.batchLoss(b);
      tokens = r2.tokens;
      return kiln.div(r2.sum, Math.max(1, r2.tokens));
    }, { returnCost: true, varList: params })!);
    pending.push({ t: loss, tokens });
    seenTok += tokens;
    if (pending.length >= 8 || k === chunks.length - 1) {
      await drain();
      const sec = (performance.now() - t0) / 1000;
      o.onProgress?.({ stage: o.stage, epoch: o.epoch, epochs: o.epochs, step: k + 1, steps: chunks.length, loss: lossSum / Math.max(1, tokSum), tokensPerSec: seenTok / sec, etaSec: (sec / (k + 1)) * (chunks.length - k - 1) });
    }
  }
  m.train(false);
  return lossSum / Math.max(1, tokSum);
}

let fits = 0;

/**
 * A user vector [1, Du] fitted to a user's own (message, reply) examples with the network frozen:
 * L-BFGS (strong Wolfe line search, 5 iterations: more changed nothing measured) on the mean
 * token loss, the encoder's states computed once, from the unknown user's row, with a
 * small pull back to it (l2) so a handful of replies cannot throw it far. The caller owns the
 * returned tensor.
 */
export async function fitUserEmbedding(m: ReplyModel, ex: readonly Example[], o: { maxIter?: number; l2?: number } = {}): Promise<{ vector: kiln.Tensor; before: number; after: number; seconds: number }> {
  if (!ex.length) throw new Error('fitUserEmbedding: no examples of this user');
  const t0 = performance.now();
  m.train(false);
  const b = makeBatch(ex);
  const start = kiln.tidy(() => kiln.slice(m.userEmbedding.weight, [0, 0], [1, m.spec.userDim]));
  const u = kiln.variable(start, true, `reply_user_fit_${++fits}`);
  const l2 = o.l2 ?? 1e-2;
  // the encoder does not see the user: its states are computed once, outside the gradient
  const enc = kiln.noGrad(() => kiln.tidy(() => { const e = m.encode(b.src, b.srcLens, b.srcT, b.n); return { h: kiln.keep(e.h), c: kiln.keep(e.c) }; }));
  const loss = () => {
    const r = m.batchLoss(b, u, enc);
    return kiln.add(kiln.div(r.sum, Math.max(1, r.tokens)), kiln.mul(kiln.sum(kiln.square(kiln.sub(u, start))), l2));
  };
  const opt = kiln.lbfgs({ lr: 1, maxIter: o.maxIter ?? 5, historySize: 10, lineSearch: 'strong-wolfe', varList: [u] });
  try {
    const before = await opt.minimize(loss);
    const end = kiln.tidy(loss);
    const after = (await end.data())[0];
    end.dispose();
    const vector = kiln.clone(u);
    return { vector, before, after, seconds: (performance.now() - t0) / 1000 };
  } finally {
    opt.dispose();
    u.dispose();
    start.dispose();
    kiln.dispose([enc.h, enc.c]);
  }
}

/**
 * Held-out perplexity of a user's pairs as an unknown user (row 0) and with a vector fitted on
 * the user's other pairs: the personalisation measurement of `kiln reply eval`.
 */
export async function personalised(m: ReplyModel, fitOn: readonly Example[], heldOut: readonly Example[]): Promise<{ before: number; after: number; seconds: number }> {
  const before = (await perplexity(m, heldOut)).ppl;
  const fit = await fitUserEmbedding(m, fitOn);
  try {
    const t = kiln.tidy(() => m.batchLoss(makeBatch(heldOut), fit.vector).sum);
    const sum = (await t.data())[0];
    t.dispose();
    const tokens = heldOut.reduce((a, e) => a + e.tgt.length + 1, 0);
    return { before, after: Math.exp(sum / tokens), seconds: fit.seconds };
  } finally {
    fit.vector.dispose();
  }
}
