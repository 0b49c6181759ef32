// Skip-gram with negative sampling on the GPU (word2vec's recipe): a vocabulary with a minimum
// count, subsampling of frequent words, a unigram^0.75 noise table, a linearly decaying learning
// rate, and kiln.skipGramSgd over chunks of the token stream. docs/topics.md.
import * as kiln from '../../index.ts';
import { rng } from '../../util/numeric.ts';

export interface SkipGramOptions {
  dim: number;
  window: number;
  negatives: number;
  epochs: number;
  minCount: number;
  /** starting learning rate, decayed linearly to lr * 1e-4 over all epochs (word2vec's 0.025) */
  lr: number;
  /** subsampling threshold t: a word of frequency f is kept with probability (sqrt(f/t) + 1) t / f */
  sample: number;
  seed: number;
  /** (context, centre) pairs per GPU dispatch */
  chunk: number;
  /** called about every `progressEvery` seconds and at the end */
  onProgress?: (p: SkipGramProgress) => void;
  progressEvery?: number;
}

export interface SkipGramProgress { epoch: number; epochs: number; words: number; totalWords: number; wordsPerSec: number; loss: number; lr: number; etaSec: number }

export const SKIPGRAM_DEFAULTS: SkipGramOptions = { dim: 100, window: 5, negatives: 5, epochs: 5, minCount: 5, lr: 0.025, sample: 1e-4, seed: 1, chunk: 1 << 17 };

export interface Vocab { words: string[]; counts: number[]; index: Map<string, number> }

/** Words seen at least minCount times, most frequent first (ties by first appearance). */
export function buildVocab(docs: string[][], minCount: number): Vocab {
  const counts = new Map<string, number>();
  for (const d of docs) for (const w of d) counts.set(w, (counts.get(w) ?? 0) + 1);
  const words = [...counts.entries()].filter(([, c]) => c >= minCount).sort((a, b) => b[1] - a[1]).map(([w]) => w);
  return { words, counts: words.map((w) => counts.get(w)!), index: new Map(words.map((w, i) => [w, i])) };
}

/** word2vec's noise table: word ids in proportion to count^0.75, `size` entries. */
export function noiseTable(counts: number[], size = 1 << 20): Int32Array {
  const out = new Int32Array(size);
  const p = counts.map((c) => Math.pow(c, 0.75));
  const total = p.reduce((a, b) => a + b, 0);
  let w = 0;
  let acc = p[0] / total;
  for (let i = 0; i < size; i++) {
    out[i] = w;
    if ((i + 1) / size > acc && w < counts.length - 1) { w++; acc += p[w] / total; }
  }
  return out;
}

export interface SkipGramResult {
  vocab: Vocab;
  /** W_in rows, [V, dim] row-major: the word vectors */
  vectors: Float32Array;
  dim: number;
  seconds: number;
  /** corpus tokens (all of them, as fastText and gensim count) * epochs / seconds */
  wordsPerSec: number;
  tokens: number;
  finalLoss: number;
}

