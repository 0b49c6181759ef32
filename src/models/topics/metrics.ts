// Ranking and decision metrics for multi-label topics (docs/topics.md): average precision per
// topic (sklearn's definition: mean of precision at each positive, ties broken pessimistically),
// micro-F1 over (package, topic) decisions, and thresholds tuned on a dev split.

/** Average precision of one topic: scores and 0/1 labels of the same packages; NaN without positives. */
export function averagePrecision(scores: ArrayLike<number>, labels: ArrayLike<number>): number {
  const n = scores.length;
  const idx = Array.from({ length: n }, (_, i) => i).sort((a, b) => scores[b] - scores[a] || labels[a] - labels[b]);
  let pos = 0;
  for (let i = 0; i < n; i++) pos += labels[i] > 0 ? 1 : 0;
  if (!pos) return NaN;
  let tp = 0, ap = 0;
  for (let r = 0; r < n; r++) if (labels[idx[r]] > 0) { tp++; ap += tp / (r + 1); }
  return ap / pos;
}

/** Column t of a row-major [n, T] matrix. */
export function column(m: ArrayLike<number>, n: number, topics: number, t: number): Float64Array {
  const out = new Float64Array(n);
  for (let i = 0; i < n; i++) out[i] = m[i * topics + t];
  return out;
}

/** Per-topic AP over topics with at least one positive among the n rows (NaN for the others). */
export function perTopicAP(scores: ArrayLike<number>, labels: ArrayLike<number>, n: number, topics: number): Float64Array {
  return Float64Array.from({ length: topics }, (_, t) => averagePrecision(column(scores, n, topics, t), column(labels, n, topics, t)));
}

export function meanOf(xs: ArrayLike<number>, keep: (i: number) => boolean = () => true): number {
  let s = 0, c = 0;
  for (let i = 0; i < xs.length; i++) if (keep(i) && Number.isFinite(xs[i])) { s += xs[i]; c++; }
  return c ? s / c : NaN;
}

export interface F1 { precision: number; recall: number; f1: number; tp: number; fp: number; fn: number }

function f1Of(tp: number, fp: number, fn: number): F1 {
  const precision = tp + fp ? tp / (tp + fp) : 0;
  const recall = tp + fn ? tp / (tp + fn) : 0;
  return { precision, recall, f1: precision + recall ? (2 * precision * recall) / (precision + recall) : 0, tp, fp, fn };
}

/**
 * Micro-F1 of decisions score >= threshold[t] (a single number applies to every topic); with
 * `atLeastOne`, a package with no topic over its threshold gets its best-scoring one.
 */
export function microF1(scores: ArrayLike<number>, labels: ArrayLike<number>, n: number, topics: number, threshold: number | ArrayLike<number>, atLeastOne = false): F1 {
  let tp = 0, fp = 0, fn = 0;
  for (let i = 0; i < n; i++) {
    let any = false, best = -1, bestS = -Infinity;
    for (let t = 0; t < topics; t++) {
      const s = scores[i * topics + t];
      const th = typeof threshold === 'number' ? threshold : threshold[t];
      const y = labels[i * topics + t] > 0;
      if (s > bestS) { bestS = s; best = t; }
      if (s >= th) { any = true; if (y) tp++; else fp++; } else if (y) fn++;
    }
    if (atLeastOne && !any && best >= 0) {
      if (labels[i * topics + best] > 0) { tp++; fn--; } else fp++;
    }
  }
  return f1Of(tp, fp, fn);
}

/** The single threshold (among the score values) with the best micro-F1. */
export function bestGlobalThreshold(scores: ArrayLike<number>, labels: ArrayLike<number>): { threshold: number; f1: number } {
  const idx = Array.from({ length: scores.length }, (_, i) => i).sort((a, b) => scores[b] - scores[a]);
  let pos = 0;
  for (let i = 0; i < labels.length; i++) pos += labels[i] > 0 ? 1 : 0;
  let tp = 0, best = { threshold: 0.5, f1: 0 };
  for (let r = 0; r < idx.length; r++) {
    if (labels[idx[r]] > 0) tp++;
    if (r + 1 < idx.length && scores[idx[r + 1]] === scores[idx[r]]) continue;
    const f = (2 * tp) / (r + 1 + pos);
    if (f > best.f1) best = { threshold: r + 1 < idx.length ? (scores[idx[r]] + scores[idx[r + 1]]) / 2 : scores[idx[r]], f1: f };
  }
  return best;
}

