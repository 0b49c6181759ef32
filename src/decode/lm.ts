// The LM side of the decoder: G is consulted lazily, one word at a time, from the state the
// committed context leads to, never composed with the lexicon. A `ContextScorer` is that state:
// the cost of each word after the context, and a lookahead per lexicon node (the cheapest word
// cost below it) so the search prices a word before it is finished. The n-gram scorer mixes a
// Kneser-Ney model with the lexicon's own unigram costs, so a word the LM corpus never saw still
// has its everyday frequency (subtlex) rather than <unk>'s floor.
import { BOS, EOS, UNK, type NgramModel } from '../fst/ngram.ts';
import type { LexiconTrie } from './lexicon_trie.ts';

/** The LM state after a context, as the decoder uses it. Costs are -ln p (natural log). */
export interface ContextScorer {
  /** Cost of the lexicon's word `id` after the context; `lexCost` is its lexicon cost at the node reached. */
  wordCost(id: number, lexCost: number): number;
  /** An estimate (optimistic where the model allows) of wordCost for the cheapest word below `node`. */
  lookahead(node: number): number;
}

/** A word-level LM: hands out the scorer of a context for a lexicon. */
export interface WordLm {
  scorer(context: readonly string[], trie: LexiconTrie): ContextScorer;
  /** The k likeliest next words after the context (predictions), best first. */
  predict(context: readonly string[], k: number, trie?: LexiconTrie): { word: string; cost: number }[];
}

/** No LM: the lexicon's own costs (unigram prior) and its pushed lookahead. */
export const lexiconOnly: WordLm = {
  scorer: (_c, trie) => ({ wordCost: (_id, lex) => lex, lookahead: (n) => trie.best[n] }),
  predict: (_c, k, trie) => (trie ? trie.bestWordsBelow(0, k).map((w) => ({ word: trie.words[w.id], cost: w.cost })) : []),
};

export interface NgramLmOptions {
  /** Weight of the n-gram model in the mixture with the lexicon's unigram (default 0.7). 1 = the n-gram alone. */
  lambda?: number;
  /** Words kept per history for lookahead and predictions (default 1000: the rest back off). */
  maxSuccessors?: number;
}

function logAdd(a: number, b: number): number {
  if (a === -Infinity) return b;
  if (b === -Infinity) return a;
  return a > b ? a + Math.log1p(Math.exp(b - a)) : b + Math.log1p(Math.exp(a - b));
}

/**
 * A word LM from a Kneser-Ney (backoff) n-gram model, interpolated with the lexicon:
 * p(w | h) = lambda * p_ngram(w | h) + (1 - lambda) * exp(-lexCost(w)). Words outside the
 * n-gram's vocabulary use its <unk> probability in the first term.
 */
export class NgramWordLm implements WordLm {
  readonly lambda: number;
  private readonly maxSucc: number;
  /** history (words joined by ' ') -> [word, ln p(word | history)] sorted by probability, for the listed n-grams. */
  private succ: Map<string, [string, number][]> | null = null;
  private readonly cache = new Map<string, { list: [string, number][] }>();

  constructor(readonly model: NgramModel, opts: NgramLmOptions = {}) {
    this.lambda = opts.lambda ?? 0.7;
    if (!(this.lambda > 0 && this.lambda <= 1)) throw new Error(`NgramWordLm: lambda must be in (0, 1], got ${this.lambda}`);
    this.maxSucc = opts.maxSuccessors ?? 1000;
  }

  private index(): Map<string, [string, number][]> {
    if (this.succ) return this.succ;
    const m = new Map<string, [string, number][]>();
    for (let k = 1; k < this.model.order; k++) {
      for (const [g, e] of this.model.grams[k]) {
        const sp = g.lastIndexOf(' ');
        const h = g.slice(0, sp);
        let l = m.get(h);
        if (!l) m.set(h, (l = []));
        l.push([g.slice(sp + 1), e.logProb]);
      }
    }
    for (const l of m.values()) l.sort((a, b) => b[1] - a[1]);
    return (this.succ = m);
  }