/** Trains word vectors on documents of tokens (one document never shares a window with the next). */
export async function trainSkipGram(docs: string[][], options: Partial<SkipGramOptions> = {}): Promise<SkipGramResult> {
  const o = { ...SKIPGRAM_DEFAULTS, ...options };
  if (!(o.chunk >= 64)) throw new Error(`trainSkipGram: chunk must be at least 64 pairs, got ${o.chunk}`);
  await kiln.ready();
  const vocab = buildVocab(docs, o.minCount);
  const v = vocab.words.length;
  if (v < 2) throw new Error(`trainSkipGram: only ${v} word(s) occur at least ${o.minCount} times; lower minCount or give more text`);
  const ids = docs.map((d) => Int32Array.from(d.map((w) => vocab.index.get(w) ?? -1).filter((i) => i >= 0)));
  const tokens = docs.reduce((a, d) => a + d.length, 0);
  const inVocab = vocab.counts.reduce((a, b) => a + b, 0);
  const keep = vocab.counts.map((c) => {
    if (o.sample <= 0) return 1;
    const f = c / inVocab;
    return Math.min(1, (Math.sqrt(f / o.sample) + 1) * o.sample / f);
  });
  const rand = rng(o.seed);
  // word2vec's initialisation: W_in uniform in [-0.5/D, 0.5/D], W_out zero.
  const init = new Float32Array(v * o.dim);
  for (let i = 0; i < init.length; i++) init[i] = (rand() - 0.5) / o.dim;
  const wIn = kiln.tidy(() => kiln.variable(kiln.tensor(init, [v, o.dim]), true));
  const wOut = kiln.tidy(() => kiln.variable(kiln.zeros([v, o.dim]), true));
  const noise = kiln.tensor(noiseTable(vocab.counts), [1 << 20], 'int32');
  const buf = new Int32Array(2 * o.chunk);
  const total = o.epochs * tokens;
  let done = 0; // corpus tokens consumed (before subsampling), for the learning rate and rate
  let chunkNo = 0;
  let lastLoss = NaN;
  let pending: { loss: kiln.Tensor; pairs: number } | null = null;
  const t0 = performance.now();
  let lastReport = t0;
  const every = (o.progressEvery ?? 5) * 1000;
  const lrNow = () => o.lr * Math.max(1e-4, 1 - done / total);
  const report = async (epoch: number, final: boolean) => {
    if (!pending) return;
    const sum = kiln.sum(pending.loss);
    const l = await sum.data();
    sum.dispose();
    lastLoss = pending.pairs ? l[0] / pending.pairs / (1 + o.negatives) : NaN;
    const sec = (performance.now() - t0) / 1000;
    const rate = done / sec;
    if (o.onProgress) o.onProgress({ epoch, epochs: o.epochs, words: done, totalWords: total, wordsPerSec: rate, loss: lastLoss, lr: lrNow(), etaSec: final ? 0 : (total - done) / rate });
    lastReport = performance.now();
  };
  const flushChunk = async (fill: number, epoch: number) => {
    if (!fill) return;
    const n = Math.ceil(fill / 64) * 64;
    buf.fill(-1, 2 * fill, 2 * n);
    // at most one chunk in flight: the previous one ran while this one was drawn (memory stays flat)
    await kiln.sync();
    const t = kiln.tensor(buf.subarray(0, 2 * n), [n, 2], 'int32');
    const seed = (Math.imul(o.seed, 0x9e3779b1) ^ Math.imul(++chunkNo, 0x85ebca6b)) >>> 0;
    const loss = kiln.skipGramSgd(wIn, wOut, t, noise, { negatives: o.negatives, lr: lrNow(), seed });
    kiln.flush();
    t.dispose();
    if (pending) pending.loss.dispose();
    pending = { loss, pairs: fill };
    if (performance.now() - lastReport > every) await report(epoch, false);
  };
  // xorshift32 for the per-word draws (windows, subsampling): the JS side must keep up with the GPU
  let x = (o.seed * 2654435761) >>> 0 || 1;
  const next = () => { x ^= x << 13; x ^= x >>> 17; x ^= x << 5; return (x >>> 0) / 4294967296; };
  const keepP = Float64Array.from(keep);
  const kept = new Int32Array(ids.reduce((m, d) => Math.max(m, d.length), 1)); // no spread: a corpus may hold more documents than a call has arguments
  for (let ep = 0; ep < o.epochs; ep++) {
    let fill = 0;
    for (let di = 0; di < ids.length; di++) {
      const d = ids[di];
      let m = 0;
      for (let i = 0; i < d.length; i++) if (keepP[d[i]] >= 1 || next() < keepP[d[i]]) kept[m++] = d[i];
      for (let i = 0; i < m; i++) {
        const b = 1 + Math.floor(next() * o.window);
        const lo = Math.max(0, i - b);
        const hi = Math.min(m - 1, i + b);
        if (fill + (hi - lo) > o.chunk) { await flushChunk(fill, ep + 1); fill = 0; }
        for (let j = lo; j <= hi; j++) {
          if (j === i) continue;
          buf[2 * fill] = kept[j];
          buf[2 * fill + 1] = kept[i];
          fill++;
        }
      }
      done += docs[di].length;
    }
    await flushChunk(fill, ep + 1);
  }
  await report(o.epochs, true);
  const vectors = (await wIn.data()) as Float32Array;
  const seconds = (performance.now() - t0) / 1000;
  if (pending) (pending as { loss: kiln.Tensor }).loss.dispose();
  kiln.dispose([wIn, wOut, noise]);
  for (let i = 0; i < vectors.length; i++) if (!Number.isFinite(vectors[i])) throw new Error(`trainSkipGram: a word vector went to ${vectors[i]} (row ${Math.floor(i / o.dim)}, '${vocab.words[Math.floor(i / o.dim)]}'); lower lr (${o.lr})`);
  return { vocab, vectors, dim: o.dim, seconds, wordsPerSec: total / seconds, tokens, finalLoss: lastLoss };
}

/** Cosine nearest neighbours of `word` among `words` (vectors [V, D]). */
export function neighbours(words: string[], vectors: Float32Array, dim: number, word: string, k = 5, index?: Map<string, number>): { word: string; cos: number }[] {
  const i = index ? index.get(word) : words.indexOf(word);
  if (i === undefined || i < 0) return [];
  const norm = (r: number) => { let s = 0; for (let j = 0; j < dim; j++) s += vectors[r * dim + j] ** 2; return Math.sqrt(s) || 1; };
  const ni = norm(i);
  const best: { word: string; cos: number }[] = [];
  for (let r = 0; r < words.length; r++) {
    if (r === i) continue;
    let s = 0;
    for (let j = 0; j < dim; j++) s += vectors[r * dim + j] * vectors[i * dim + j];
    const c = s / (norm(r) * ni);
    if (best.length < k || c > best[best.length - 1].cos) {
      best.push({ word: words[r], cos: c });
      best.sort((a, b) => b.cos - a.cos);
      if (best.length > k) best.pop();
    }
  }
  return best;
}
