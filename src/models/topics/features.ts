// Features of a package for the topic classifiers: a TF-IDF bag of words, word bigrams and
// package-name parts (sparse, L2-normalised), and the average of its skip-gram word vectors
// (dense, L2-normalised). docs/topics.md.
import { packageWords, nameTokens, type Package } from './data.ts';
import { CsrMatrix } from '../../ops/sparse.ts';

export interface FeatureSpace { terms: string[]; index: Map<string, number>; idf: Float32Array }

export interface WordVectors { words: string[]; index: Map<string, number>; vectors: Float32Array; dim: number }

/** Words, bigrams ("a b") and name parts of a package: the terms of its sparse features. */
export function packageTerms(p: Pick<Package, 'package' | 'summary' | 'description'>, words = packageWords(p)): string[] {
  const out = words.slice();
  for (let i = 0; i + 1 < words.length; i++) out.push(`${words[i]} ${words[i + 1]}`);
  out.push(...nameTokens(p.package));
  return out;
}

/** Terms in at least minDf documents, the maxTerms most frequent, with idf = log((1 + N) / (1 + df)) + 1. */
export function buildFeatureSpace(docs: string[][], minDf = 3, maxTerms = 20000): FeatureSpace {
  const df = new Map<string, number>();
  for (const d of docs) for (const t of new Set(d)) df.set(t, (df.get(t) ?? 0) + 1);
  const terms = [...df.entries()].filter(([, c]) => c >= minDf).sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1)).slice(0, maxTerms).map(([t]) => t);
  const n = docs.length;
  return { terms, index: new Map(terms.map((t, i) => [t, i])), idf: Float32Array.from(terms, (t) => Math.log((1 + n) / (1 + df.get(t)!)) + 1) };
}

/** Sublinear TF-IDF (1 + log tf) * idf of the known terms, L2-normalised, ids increasing. */
export function tfidfRow(space: FeatureSpace, terms: string[]): { ids: Int32Array; vals: Float32Array } {
  const tf = new Map<number, number>();
  for (const t of terms) { const i = space.index.get(t); if (i !== undefined) tf.set(i, (tf.get(i) ?? 0) + 1); }
  const ids = Int32Array.from([...tf.keys()].sort((a, b) => a - b));
  const vals = Float32Array.from(ids, (i) => (1 + Math.log(tf.get(i)!)) * space.idf[i]);
  let s = 0;
  for (const v of vals) s += v * v;
  const inv = s > 0 ? 1 / Math.sqrt(s) : 0;
  for (let i = 0; i < vals.length; i++) vals[i] *= inv;
  return { ids, vals };
}

/** The mean of the known words' vectors, L2-normalised (zeros when no word is known). */
export function meanVector(wv: WordVectors, words: string[], out = new Float32Array(wv.dim)): Float32Array {
  out.fill(0);
  for (const w of words) {
    const i = wv.index.get(w);
    if (i === undefined) continue;
    for (let j = 0; j < wv.dim; j++) out[j] += wv.vectors[i * wv.dim + j];
  }
  let s = 0;
  for (let j = 0; j < wv.dim; j++) s += out[j] * out[j];
  if (s > 0) { const inv = 1 / Math.sqrt(s); for (let j = 0; j < wv.dim; j++) out[j] *= inv; }
  return out;
}

/** The features of many packages: sparse rows [N, terms] and dense rows [N, dim] (null without vectors). */
export interface FeatureMatrix { n: number; sparse: CsrMatrix; dense: Float32Array | null; dim: number }

export function featurize(pkgs: Pick<Package, 'package' | 'summary' | 'description'>[], space: FeatureSpace, wv: WordVectors | null): FeatureMatrix {
  const rows: { ids: Int32Array; vals: Float32Array }[] = [];
  const dim = wv?.dim ?? 0;
  const dense = wv ? new Float32Array(pkgs.length * dim) : null;
  pkgs.forEach((p, i) => {
    const words = packageWords(p);
    rows.push(tfidfRow(space, packageTerms(p, words)));
    if (wv && dense) meanVector(wv, words, dense.subarray(i * dim, (i + 1) * dim));
  });
  return { n: pkgs.length, sparse: CsrMatrix.fromRows(rows, space.terms.length), dense, dim };
}

/** Rows `idx` of a feature matrix (a new CSR on the CPU). */
export function selectRows(x: FeatureMatrix, idx: ArrayLike<number>): FeatureMatrix {
  const s = x.sparse;
  const rows = Array.from(idx, (r) => ({ ids: s.colIdx.subarray(s.rowPtr[r], s.rowPtr[r + 1]), vals: s.values.subarray(s.rowPtr[r], s.rowPtr[r + 1]) }));
  let dense: Float32Array | null = null;
  if (x.dense) {
    dense = new Float32Array(idx.length * x.dim);
    for (let i = 0; i < idx.length; i++) dense.set(x.dense.subarray(idx[i] * x.dim, (idx[i] + 1) * x.dim), i * x.dim);
  }
  return { n: idx.length, sparse: CsrMatrix.fromRows(rows, s.cols), dense, dim: x.dim };
}
