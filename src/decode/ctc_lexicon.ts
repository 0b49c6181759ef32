// CTC x lexicon x LM decoding: frame posteriors (from the GPU) searched against the lexicon trie
// with the LM consulted lazily (lm.ts): a CTC prefix beam search in which a prefix is a trie node,
// so every alignment of the same typed prefix merges into one hypothesis (blank/non-blank
// probabilities kept apart, as CTC's prefix search does), and only prefixes of real words exist.
//
// Score of a live hypothesis = ln P_ctc(prefix) - lmWeight * lookahead(node); at the end a
// finished word pays its real LM cost instead of the lookahead. Two edits a keyboard needs and CTC
// alone cannot express: an omitted key (a label inserted without a frame, `omissionCost`) and a
// stray touch (a frame that emits nothing, `skipFrameCost`).
import { logAddExp } from './beam.ts';
import type { LexiconTrie } from './lexicon_trie.ts';
import { lexiconOnly, type ContextScorer, type WordLm } from './lm.ts';

export interface CtcLexiconOptions {
  /** Class index of the CTC blank in each frame (default 0). Class c = trie label c otherwise. */
  blank?: number;
  /** Hypotheses kept per frame (default 16). */
  beamWidth?: number;
  /** Drop hypotheses more than this below the best (log units, default 14). */
  threshold?: number;
  /** Word LM (default: the lexicon's own costs). */
  lm?: WordLm;
  /** Words committed before this one, oldest first. */
  context?: readonly string[];
  /** Weight of LM costs against the frame log-probabilities (default 1). */
  lmWeight?: number;
  /** Cost added per word (word-insertion penalty; default 0). */
  wordPenalty?: number;
  /** Results (default 5). */
  topK?: number;
  /** The frames cover an unfinished word: return completions of the typed prefix (default false). */
  prefix?: boolean;
  /** Cost (log units) of a key typed without a frame (omitted touch). Undefined: not allowed. */
  omissionCost?: number;
  /** Cost of a frame emitting nothing (a stray or doubled touch). Undefined: not allowed. */
  skipFrameCost?: number;
  /** Cost of two adjacent keys typed in swapped order ("teh" for "the"). Undefined: not allowed. */
  swapCost?: number;
  /** Frames whose best class is the blank with at least this probability skip the expansions (default 0.999: a speed-up that cannot lose a likely path). */
  blankSkip?: number;
}

export interface DecodedWord {
  word: string;
  /** Total score (log domain, higher is better): acoustic - lmWeight * lm - penalties. */
  score: number;
  /** ln P_ctc of the best typed prefix for this word (with edit costs). */
  acoustic: number;
  /** The LM cost paid (-ln p). */
  lm: number;
  /** The key string the frames were aligned to. */
  keys: string;
}

/** owe: a swap in progress: the frames showed key b of node's arc before its parent's key `owe`, still to come. */
interface Hyp { node: number; pb: number; pnb: number; owe: number }
const keyOf = (node: number, owe: number) => (owe ? -(node * 64 + owe) - 1 : node);

const total = (h: Hyp) => logAddExp(h.pb, h.pnb);

/**
 * Decodes one word from T frames of C log-probabilities (row-major [T, C]; class 0 blank unless
 * `blank` says otherwise, class l = trie label l). Returns the topK words, best first.
 */
