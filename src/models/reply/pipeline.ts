// `kiln reply train` (docs/smart_reply.md): data -> vocabulary -> decoder pre-training on the
// corpus -> message -> reply training (best dev epoch kept) -> reply clusters in the trained word
// space -> the response set -> a model directory; and the model as a suggester (used by
// `kiln reply suggest` and eval.ts). Every epoch checkpoints, so --resume continues a run.
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import * as kiln from '../../index.ts';
import { loadHam, loadReplyPairs, corpusParagraphs, tokenize, type ReplyPair } from './data.ts';
import { kmeans, textVector, idfOf, assign, type WordSpace, type Clustering } from './clusters.ts';
import type { Suggester } from './baselines.ts';
import { buildReplyVocab } from './vocab.ts';
import { ReplyModel, type ReplyModelSpec } from './model.ts';
import { pairExamples, lmExamples, perplexity, trainEpoch, type EpochProgress } from './train.ts';
import { saveReplyModel, type ReplyBundle, type ReplyConfig, type ResponseSet } from './store.ts';
import { candidateSet, scoreResponses, diversify } from './suggest.ts';

export interface ReplyTrainOptions {
  out: string;
  lmEpochs: number;
  epochs: number;
  embed: number;
  hidden: number;
  userDim: number;
  clusters: number;
  softmax: 'hierarchical' | 'full';
  /** output weights tied to the input embedding (default true) */
  tie?: boolean;
  /** dropout on embeddings and decoder outputs (default 0.3) */
  dropout?: number;
  lr: number;
  /** learning rate of the message -> reply stage (default lr / 4): the pairs are few, the pre-trained decoder easy to spoil */
  pairLr?: number;
  seed: number;
  resume: boolean;
  log: (line: string) => void;
  /** use only this many corpus paragraphs for pre-training (tests) */
  lmLimit?: number;
  /** use only this many training pairs (tests) */
  pairLimit?: number;
  /** vocabulary size at most (default 12,000) */
  maxWords?: number;
}

export const REPLY_TRAIN_DEFAULTS = { lmEpochs: 3, epochs: 6, embed: 96, hidden: 192, userDim: 16, clusters: 20, lr: 2e-3, pairLr: 5e-4, dropout: 0.3, seed: 1, tie: true };

const fmtEta = (s: number) => (!Number.isFinite(s) ? '?' : s >= 60 ? `${Math.floor(s / 60)}m${String(Math.round(s % 60)).padStart(2, '0')}s` : `${Math.round(s)}s`);

/**
 * The word space of the reply clusters: the trained model's own word embeddings, weighted by the
 * idf of the corpus (stored with the vocabulary), so a model directory carries its clusters'
 * meaning and evaluation is exact.
 */
export async function modelSpace(b: { model: ReplyModel; vocab: { index: Map<string, number>; idf?: Float32Array } }): Promise<WordSpace> {
  const vectors = (await b.model.embedding.weight.data()) as Float32Array;
  return { index: b.vocab.index, vectors, dim: b.model.spec.embed, idf: b.vocab.idf ?? new Float32Array(b.vocab.index.size).fill(1) };
}

/** k-means of the training replies in a word space. */
export function replyClusters(space: WordSpace, train: readonly ReplyPair[], k: number, seed: number): Clustering {
  const X = new Float32Array(train.length * space.dim);
  train.forEach((p, i) => X.set(textVector(space, p.reply), i * space.dim));
  return kmeans(X, train.length, space.dim, Math.min(k, train.length), seed);
}