/**
 * Per-topic thresholds: each topic's F1-best threshold on the dev rows when it has at least
 * `minPositives` dev positives, else `fallback` (the global one).
 */
export function perTopicThresholds(scores: ArrayLike<number>, labels: ArrayLike<number>, n: number, topics: number, fallback: number, minPositives = 3): Float32Array {
  const out = new Float32Array(topics).fill(fallback);
  for (let t = 0; t < topics; t++) {
    const s = column(scores, n, topics, t), y = column(labels, n, topics, t);
    let p = 0;
    for (const v of y) p += v;
    if (p >= minPositives) out[t] = bestGlobalThreshold(s, y).threshold;
  }
  return out;
}

/** Rows `idx` of a row-major [n, T] matrix. */
function rowsOf(m: ArrayLike<number>, idx: number[], topics: number): Float32Array {
  const out = new Float32Array(idx.length * topics);
  idx.forEach((r, i) => { for (let t = 0; t < topics; t++) out[i * topics + t] = m[r * topics + t]; });
  return out;
}

/**
 * Per-topic thresholds shrunk towards the global one by the topic's dev evidence:
 * th_t = (p_t best_t + m global) / (p_t + m), p_t = the topic's dev positives (m = 0: no shrinking).
 */
export function shrunkThresholds(scores: ArrayLike<number>, labels: ArrayLike<number>, n: number, topics: number, m: number): Float32Array {
  const g = bestGlobalThreshold(scores, labels).threshold;
  const raw = perTopicThresholds(scores, labels, n, topics, g, 1);
  const out = new Float32Array(topics);
  for (let t = 0; t < topics; t++) {
    let p = 0;
    for (let i = 0; i < n; i++) p += labels[i * topics + t] > 0 ? 1 : 0;
    out[t] = p + m > 0 ? (p * raw[t] + m * g) / (p + m) : g;
  }
  return out;
}

export interface ThresholdPolicy { name: string; shrink: number | null; atLeastOne: boolean }

/**
 * Picks how to threshold by 2-fold cross-validation on the dev rows (tune on one half, micro-F1 on
 * the other, both ways): one global threshold, or per-topic thresholds shrunk by m in `shrinks`,
 * each with or without "at least one topic". Then fits the winner on all the dev rows.
 */
export function chooseThresholds(scores: ArrayLike<number>, labels: ArrayLike<number>, n: number, topics: number, shrinks = [0, 5, 20, 80]): { policy: ThresholdPolicy; thresholds: Float32Array; cvF1: Record<string, number> } {
  const policies: ThresholdPolicy[] = [];
  for (const one of [false, true]) {
    policies.push({ name: `global${one ? ', at least one' : ''}`, shrink: null, atLeastOne: one });
    for (const m of shrinks) policies.push({ name: `per-topic (shrink ${m})${one ? ', at least one' : ''}`, shrink: m, atLeastOne: one });
  }
  const fit = (p: ThresholdPolicy, s: ArrayLike<number>, y: ArrayLike<number>, rows: number): Float32Array =>
    p.shrink === null ? new Float32Array(topics).fill(bestGlobalThreshold(s, y).threshold) : shrunkThresholds(s, y, rows, topics, p.shrink);
  const idx = Array.from({ length: n }, (_, i) => i);
  const folds = [idx.filter((i) => i % 2 === 0), idx.filter((i) => i % 2 === 1)];
  const cvF1: Record<string, number> = {};
  let best = policies[0], bestF = -1;
  for (const p of policies) {
    let tp = 0, fp = 0, fn = 0;
    for (const [a, b] of [[0, 1], [1, 0]]) {
      const sa = rowsOf(scores, folds[a], topics), ya = rowsOf(labels, folds[a], topics);
      const sb = rowsOf(scores, folds[b], topics), yb = rowsOf(labels, folds[b], topics);
      const f = microF1(sb, yb, folds[b].length, topics, fit(p, sa, ya, folds[a].length), p.atLeastOne);
      tp += f.tp; fp += f.fp; fn += f.fn;
    }
    const f1 = tp ? (2 * tp) / (2 * tp + fp + fn) : 0;
    cvF1[p.name] = f1;
    if (f1 > bestF) { bestF = f1; best = p; }
  }
  return { policy: best, thresholds: fit(best, scores, labels, n), cvF1 };
}
