// Semantic clusters of replies (docs/smart_reply.md): a reply is the idf-weighted mean of its
// words' skip-gram vectors, normalised; spherical k-means (k-means++ seeding) groups them. The
// clusters define recall@3 (is the real reply's cluster among the suggestions' clusters?) and the
// diversity step (one suggestion per cluster).
import { rng } from '../../util/numeric.ts';
import { tokenize } from './data.ts';

export interface WordSpace {
  index: Map<string, number>;
  vectors: Float32Array;
  dim: number;
  /** idf of every word of `index`, from the documents the space was built on */
  idf: Float32Array;
}

/** The unit vector of a text (zeros when none of its words is known). */
export function textVector(space: WordSpace, text: string): Float32Array {
  const out = new Float32Array(space.dim);
  for (const w of tokenize(text)) {
    const i = space.index.get(w);
    if (i === undefined) continue;
    const g = space.idf[i];
    for (let d = 0; d < space.dim; d++) out[d] += g * space.vectors[i * space.dim + d];
  }
  let n = 0;
  for (let d = 0; d < space.dim; d++) n += out[d] * out[d];
  n = Math.sqrt(n);
  if (n > 0) for (let d = 0; d < space.dim; d++) out[d] /= n;
  return out;
}

/** Smoothed idf, 1 + log((N + 1) / (df + 1)) over documents of tokens (never 0: a word in every document still counts), for the words of `index`. */
export function idfOf(index: Map<string, number>, docs: string[][]): Float32Array {
  const df = new Float32Array(index.size);
  for (const doc of docs) for (const w of new Set(doc)) { const i = index.get(w); if (i !== undefined) df[i]++; }
  return df.map((c) => 1 + Math.log((docs.length + 1) / (c + 1)));
}

export interface Clustering {
  k: number;
  dim: number;
  /** [k, dim] unit centroids */
  centroids: Float32Array;
}

const dot = (a: Float32Array, ao: number, b: Float32Array, bo: number, n: number) => { let s = 0; for (let i = 0; i < n; i++) s += a[ao + i] * b[bo + i]; return s; };

/** The cluster of a unit vector: the centroid of highest cosine. */
export function assign(c: Clustering, v: Float32Array): number {
  let best = 0, bs = -Infinity;
  for (let j = 0; j < c.k; j++) { const s = dot(v, 0, c.centroids, j * c.dim, c.dim); if (s > bs) { bs = s; best = j; } }
  return best;
}

/** Spherical k-means of unit vectors [n, dim] into k clusters (k-means++ seeding, `iters` rounds). */
export function kmeans(vectors: Float32Array, n: number, dim: number, k: number, seed = 1, iters = 30): Clustering {
  if (n < k) throw new Error(`kmeans: ${n} vectors cannot make ${k} clusters`);
  const r = rng(seed);
  const centroids = new Float32Array(k * dim);
  // k-means++: each next seed drawn with probability proportional to its distance to the nearest seed
  const far = new Float64Array(n).fill(Infinity);
  let pick = Math.floor(r() * n);
  for (let j = 0; j < k; j++) {
    centroids.set(vectors.subarray(pick * dim, (pick + 1) * dim), j * dim);
    let total = 0;
    for (let i = 0; i < n; i++) { far[i] = Math.min(far[i], Math.max(0, 1 - dot(vectors, i * dim, centroids, j * dim, dim))); total += far[i]; }
    let u = r() * total;
    pick = n - 1;
    for (let i = 0; i < n; i++) { u -= far[i]; if (u <= 0) { pick = i; break; } }
  }
  const c: Clustering = { k, dim, centroids };
  const of = new Int32Array(n).fill(-1);
  for (let it = 0; it < iters; it++) {
    let moved = 0;
    for (let i = 0; i < n; i++) { const a = assign(c, vectors.subarray(i * dim, (i + 1) * dim)); if (a !== of[i]) { of[i] = a; moved++; } }
    const sum = new Float32Array(k * dim);
    for (let i = 0; i < n; i++) for (let d = 0; d < dim; d++) sum[of[i] * dim + d] += vectors[i * dim + d];
    for (let j = 0; j < k; j++) {
      let norm = 0;
      for (let d = 0; d < dim; d++) norm += sum[j * dim + d] ** 2;
      norm = Math.sqrt(norm);
      if (norm > 0) for (let d = 0; d < dim; d++) centroids[j * dim + d] = sum[j * dim + d] / norm;
      // an empty cluster keeps its old centroid
    }
    if (!moved) break;
  }
  return c;
}