/** The model as a suggester: the response set scored by the network, the best of k different clusters. */
export function modelSuggester(b: ReplyBundle, user = 0): Suggester & { suggest(message: string, k: number): Promise<string[]> } {
  const cands = candidateSet(b.vocab, b.responses.texts);
  let prior: Float32Array | null = b.responses.prior ? Float32Array.from(b.responses.prior) : null;
  return {
    name: `kiln LSTM encoder-decoder (${b.config.spec.softmax} softmax), response set of ${cands.texts.length}`,
    async suggest(message, k) {
      prior ??= (await scoreResponses(b.model, b.vocab, null, 0, cands)).logp;
      const { logp } = await scoreResponses(b.model, b.vocab, message, user, cands, { alpha: b.config.alpha, lengthBias: b.config.lengthBias });
      // a cluster scores its prior (its size) times the best evidence the message gives one of its
      // replies, p(reply | message) / p(reply) (pointwise mutual information; p(reply) is the
      // decoder's probability with no message, which takes out the length bias of raw scores).
      // Chosen on dev (docs/smart_reply.md): summing the evidence over the cluster instead gave
      // nearly the same suggestions for every message.
      const K = b.responses.k;
      const evidence = new Float64Array(K).fill(-Infinity), best = new Int32Array(K).fill(-1), size = new Float64Array(K);
      for (let i = 0; i < logp.length; i++) {
        const c = b.responses.clusters[i];
        size[c]++;
        const pmi = logp[i] - prior[i];
        if (pmi > evidence[c]) { evidence[c] = pmi; best[c] = i; }
      }
      const score = (c: number) => evidence[c] + Math.log(size[c]);
      const clusters = Array.from(evidence.keys()).filter((c) => best[c] >= 0).sort((x, y) => score(y) - score(x));
      return diversify(clusters.map((c) => best[c]), (i) => b.responses.clusters[i], k).map((i) => cands.texts[i]);
    },
  };
}

interface State { stage: 'lm' | 'pairs' | 'done'; epoch: number; bestDev: number; history: Record<string, unknown>[] }

