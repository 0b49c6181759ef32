// The two baselines of the Smart Reply family (docs/smart_reply.md), and the metric they and the
// model are judged by: recall@k, whether the real reply's cluster is among the clusters of the k
// suggestions.
import { tokenize, type ReplyPair } from './data.ts';
import { assign, textVector, type Clustering, type WordSpace } from './clusters.ts';

export interface Suggester { name: string; suggest(message: string, k: number): string[] | Promise<string[]> }
/** A suggester that answers at once (the baselines). */
export interface SyncSuggester extends Suggester { suggest(message: string, k: number): string[] }

/** recall@k over pairs: the share whose reply's cluster is among the suggestions' clusters. */
export async function clusterRecall(s: Suggester, pairs: readonly ReplyPair[], space: WordSpace, c: Clustering, k = 3): Promise<number> {
  let hit = 0;
  for (const p of pairs) {
    const want = assign(c, textVector(space, p.reply));
    const got = new Set((await s.suggest(p.message, k)).map((r) => assign(c, textVector(space, r))));
    if (got.has(want)) hit++;
  }
  return pairs.length ? hit / pairs.length : 0;
}

/** The reply of each cluster nearest its centroid (the cluster's canonical reply), by cluster. */
export function canonicalReplies(train: readonly ReplyPair[], space: WordSpace, c: Clustering): { reply: string; size: number }[] {
  const best: { reply: string; cos: number; size: number }[] = Array.from({ length: c.k }, () => ({ reply: '', cos: -Infinity, size: 0 }));
  for (const p of train) {
    const v = textVector(space, p.reply);
    const j = assign(c, v);
    let cos = 0;
    for (let d = 0; d < c.dim; d++) cos += v[d] * c.centroids[j * c.dim + d];
    best[j].size++;
    if (cos > best[j].cos) { best[j].cos = cos; best[j].reply = p.reply; }
  }
  return best.map(({ reply, size }) => ({ reply, size }));
}

/** Baseline (a): the canonical replies of the k largest clusters, whatever the message. */
export function frequentReplies(train: readonly ReplyPair[], space: WordSpace, c: Clustering): SyncSuggester {
  const ranked = canonicalReplies(train, space, c).filter((x) => x.reply).sort((a, b) => b.size - a.size).map((x) => x.reply);
  return { name: 'most frequent replies', suggest: (_m, k) => ranked.slice(0, k) };
}

/**
 * Baseline (b): retrieval. The replies of the training messages nearest the message by tf-idf
 * cosine of their bags of words, one per cluster, best first (then the frequent ones to fill up).
 */
export function retrieval(train: readonly ReplyPair[], space: WordSpace, c: Clustering): SyncSuggester {
  const df = new Map<string, number>();
  const bags = train.map((p) => {
    const bag = new Map<string, number>();
    for (const w of tokenize(p.message)) bag.set(w, (bag.get(w) ?? 0) + 1);
    for (const w of bag.keys()) df.set(w, (df.get(w) ?? 0) + 1);
    return bag;
  });
  const idf = (w: string) => Math.log((train.length + 1) / ((df.get(w) ?? 0) + 1));
  const weigh = (bag: Map<string, number>) => {
    const v = new Map<string, number>();
    let n = 0;
    for (const [w, tf] of bag) { const x = (1 + Math.log(tf)) * idf(w); v.set(w, x); n += x * x; }
    n = Math.sqrt(n) || 1;
    for (const [w, x] of v) v.set(w, x / n);
    return v;
  };
  const vecs = bags.map(weigh);
  const clusterOf = train.map((p) => assign(c, textVector(space, p.reply)));
  const fallback = frequentReplies(train, space, c);
  return {
    name: 'retrieval (nearest training message, tf-idf)',
    suggest(message, k) {
      const bag = new Map<string, number>();
      for (const w of tokenize(message)) bag.set(w, (bag.get(w) ?? 0) + 1);
      const q = weigh(bag);
      const scored = vecs.map((v, i) => { let s = 0; for (const [w, x] of q) s += x * (v.get(w) ?? 0); return { i, s }; }).sort((a, b) => b.s - a.s);
      const out: string[] = [], used = new Set<number>();
      for (const { i } of scored) {
        if (out.length >= k) break;
        if (used.has(clusterOf[i])) continue;
        used.add(clusterOf[i]);
        out.push(train[i].reply);
      }
      for (const r of fallback.suggest(message, k + out.length)) if (out.length < k && !out.includes(r)) out.push(r);
      return out;
    },
  };
}
