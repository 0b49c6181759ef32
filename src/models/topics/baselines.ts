// Reference baselines for `kiln topics` (Node only): Debian's `fasttext` binary (0.9.2) and gensim's
// Word2Vec (python3-gensim, importable only by the system /usr/bin/python3) trained on the same corpus
// with the same skip-gram settings, readers for their word2vec text output, cosine neighbours, an
// analogy test in the questions-words.txt format, and a fastText supervised multi-label baseline for
// the debtags classifiers. Nothing here is imported by the engine; scripts/topics-baselines.ts drives it.
import { spawnSync } from 'node:child_process';
import { closeSync, existsSync, mkdirSync, openSync, readFileSync, readSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { performance } from 'node:perf_hooks';
import type { Package } from './data.ts';

export const FASTTEXT_BIN = process.env.KILN_FASTTEXT ?? '/usr/bin/fasttext';
/** The system Python: the one that can import Debian's python3-gensim (a pyenv `python3` on PATH cannot). */
export const SYSTEM_PYTHON = process.env.KILN_GENSIM_PYTHON ?? '/usr/bin/python3';

export interface SkipGramSettings {
  dim: number;
  window: number;
  negative: number;
  epochs: number;
  minCount: number;
  threads: number;
  lr: number;
  /** sub-sampling threshold (fastText `-t`, gensim `sample`) */
  sample: number;
}

export const DEFAULT_SKIPGRAM: SkipGramSettings = { dim: 100, window: 5, negative: 5, epochs: 5, minCount: 5, threads: 2, lr: 0.025, sample: 1e-4 };

export interface Skipped { skipped: string }

export interface SkipGramRun {
  /** fastText: wall time around the whole process (vocabulary pass, training, writing .bin/.vec); gensim: training only */
  seconds: number;
  /** tokens * epochs / seconds */
  wordsPerSec: number;
  vectorsFile: string;
  /** whitespace-separated tokens in the corpus file, counted here */
  tokens: number;
  /** fastText's own last "words/sec/thread" progress figure (it counts one `</s>` per line too) */
  reportedPerThread?: number;
  /** words in the saved vectors (fastText includes `</s>`) */
  vocab?: number;
  /** gensim: seconds for build_vocab (not in `seconds`) */
  vocabSeconds?: number;
}

const tokenCounts = new Map<string, { size: number; mtime: number; tokens: number }>();

/** Whitespace-separated tokens in a text file (cached by path, size and mtime). */
export function countTokens(file: string): number {
  const st = statSync(file);
  const hit = tokenCounts.get(file);
  if (hit && hit.size === st.size && hit.mtime === st.mtimeMs) return hit.tokens;
  const buf = readFileSync(file);
  let n = 0;
  let inTok = false;
  for (let i = 0; i < buf.length; i++) {
    const c = buf[i];
    const ws = c === 0x20 || c === 0x0a || c === 0x09 || c === 0x0d || c === 0x0b || c === 0x0c;
    if (!ws && !inTok) n++;
    inTok = !ws;
  }
  tokenCounts.set(file, { size: st.size, mtime: st.mtimeMs, tokens: n });
  return n;
}

function ensureDir(prefix: string): void {
  mkdirSync(dirname(prefix), { recursive: true });
}

function lastNumber(text: string, re: RegExp): number | undefined {
  let last: number | undefined;
  for (const m of text.matchAll(re)) last = Number(m[1]);
  return last;
}

function headerCount(file: string): number | undefined {
  const fd = openSync(file, 'r');
  try {
    const b = Buffer.alloc(64);
    const n = readSync(fd, b, 0, b.length, 0);
    const m = /^(\d+)\s+\d+/.exec(b.subarray(0, n).toString('utf8'));
    return m ? Number(m[1]) : undefined;
  } finally { closeSync(fd); }
}

/**
 * fastText skip-gram as plain word2vec (`-minn 0 -maxn 0 -bucket 0`: no subword n-grams, no hash
 * buckets), so it is like for like with kiln and gensim. Writes `outPrefix.bin` and `outPrefix.vec`.
 */
export function runFasttextSkipgram(corpusFile: string, s: SkipGramSettings, outPrefix: string): SkipGramRun | Skipped {
  if (!existsSync(FASTTEXT_BIN)) return { skipped: `no fastText binary at ${FASTTEXT_BIN} (apt-get install fasttext)` };
  if (!existsSync(corpusFile)) return { skipped: `no corpus file ${corpusFile}` };
  ensureDir(outPrefix);
  const tokens = countTokens(corpusFile);
  const args = ['skipgram', '-input', corpusFile, '-output', outPrefix,
    '-dim', String(s.dim), '-ws', String(s.window), '-neg', String(s.negative), '-epoch', String(s.epochs),
    '-minCount', String(s.minCount), '-thread', String(s.threads), '-lr', String(s.lr), '-t', String(s.sample),
    '-minn', '0', '-maxn', '0', '-bucket', '0'];
  const t0 = performance.now();
  const r = spawnSync(FASTTEXT_BIN, args, { encoding: 'utf8', maxBuffer: 256 << 20 });
  const seconds = (performance.now() - t0) / 1000;
  const log = `${r.stdout ?? ''}${r.stderr ?? ''}`;
  if (r.error) throw new Error(`fasttext skipgram: ${r.error.message}`);
  if (r.status !== 0) throw new Error(`fasttext skipgram exited ${r.status}: ${log.slice(-2000)}`);
  const vectorsFile = `${outPrefix}.vec`;
  return {
    seconds, wordsPerSec: (tokens * s.epochs) / seconds, vectorsFile, tokens,
    reportedPerThread: lastNumber(log, /words\/sec\/thread:\s*(\d+)/g), vocab: headerCount(vectorsFile),
  };
}

const GENSIM_SCRIPT = String.raw`
import json, sys, time
s = json.loads(sys.argv[1])
from gensim.models import Word2Vec
m = Word2Vec(sg=1, hs=0, vector_size=s['dim'], window=s['window'], negative=s['negative'], epochs=s['epochs'],
             min_count=s['minCount'], workers=s['threads'], alpha=s['lr'], sample=s['sample'])
t0 = time.perf_counter()
m.build_vocab(corpus_file=s['corpus'])
t1 = time.perf_counter()
m.train(corpus_file=s['corpus'], total_words=m.corpus_total_words, epochs=m.epochs)
t2 = time.perf_counter()
m.wv.save_word2vec_format(s['out'], binary=False)
import gensim
print(json.dumps({'vocabSeconds': t1 - t0, 'trainSeconds': t2 - t1, 'vocab': len(m.wv.index_to_key),
                  'corpusWords': m.corpus_total_words, 'gensim': gensim.__version__}))
`;

/**
 * gensim 4 Word2Vec skip-gram with negative sampling (`sg=1, hs=0`, `corpus_file` mode) under
 * /usr/bin/python3; `seconds` is the time of `train()` alone, measured in Python. Writes `outFile`
 * in word2vec text format.
 */
export function runGensimSkipgram(corpusFile: string, s: SkipGramSettings, outFile: string): SkipGramRun | Skipped {
  if (!existsSync(SYSTEM_PYTHON)) return { skipped: `no ${SYSTEM_PYTHON}` };
  const probe = spawnSync(SYSTEM_PYTHON, ['-c', 'import gensim.models.word2vec_corpusfile'], { encoding: 'utf8' });
  if (probe.status !== 0) return { skipped: `gensim (with corpus_file support) not importable by ${SYSTEM_PYTHON} (apt-get install python3-gensim): ${(probe.stderr ?? '').trim().split('\n').pop()}` };
  if (!existsSync(corpusFile)) return { skipped: `no corpus file ${corpusFile}` };
  ensureDir(outFile);
  const tokens = countTokens(corpusFile);
  const r = spawnSync(SYSTEM_PYTHON, ['-c', GENSIM_SCRIPT, JSON.stringify({ ...s, corpus: corpusFile, out: outFile })], { encoding: 'utf8', maxBuffer: 64 << 20 });
  if (r.error) throw new Error(`gensim: ${r.error.message}`);
  if (r.status !== 0) throw new Error(`gensim exited ${r.status}: ${(r.stderr ?? '').slice(-2000)}`);
  const line = (r.stdout ?? '').trim().split('\n').pop() ?? '';
  const o = JSON.parse(line) as { vocabSeconds: number; trainSeconds: number; vocab: number };
  return { seconds: o.trainSeconds, wordsPerSec: (tokens * s.epochs) / o.trainSeconds, vectorsFile: outFile, tokens, vocab: o.vocab, vocabSeconds: o.vocabSeconds };
}

export interface WordVectors {
  words: string[];
  dim: number;
  /** words.length x dim, row-major */
  vectors: Float32Array;
}

/** Reads word2vec text format: a header line "N D", then "word v1 ... vD" (fastText's .vec, gensim's text output). */
export function readWord2VecText(file: string): WordVectors {
  const lines = readFileSync(file, 'utf8').split('\n');
  const head = /^\s*(\d+)\s+(\d+)\s*$/.exec(lines[0] ?? '');
  if (!head) throw new Error(`${file}: expected a "N D" header line`);
  const n = Number(head[1]);
  const dim = Number(head[2]);
  const words: string[] = [];
  const vectors = new Float32Array(n * dim);
  for (let i = 1; i < lines.length && words.length < n; i++) {
    const line = lines[i].trimEnd();
    if (!line) continue;
    const parts = line.split(' ');
    if (parts.length < dim + 1) throw new Error(`${file}:${i + 1}: expected a word and ${dim} numbers`);
    const base = words.length * dim;
    const off = parts.length - dim;
    for (let j = 0; j < dim; j++) vectors[base + j] = Number(parts[off + j]);
    words.push(parts.slice(0, off).join(' '));
  }
  if (words.length !== n) throw new Error(`${file}: header says ${n} words, found ${words.length}`);
  return { words, dim, vectors };
}

interface Unit { index: Map<string, number>; unit: Float32Array }
const unitCache = new WeakMap<WordVectors, Unit>();

/** Word index and L2-normalised rows (zero rows stay zero), cached per WordVectors object. */
function unitOf(v: WordVectors): Unit {
  let u = unitCache.get(v);
  if (u) return u;
  const index = new Map<string, number>();
  v.words.forEach((w, i) => { if (!index.has(w)) index.set(w, i); });
  const unit = new Float32Array(v.vectors.length);
  const d = v.dim;
  for (let i = 0; i < v.words.length; i++) {
    let s = 0;
    for (let j = 0; j < d; j++) s += v.vectors[i * d + j] ** 2;
    const inv = s > 0 ? 1 / Math.sqrt(s) : 0;
    for (let j = 0; j < d; j++) unit[i * d + j] = v.vectors[i * d + j] * inv;
  }
  u = { index, unit };
  unitCache.set(v, u);
  return u;
}

export interface Neighbour { word: string; cos: number }

/** Inserts into a top-k list kept sorted by descending cosine. */
function pushTop(top: Neighbour[], k: number, word: string, cos: number): void {
  if (top.length === k) {
    if (cos <= top[k - 1].cos) return;
    top.pop();
  }
  let i = top.length;
  top.push({ word, cos });
  while (i > 0 && top[i - 1].cos < cos) { top[i] = top[i - 1]; i--; }
  top[i] = { word, cos };
}

/** The k words with the highest cosine similarity to `word` (itself excluded); [] when `word` is out of vocabulary. */
export function nearest(vecs: WordVectors, word: string, k = 10): Neighbour[] {
  const { index, unit } = unitOf(vecs);
  const q = index.get(word);
  if (q === undefined || k <= 0) return [];
  const d = vecs.dim;
  const top: Neighbour[] = [];
  for (let i = 0; i < vecs.words.length; i++) {
    if (i === q) continue;
    let s = 0;
    for (let j = 0; j < d; j++) s += unit[i * d + j] * unit[q * d + j];
    pushTop(top, k, vecs.words[i], s);
  }
  return top;
}

export interface AnalogyCounts { correct: number; total: number; skipped: number }
export interface AnalogyResult extends AnalogyCounts {
  /** correct / total (0 when nothing was answerable) */
  accuracy: number;
  bySection: Record<string, AnalogyCounts & { accuracy: number }>;
}

/**
 * Accuracy on a questions-words.txt file (`: section` headers, lines `a b c d`): the prediction is
 * argmax over the vocabulary of cos(w, b̂ - â + ĉ) (3CosAdd on unit vectors, as word2vec's
 * compute-accuracy and gensim do) with a, b, c excluded. Words are lower-cased. A question with any word
 * outside the first `restrictVocab` words (the files are sorted by frequency) is skipped: `total`
 * counts the questions answered, `skipped` those left out, and `accuracy` is correct / total.
 */
export function analogyAccuracy(vecs: WordVectors, questionsFile: string, restrictVocab?: number): AnalogyResult {
  const { index, unit } = unitOf(vecs);
  const n = Math.min(vecs.words.length, restrictVocab ?? vecs.words.length);
  const d = vecs.dim;
  const bySection: Record<string, AnalogyCounts & { accuracy: number }> = {};
  const all: AnalogyCounts = { correct: 0, total: 0, skipped: 0 };
  let sec = '(none)';
  const target = new Float32Array(d);
  for (const raw of readFileSync(questionsFile, 'utf8').split('\n')) {
    const line = raw.trim();
    if (!line) continue;
    if (line.startsWith(':')) { sec = line.slice(1).trim(); continue; }
    const w = line.toLowerCase().split(/\s+/);
    if (w.length !== 4) continue;
    const s = (bySection[sec] ??= { correct: 0, total: 0, skipped: 0, accuracy: 0 });
    const ids = w.map((x) => index.get(x));
    if (ids.some((i) => i === undefined || i >= n)) { s.skipped++; all.skipped++; continue; }
    const [a, b, c, want] = ids as number[];
    for (let j = 0; j < d; j++) target[j] = unit[b * d + j] - unit[a * d + j] + unit[c * d + j];
    let best = -1;
    let bestScore = -Infinity;
    for (let i = 0; i < n; i++) {
      if (i === a || i === b || i === c) continue;
      let dot = 0;
      for (let j = 0; j < d; j++) dot += unit[i * d + j] * target[j];
      if (dot > bestScore) { bestScore = dot; best = i; }
    }
    s.total++; all.total++;
    if (best === want) { s.correct++; all.correct++; }
  }
  for (const s of Object.values(bySection)) s.accuracy = s.total ? s.correct / s.total : 0;
  return { ...all, accuracy: all.total ? all.correct / all.total : 0, bySection };
}

// ---------------------------------------------------------------------------------------------
// fastText supervised: multi-label debtags baseline

export const LABEL_PREFIX = '__label__';

/**
 * fastText training lines: `__label__<tag>` for each tag (debtags like `use::editing` are fine: fastText
 * splits on whitespace only), then the tokens. `keepTag` drops tags (e.g. rare ones); a package left
 * with no label still gets a line (fastText skips it in training; in evaluation it is a document with
 * no gold labels). Tokens containing whitespace or starting with the label prefix are dropped.
 */
export function toFasttextLines(pkgs: Package[], tokensOf: (p: Package) => string[], keepTag?: (tag: string) => boolean): string[] {
  return pkgs.map((p) => {
    const labels = p.tags.filter((t) => (!keepTag || keepTag(t)) && !/\s/.test(t)).map((t) => LABEL_PREFIX + t);
    const toks = tokensOf(p).filter((t) => t && !/\s/.test(t) && !t.startsWith(LABEL_PREFIX));
    return [...labels, ...toks].join(' ');
  });
}

export interface SupervisedOptions {
  dim?: number;
  epoch?: number;
  lr?: number;
  wordNgrams?: number;
  threads?: number;
  /** hash buckets for word n-grams (fastText's default 2M makes an 800 MB model at dim 100) */
  bucket?: number;
  minCount?: number;
  losses?: ('ova' | 'softmax')[];
  /** where models go: `${outPrefix}-${loss}.bin` (default under os.tmpdir()) */
  outPrefix?: string;
  /** keep the .bin models (default false: deleted after predicting) */
  keepModels?: boolean;
}

export interface SupervisedResult {
  loss: 'ova' | 'softmax';
  /** a label is predicted when its probability >= threshold (tuned on dev for micro-F1) */
  threshold: number;
  devMicroF1: number;
  testMicroF1: number;
  trainSeconds: number;
  /** per test line: probability of every label the model knows (tag names, without `__label__`) */
  testScores: Map<string, number>[];
  /** per test line: the gold tags read from the test file */
  testGold: string[][];
  /** the labels the model knows */
  labels: string[];
  modelFile?: string;
}

function goldOf(file: string): string[][] {
  const lines = readFileSync(file, 'utf8').split('\n');
  if (lines[lines.length - 1] === '') lines.pop();
  return lines.map((l) => l.split(/\s+/).filter((t) => t.startsWith(LABEL_PREFIX)).map((t) => t.slice(LABEL_PREFIX.length)));
}

/** `fasttext predict-prob MODEL FILE -1`: every label's probability for every line (output streamed to a file). */
function predictAll(model: string, file: string, scratch: string): Map<string, number>[] {
  const fd = openSync(scratch, 'w');
  let r;
  try {
    r = spawnSync(FASTTEXT_BIN, ['predict-prob', model, file, '-1'], { stdio: ['ignore', fd, 'pipe'], encoding: 'utf8', maxBuffer: 64 << 20 });
  } finally { closeSync(fd); }
  if (r.error) throw new Error(`fasttext predict-prob: ${r.error.message}`);
  if (r.status !== 0) throw new Error(`fasttext predict-prob exited ${r.status}: ${(r.stderr ?? '').slice(-2000)}`);
  const lines = readFileSync(scratch, 'utf8').split('\n');
  rmSync(scratch, { force: true });
  if (lines[lines.length - 1] === '') lines.pop();
  return lines.map((l) => {
    const m = new Map<string, number>();
    const p = l.split(' ');
    for (let i = 0; i + 1 < p.length; i += 2) m.set(p[i].startsWith(LABEL_PREFIX) ? p[i].slice(LABEL_PREFIX.length) : p[i], Number(p[i + 1]));
    return m;
  });
}

/** Micro-F1 over all (document, label) decisions when a label is predicted at score >= t. */
export function microF1At(scores: Map<string, number>[], gold: string[][], t: number): number {
  let tp = 0, pred = 0, pos = 0;
  scores.forEach((m, i) => {
    const g = new Set(gold[i]);
    pos += g.size;
    for (const [l, s] of m) if (s >= t) { pred++; if (g.has(l)) tp++; }
  });
  return pred + pos ? (2 * tp) / (pred + pos) : 0;
}

/** The single global threshold maximising micro-F1 (a sweep over all scores, ties kept together). */
export function bestThreshold(scores: Map<string, number>[], gold: string[][]): { threshold: number; microF1: number } {
  let total = 0;
  for (const m of scores) total += m.size;
  const s = new Float64Array(total);
  const y = new Uint8Array(total);
  let pos = 0;
  let k = 0;
  scores.forEach((m, i) => {
    const g = new Set(gold[i]);
    pos += g.size;
    for (const [l, v] of m) { s[k] = v; y[k] = g.has(l) ? 1 : 0; k++; }
  });
  const order = new Uint32Array(total);
  for (let i = 0; i < total; i++) order[i] = i;
  order.sort((a, b) => s[b] - s[a]);
  let best = { threshold: 1, microF1: 0 };
  let tp = 0;
  for (let i = 0; i < total;) {
    const v = s[order[i]];
    while (i < total && s[order[i]] === v) { tp += y[order[i]]; i++; }
    const f1 = (2 * tp) / (i + pos);
    if (f1 > best.microF1) best = { threshold: v, microF1: f1 };
  }
  return best;
}

/**
 * fastText supervised baselines on fastText-format files (see toFasttextLines): for each loss (default
 * one-vs-all `-loss ova`, fastText's multi-label mode, and the default softmax) trains with
 * `-wordNgrams 2 -dim 100 -epoch 25 -lr 0.5` unless overridden, scores every label of every dev and test
 * line with `predict-prob MODEL FILE -1`, tunes one probability threshold on dev for micro-F1 and
 * reports test micro-F1 at it. Gold labels are read from the files' `__label__` tokens.
 */
export function runFasttextSupervised(trainFile: string, devFile: string, testFile: string, opts: SupervisedOptions = {}): SupervisedResult[] | Skipped {
  if (!existsSync(FASTTEXT_BIN)) return { skipped: `no fastText binary at ${FASTTEXT_BIN} (apt-get install fasttext)` };
  for (const f of [trainFile, devFile, testFile]) if (!existsSync(f)) return { skipped: `no file ${f}` };
  const o = { dim: 100, epoch: 25, lr: 0.5, wordNgrams: 2, threads: 2, bucket: 500_000, minCount: 1, losses: ['ova', 'softmax'] as ('ova' | 'softmax')[], keepModels: false, ...opts };
  const prefix = o.outPrefix ?? join(tmpdir(), 'kiln-topics-baselines', 'fasttext-sup');
  ensureDir(prefix);
  const devGold = goldOf(devFile);
  const testGold = goldOf(testFile);
  const out: SupervisedResult[] = [];
  for (const loss of o.losses) {
    const model = `${prefix}-${loss}`;
    const args = ['supervised', '-input', trainFile, '-output', model, '-loss', loss,
      '-dim', String(o.dim), '-epoch', String(o.epoch), '-lr', String(o.lr), '-wordNgrams', String(o.wordNgrams),
      '-thread', String(o.threads), '-bucket', String(o.bucket), '-minCount', String(o.minCount)];
    const t0 = performance.now();
    const r = spawnSync(FASTTEXT_BIN, args, { encoding: 'utf8', maxBuffer: 256 << 20 });
    const trainSeconds = (performance.now() - t0) / 1000;
    if (r.error) throw new Error(`fasttext supervised: ${r.error.message}`);
    if (r.status !== 0) throw new Error(`fasttext supervised exited ${r.status}: ${`${r.stdout}${r.stderr}`.slice(-2000)}`);
    const bin = `${model}.bin`;
    const devScores = predictAll(bin, devFile, `${model}.dev.pred`);
    const testScores = predictAll(bin, testFile, `${model}.test.pred`);
    if (devScores.length !== devGold.length || testScores.length !== testGold.length) throw new Error(`fasttext predict-prob: ${devScores.length}/${testScores.length} prediction lines for ${devGold.length}/${testGold.length} input lines`);
    const { threshold, microF1: devMicroF1 } = bestThreshold(devScores, devGold);
    const labels = [...new Set(testScores.flatMap((m) => [...m.keys()]))].sort();
    if (!o.keepModels) rmSync(bin, { force: true });
    out.push({ loss, threshold, devMicroF1, testMicroF1: microF1At(testScores, testGold, threshold), trainSeconds, testScores, testGold, labels, modelFile: o.keepModels ? bin : undefined });
  }
  return out;
}