export async function trainReply(o: ReplyTrainOptions): Promise<ReplyBundle> {
  await kiln.ready();
  const t0 = performance.now();
  mkdirSync(o.out, { recursive: true });
  let last = 0;
  const throttle = (line: string) => { const now = performance.now(); if (now - last > 5000) { last = now; o.log(line); } };
  const docs = loadHam();
  const { pairs, stats } = loadReplyPairs(docs);
  o.log(`[reply train] ${stats.mails} ham mails, ${stats.replies} replies, ${stats.pairs} message -> reply pairs (train ${stats.bySplit.train}, dev ${stats.bySplit.dev}, test ${stats.bySplit.test}), ${stats.users} users`);
  let train = pairs.filter((p) => p.split === 'train');
  if (o.pairLimit) train = train.slice(0, o.pairLimit);
  const dev = pairs.filter((p) => p.split === 'dev');
  let paragraphs = corpusParagraphs(docs);
  if (o.lmLimit) paragraphs = paragraphs.slice(0, o.lmLimit);

  const vocabDocs = [...paragraphs, ...train.flatMap((p) => [tokenize(p.message), tokenize(p.reply)])];
  const vocab = buildReplyVocab(vocabDocs, 2, o.maxWords ?? 12_000);
  vocab.idf = idfOf(vocab.index, vocabDocs);
  const users = new Map<string, number>();
  for (const p of train) if (!users.has(p.user)) users.set(p.user, users.size + 1);
  const spec: ReplyModelSpec = { vocab: vocab.words.length, classes: vocab.classes, users: users.size + 1, embed: o.embed, hidden: o.hidden, userDim: o.userDim, softmax: o.softmax, seed: o.seed, tie: o.tie ?? true, dropout: o.dropout ?? 0.3 };
  o.log(`[reply train] vocabulary ${spec.vocab} words in ${spec.classes} classes, ${users.size} users`);
  const model = new ReplyModel(spec, vocab.wordClass);
  const opt = kiln.adam(o.lr, 0.9, 0.999, 1e-8, { clipNorm: 5 });
  try {
    const statePath = join(o.out, 'train-state.json'), ckpt = join(o.out, 'train.ckpt.safetensors'), best = join(o.out, 'best.safetensors');
    let state: State = { stage: 'lm', epoch: 0, bestDev: Infinity, history: [] };
    if (o.resume && existsSync(statePath) && existsSync(ckpt)) {
      state = JSON.parse(readFileSync(statePath, 'utf8'));
      await kiln.loadCheckpoint(ckpt, { variables: model.stateDict(), optimizer: opt });
      o.log(`[reply train] resuming: ${state.stage} after epoch ${state.epoch}`);
    }
    const save = async () => {
      await kiln.saveCheckpoint(ckpt, { variables: model.stateDict(), optimizer: opt });
      writeFileSync(statePath, JSON.stringify(state, null, 1) + '\n');
    };
    const tr = pairExamples(train, vocab, users), dv = pairExamples(dev, vocab, users);
    const line = (p: EpochProgress) => `[reply train] ${p.stage} epoch ${p.epoch}/${p.epochs} step ${p.step}/${p.steps} loss ${p.loss.toFixed(3)} ${Math.round(p.tokensPerSec)} tokens/s ETA ${fmtEta(p.etaSec)}`;
    if (state.stage === 'lm') {
      const lm = lmExamples(paragraphs, vocab);
      for (let ep = state.epoch + 1; ep <= o.lmEpochs; ep++) {
        const loss = await trainEpoch(model, lm, opt, { batch: 64, seed: o.seed * 1000 + ep, stage: 'pre-training', epoch: ep, epochs: o.lmEpochs, onProgress: (p) => throttle(line(p)) });
        const d = await perplexity(model, dv);
        o.log(`[reply train] pre-training epoch ${ep}/${o.lmEpochs} loss ${loss.toFixed(3)} dev perplexity ${d.ppl.toFixed(1)} (${fmtEta((performance.now() - t0) / 1000)} so far)`);
        state.history.push({ stage: 'lm', epoch: ep, loss, devPpl: d.ppl });
        state.epoch = ep;
        await save();
      }
      state = { ...state, stage: 'pairs', epoch: 0 };
      await save();
    }
    if (state.stage === 'pairs') {
      opt.learningRate = o.pairLr ?? o.lr / 4;
      for (let ep = state.epoch + 1; ep <= o.epochs; ep++) {
        const loss = await trainEpoch(model, tr, opt, { batch: 32, seed: o.seed * 1000 + 500 + ep, stage: 'replies', epoch: ep, epochs: o.epochs, onProgress: (p) => throttle(line(p)) });
        const d = await perplexity(model, dv);
        const isBest = d.ppl < state.bestDev;
        o.log(`[reply train] replies epoch ${ep}/${o.epochs} loss ${loss.toFixed(3)} dev perplexity ${d.ppl.toFixed(1)}${isBest ? ' best' : ''} (${fmtEta((performance.now() - t0) / 1000)} so far)`);
        state.history.push({ stage: 'pairs', epoch: ep, loss, devPpl: d.ppl });
        if (isBest) { state.bestDev = d.ppl; writeFileSync(best, await kiln.saveTensors(model.stateDict())); }
        state.epoch = ep;
        await save();
      }
      if (existsSync(best)) { const t = kiln.loadTensors(readFileSync(best)); model.loadStateDict(t); kiln.dispose(Object.values(t)); }
      state = { ...state, stage: 'done' };
      await save();
    }
    // the reply clusters in the model's word space, and the response set: every distinct training reply
    const space = await modelSpace({ model, vocab });
    const clusters = replyClusters(space, train, o.clusters, o.seed);
    o.log(`[reply train] ${clusters.k} reply clusters of the ${train.length} training replies`);
    const texts = [...new Set(train.map((p) => p.reply))];
    const prior = (await scoreResponses(model, vocab, null, 0, candidateSet(vocab, texts))).logp;
    const responses: ResponseSet = { texts, clusters: texts.map((t) => assign(clusters, textVector(space, t))), k: clusters.k, dim: clusters.dim, centroids: Array.from(clusters.centroids), prior: Array.from(prior, (x) => Math.round(x * 1e4) / 1e4) };
    const config: ReplyConfig = { format: 'kiln-reply/1', spec, alpha: 1, lengthBias: 0, settings: { ...o, log: undefined, out: undefined, resume: undefined } };
    const bundle: ReplyBundle = { config, vocab, users, responses, model };
    config.results = { devPerplexity: state.bestDev, history: state.history, trainSeconds: Math.round((performance.now() - t0) / 1000) };
    await saveReplyModel(o.out, bundle);
    for (const f of [statePath, ckpt, best]) rmSync(f, { force: true });
    o.log(`[reply train] wrote ${o.out}: dev perplexity ${state.bestDev.toFixed(1)} (${fmtEta((performance.now() - t0) / 1000)})`);
    return bundle;
  } catch (e) {
    model.dispose();
    throw e;
  } finally {
    opt.dispose();
  }
}