  /** The model's history for a context: <s> then the last order-1 words (lower-cased). */
  history(context: readonly string[]): string[] {
    const h = [BOS, ...context.map((w) => w.toLowerCase())];
    return h.slice(Math.max(0, h.length - (this.model.order - 1)));
  }

  /** ln p_ngram(word | history), <unk>'s when the word is not in the model. */
  logProb(word: string, history: readonly string[]): number {
    const lp = this.model.logProb(word.toLowerCase(), history);
    return lp > -Infinity ? lp : this.model.logProb(UNK, history);
  }

  /** Listed successors of the history at every backoff level, ln p with the backoff applied, best first. */
  successors(history: readonly string[]): [string, number][] {
    const key = history.join(' ');
    const hit = this.cache.get(key);
    if (hit) return hit.list;
    const idx = this.index();
    const seen = new Map<string, number>();
    let bo = 0;
    for (let h = history.slice(); h.length > 0; h = h.slice(1)) {
      for (const [w, lp] of (idx.get(h.join(' ')) ?? []).slice(0, this.maxSucc)) if (!seen.has(w)) seen.set(w, bo + lp);
      bo += this.model.grams[h.length - 1].get(h.join(' '))?.backoff ?? 0;
    }
    const list = [...seen].filter(([w]) => w !== EOS && w !== UNK && w !== BOS).sort((a, b) => b[1] - a[1]).slice(0, this.maxSucc);
    if (this.cache.size > 256) this.cache.clear();
    this.cache.set(key, { list });
    return list;
  }

  scorer(context: readonly string[], trie: LexiconTrie): ContextScorer {
    const h = this.history(context);
    const lam = Math.log(this.lambda), rest = this.lambda < 1 ? Math.log(1 - this.lambda) : -Infinity;
    // Context lookahead: the cheapest listed successor below each node (walked up from its word's nodes).
    const ctxBest = new Map<number, number>();
    // Successors come best first, so a walk up stops at the first node a better word already set.
    for (const [w, lp] of this.successors(h)) {
      const id = trie.wordId(w);
      if (id < 0) continue;
      const c = -(lam + lp);
      for (const end of trie.wordNodes[id]) {
        for (let n = end; n >= 0; n = trie.parent[n]) {
          if ((ctxBest.get(n) ?? Infinity) <= c) break;
          ctxBest.set(n, c);
        }
      }
    }
    const words = trie.words;
    return {
      wordCost: (id, lex) => -logAdd(lam + this.logProb(words[id], h), rest - lex),
      lookahead: (n) => Math.min(ctxBest.get(n) ?? Infinity, trie.best[n] - rest),
    };
  }

  predict(context: readonly string[], k: number, trie?: LexiconTrie): { word: string; cost: number }[] {
    const h = this.history(context);
    const out = new Map<string, number>();
    for (const [w, lp] of this.successors(h)) {
      if (trie && trie.wordId(w) < 0) continue;
      const lex = trie ? trie.wordCost[trie.wordId(w)] : Infinity;
      out.set(w, -logAdd(Math.log(this.lambda) + lp, (this.lambda < 1 ? Math.log(1 - this.lambda) : -Infinity) - lex));
      if (out.size >= 4 * k + 20) break;
    }
    if (trie) {
      for (const b of trie.bestWordsBelow(0, k)) {
        const w = trie.words[b.id];
        if (!out.has(w)) out.set(w, -logAdd(Math.log(this.lambda) + this.logProb(w, h), (this.lambda < 1 ? Math.log(1 - this.lambda) : -Infinity) - b.cost));
      }
    }
    return [...out].map(([word, cost]) => ({ word, cost })).sort((a, b) => a.cost - b.cost).slice(0, k);
  }
}

export interface LanguageComponent {
  /** Tag of the language ("en", "hi"): it labels the words this component scores. */
  name: string;
  /** The language's word LM (its scorer is asked only about the words of this language). */
  lm: WordLm;
  /** Prior probability of the language when the context says nothing (the priors are normalised). */
  prior: number;
  /** A trie of this language's words alone, for its predictions (default: the decode trie). */
  trie?: LexiconTrie;
}