export function decodeCtcLexicon(logProbs: ArrayLike<number>, T: number, C: number, trie: LexiconTrie, opts: CtcLexiconOptions = {}): DecodedWord[] {
  const blank = opts.blank ?? 0;
  const B = opts.beamWidth ?? 16;
  const thr = opts.threshold ?? 14;
  const lw = opts.lmWeight ?? 1;
  const topK = opts.topK ?? 5;
  if (!(Number.isInteger(T) && T >= 0 && Number.isInteger(C) && C >= 2)) throw new Error(`decodeCtcLexicon: bad frame shape T=${T}, C=${C}`);
  if (logProbs.length !== T * C) throw new Error(`decodeCtcLexicon: logProbs has ${logProbs.length} values, expected T*C = ${T}*${C} = ${T * C}`);
  if (trie.numLabels + 1 > C) throw new Error(`decodeCtcLexicon: the lexicon has ${trie.numLabels} keys but the frames have ${C} classes (need keys + blank = ${trie.numLabels + 1})`);
  if (!(blank >= 0 && blank < C)) throw new Error(`decodeCtcLexicon: blank ${blank} is not a class index in [0, ${C})`);
  const cls = (label: number) => (label <= blank ? label - 1 : label); // labels skip the blank's index
  const classOf = blank === 0 ? (l: number) => l : cls;
  const scorer: ContextScorer = (opts.lm ?? lexiconOnly).scorer(opts.context ?? [], trie);
  const la = new Map<number, number>();
  const look = (n: number) => { let v = la.get(n); if (v === undefined) { v = scorer.lookahead(n); la.set(n, v); } return v; };
  const rank = (h: Hyp) => total(h) - lw * look(h.node);
  const omit = opts.omissionCost, skip = opts.skipFrameCost, swap = opts.swapCost;
  const L = trie.numLabels;
  const blankSkip = Math.log(opts.blankSkip ?? 0.999);

  let beam: Hyp[] = [{ node: 0, pb: 0, pnb: -Infinity, owe: 0 }];
  const addTo = (m: Map<number, Hyp>, node: number, owe: number, pb: number, pnb: number) => {
    const k = keyOf(node, owe);
    const h = m.get(k);
    if (!h) m.set(k, { node, pb, pnb, owe });
    else { h.pb = logAddExp(h.pb, pb); h.pnb = logAddExp(h.pnb, pnb); }
  };
  const insertions = (m: Map<number, Hyp>) => {
    if (omit === undefined) return;
    for (const h of [...m.values()]) {
      if (h.owe) continue;
      const t0 = total(h) - omit;
      trie.forEachChild(h.node, (c) => { if (look(c) < Infinity) addTo(m, c, 0, -Infinity, t0); });
    }
  };
  const top = [0, 0, 0];
  const prune = (m: Map<number, Hyp>): Hyp[] => {
    const list = [...m.values()].filter((h) => total(h) > -Infinity && look(h.node) < Infinity);
    const scored = list.map((h) => [rank(h), h] as const).sort((a, b) => b[0] - a[0]);
    const best = scored.length ? scored[0][0] : -Infinity;
    return scored.filter(([r], i) => i < B && r >= best - thr).map(([, h]) => h);
  };
  {
    const m = new Map<number, Hyp>([[keyOf(0, 0), beam[0]]]);
    insertions(m);
    beam = prune(m);
  }
  for (let t = 0; t < T; t++) {
    const row = t * C;
    const lpBlank = logProbs[row + blank];
    const m = new Map<number, Hyp>();
    const onlyBlank = lpBlank >= blankSkip;
    if (swap !== undefined && !onlyBlank) {
      // the frame's three likeliest keys: the only second letters a swap may start with
      top.fill(0);
      for (let l = 1; l <= L; l++) {
        const v = logProbs[row + classOf(l)];
        if (!top[2] || v > logProbs[row + classOf(top[2])]) {
          top[2] = l;
          for (let i = 2; i > 0 && (!top[i - 1] || logProbs[row + classOf(top[i])] > logProbs[row + classOf(top[i - 1])]); i--) [top[i - 1], top[i]] = [top[i], top[i - 1]];
        }
      }
    }
    for (const h of beam) {
      const tot = total(h);
      let pb = tot + lpBlank;
      if (skip !== undefined) pb = logAddExp(pb, tot - skip);
      const last = h.node === 0 ? -1 : trie.label[h.node];
      const pnb = last < 0 || onlyBlank ? -Infinity : h.pnb + logProbs[row + classOf(last)];
      addTo(m, h.node, h.owe, pb, pnb);
      if (onlyBlank) continue;
      if (h.owe) {
        // the owed first key of the swap completes it
        addTo(m, h.node, 0, -Infinity, tot + logProbs[row + classOf(h.owe)]);
        continue;
      }
      trie.forEachChild(h.node, (c, l) => {
        if (look(c) === Infinity) return;
        const lp = logProbs[row + classOf(l)];
        const from = l === last ? h.pb : tot;
        if (from + lp > -Infinity) addTo(m, c, 0, -Infinity, from + lp);
        if (swap === undefined) return;
        for (const b of top) {
          if (!b || b === l) continue;
          const g = trie.child(c, b);
          if (g < 0 || look(g) === Infinity) continue;
          const fromB = b === last ? h.pb : tot;
          addTo(m, g, l, -Infinity, fromB + logProbs[row + classOf(b)] - swap);
        }
      });
    }
    beam = prune(m);
    if (omit !== undefined && beam.length) {
      // omitted keys are inserted after the surviving hypotheses only (not every extension)
      const m2 = new Map<number, Hyp>(beam.map((h) => [keyOf(h.node, h.owe), h]));
      insertions(m2);
      beam = prune(m2);
    }
    if (!beam.length) return [];
  }
  return finish(beam, trie, scorer, lw, opts.wordPenalty ?? 0, topK, !!opts.prefix);
}

function finish(beam: Hyp[], trie: LexiconTrie, scorer: ContextScorer, lw: number, penalty: number, topK: number, prefix: boolean): DecodedWord[] {
  const best = new Map<number, DecodedWord>();
  const offer = (id: number, node: number, lexCost: number, acoustic: number) => {
    const lm = scorer.wordCost(id, lexCost);
    const score = acoustic - lw * lm - penalty;
    const have = best.get(id);
    if (!have || have.score < score) best.set(id, { word: trie.words[id], score, acoustic, lm, keys: trie.prefixOf(node) });
  };
  for (const h of beam) {
    if (h.owe) continue; // a swap still waiting for its first key is not a finished spelling
    const ac = total(h);
    if (prefix) {
      // Completions: the cheapest words below the typed prefix (and the prefix itself if a word),
      // rescored by the context LM; more candidates than asked so the context can reorder them.
      for (const w of trie.bestWordsBelow(h.node, Math.max(4 * topK, 20))) offer(w.id, w.node, w.cost, ac);
    } else {
      const at = trie.wordsAt[h.node];
      if (at) at.forEach((id, j) => offer(id, h.node, trie.costsAt[h.node]![j], ac));
    }
  }
  return [...best.values()].sort((a, b) => b.score - a.score).slice(0, topK);
}