export interface LanguageMixtureOptions {
  /** Probability that a word is in the same language as the word before it (default 0.8; code-switching is rarer than staying). */
  stay?: number;
  /** The language index of a context word, or -1 when unknown (default: unknown, the priors alone). */
  languageOfWord?: (word: string) => number;
}

/**
 * Several languages in one decode (the Gboard post's multilingual typing): one trie holds every
 * language's words, each word id belongs to one language, and
 *   p(w | h) = P(lang(w) | h) * p_lang(w | h),
 * with P(lang | h) the prior, or `stay` for the language of the last context word. The lookahead
 * of a node is the cheapest over the languages, so it stays optimistic.
 */
export class LanguageMixtureLm implements WordLm {
  readonly stay: number;
  private readonly logPrior: number[];

  constructor(
    readonly components: readonly LanguageComponent[],
    /** The language index of trie word `id` (e.g. a lookup in an array the decoder keeps). */
    readonly languageOf: (id: number) => number,
    private readonly opts: LanguageMixtureOptions = {},
  ) {
    if (!components.length) throw new Error('LanguageMixtureLm: give at least one language');
    const total = components.reduce((a, c) => a + c.prior, 0);
    if (!components.every((c) => c.prior > 0) || !(total > 0)) throw new Error(`LanguageMixtureLm: every language needs a prior > 0, got ${components.map((c) => `${c.name}=${c.prior}`).join(', ')}`);
    this.logPrior = components.map((c) => Math.log(c.prior / total));
    this.stay = opts.stay ?? 0.8;
    if (!(this.stay > 0 && this.stay < 1)) throw new Error(`LanguageMixtureLm: stay must be in (0, 1), got ${this.stay}`);
  }

  /** ln P(language | context), one per component. */
  languageLogProbs(context: readonly string[]): number[] {
    const n = this.components.length;
    const last = context.length ? this.opts.languageOfWord?.(context[context.length - 1]) ?? -1 : -1;
    if (last < 0 || n === 1) return this.logPrior.slice();
    // Stay with the last word's language; the other languages share the rest by their priors.
    const others = this.logPrior.reduce((a, lp, i) => (i === last ? a : a + Math.exp(lp)), 0);
    return this.logPrior.map((lp, i) => (i === last ? Math.log(this.stay) : Math.log(1 - this.stay) + lp - Math.log(others)));
  }

  scorer(context: readonly string[], trie: LexiconTrie): ContextScorer {
    const lp = this.languageLogProbs(context);
    const scorers = this.components.map((c) => c.lm.scorer(context, trie));
    return {
      wordCost: (id, lex) => {
        const l = this.languageOf(id);
        if (l < 0 || l >= scorers.length) throw new Error(`LanguageMixtureLm: word ${JSON.stringify(trie.words[id])} (id ${id}) has no language (got index ${l})`);
        return scorers[l].wordCost(id, lex) - lp[l];
      },
      lookahead: (n) => {
        let best = Infinity;
        for (let l = 0; l < scorers.length; l++) best = Math.min(best, scorers[l].lookahead(n) - lp[l]);
        return best;
      },
    };
  }

  predict(context: readonly string[], k: number, trie?: LexiconTrie): { word: string; cost: number }[] {
    const lp = this.languageLogProbs(context);
    const all = this.components.flatMap((c, l) => c.lm.predict(context, k, c.trie ?? trie).map((p) => ({ word: p.word, cost: p.cost - lp[l] })));
    const seen = new Set<string>();
    return all.sort((a, b) => a.cost - b.cost).filter((p) => !seen.has(p.word) && seen.add(p.word)).slice(0, k);
  }

  /** The language tag of trie word `id`. */
  tagOf(id: number): string {
    return this.components[this.languageOf(id)]?.name ?? '?';
  }
}
