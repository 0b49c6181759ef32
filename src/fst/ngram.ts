// n-gram language models: interpolated Kneser-Ney estimation from a tokenised corpus, and the
// backoff acceptor (OpenGrm/Kaldi G.fst layout) built from a model. ARPA I/O is in arpa.ts.
//
// A model is stored the way ARPA stores it: every listed n-gram has ln p(w | h) (the fully
// interpolated probability) and, if it is a history, ln of its backoff weight; an unlisted n-gram
// gets backoff(h) * p(w | h minus its first word), recursively. Probabilities here are natural
// logs; ARPA files hold log10 (arpa.ts converts).
import { KilnFstError } from './errors.ts';
import { VectorFst, type Arc } from './fst.ts';
import { TropicalSemiring, type Semiring } from './semiring.ts';
import { SymbolTable } from './symbols.ts';

export const BOS = '<s>';
export const EOS = '</s>';
export const UNK = '<unk>';

export interface NgramEntry {
  /** ln p(last word | the words before it). */
  logProb: number;
  /** ln backoff weight of this n-gram as a history (0 = weight 1, the ARPA default). */
  backoff: number;
}

export class NgramModel {
  readonly order: number;
  /** grams[k - 1]: the listed k-grams, keyed by their words joined with one space, in insertion order. */
  readonly grams: Map<string, NgramEntry>[];

  constructor(order: number) {
    if (!(Number.isInteger(order) && order >= 1)) throw new KilnFstError(`NgramModel: order must be an integer >= 1, got ${order}`);
    this.order = order;
    this.grams = Array.from({ length: order }, () => new Map<string, NgramEntry>());
  }

  /** Words of the unigram table other than <s> (the predicted vocabulary, with </s> and <unk> if listed). */
  vocabulary(): string[] {
    return [...this.grams[0].keys()].filter((w) => w !== BOS);
  }

  /** ln p(word | history) with ARPA backoff; history is truncated to the model order. -Infinity when word is not in the vocabulary. */
  logProb(word: string, history: readonly string[] = []): number {
    let h = history.slice(Math.max(0, history.length - (this.order - 1)));
    let bo = 0;
    for (;;) {
      const key = h.length ? `${h.join(' ')} ${word}` : word;
      const e = this.grams[h.length].get(key);
      if (e) return bo + e.logProb;
      if (h.length === 0) return -Infinity;
      const he = this.grams[h.length - 1].get(h.join(' '));
      if (he) bo += he.backoff;
      h = h.slice(1);
    }
  }
}

export interface KneserNeyOptions {
  /** n-gram order (default 2: bigram). */
  order?: number;
  /** Fixed vocabulary: corpus words outside it become `unk`. Default: every corpus word seen at least minCount times. */
  vocabulary?: Iterable<string>;
  /** Without a fixed vocabulary, words seen fewer times become `unk` (default 1: keep all). */
  minCount?: number;
  /** The unknown-word token (default '<unk>'); always part of the vocabulary. */
  unk?: string;
  /** Fixed discount per order (index 0 = unigrams), overriding D = n1 / (n1 + 2 n2). */
  discounts?: number[];
}

/**
 * Splits text into sentences of word tokens: letters/digits with inner apostrophes (don't;
 * '90s is cut to 90s), lower-cased unless lowercase: false; sentences end at . ! ? ; and blank lines.
 */
export function tokenizeSentences(text: string, opts: { lowercase?: boolean } = {}): string[][] {
  const out: string[][] = [];
  const lower = opts.lowercase ?? true;
  for (const part of text.split(/[.!?;]+|\n\s*\n/)) {
    const toks = (lower ? part.toLowerCase() : part).match(/[\p{L}\p{N}]+(?:['’][\p{L}\p{N}]+)*/gu);
    if (toks && toks.length) out.push(toks.map((t) => t.replace(/’/g, "'")));
  }
  return out;
}

/**
 * Interpolated Kneser-Ney (Chen & Goodman's interpolated KN with one discount per order) written
 * as a backoff model, the way SRILM's `-interpolate -kndiscount` and KenLM store it:
 *   p(w|h) = (a(hw) - D) / a(h*) + gamma(h) p(w|h'),   gamma(h) = D * N1+(h*) / a(h*),
 * where a() is the raw count at the highest order and the continuation count N1+(*g) (number of
 * distinct words preceding g) at lower orders (raw count for n-grams starting with <s>). Unigrams
 * interpolate with the uniform distribution over the vocabulary + </s>, so every vocabulary word
 * (and <unk>) has a non-zero probability and every history sums to 1 over vocabulary + </s>.
 */
export function estimateKneserNey(sentences: Iterable<readonly string[]>, opts: KneserNeyOptions = {}): NgramModel {
  const order = opts.order ?? 2;
  const unk = opts.unk ?? UNK;
  const model = new NgramModel(order);
  let vocab: Set<string> | undefined = opts.vocabulary ? new Set(opts.vocabulary) : undefined;
  const sents = [...sentences];
  if (!vocab) {
    const freq = new Map<string, number>();
    for (const s of sents) for (const w of s) freq.set(w, (freq.get(w) ?? 0) + 1);
    const min = opts.minCount ?? 1;
    vocab = new Set([...freq].filter(([, c]) => c >= min).map(([w]) => w));
  }
  for (const w of [BOS, EOS, unk]) vocab.delete(w);
  // Word ids: <s> = 0, </s> = 1, unk = 2, then the vocabulary.
  const names = [BOS, EOS, unk, ...vocab];
  const idOf = new Map<string, number>(names.map((w, i) => [w, i]));
  const K = new NgramKeys(names.length, order);
  // Raw counts per order over <s> w1 .. wn </s>.
  const raw: Map<NKey, number>[] = Array.from({ length: order }, () => new Map());
  let nonEmpty = 0;
  const ws: number[] = [];
  for (const s of sents) {
    if (s.length === 0) continue;
    nonEmpty++;
    ws.length = 0;
    ws.push(0);
    for (const w of s) {
      const i = idOf.get(w);
      if (i === undefined && (/\s/.test(w) || w === '')) throw new KilnFstError(`estimateKneserNey: token ${JSON.stringify(w)} is empty or contains whitespace; tokenise first (tokenizeSentences)`);
      ws.push(i === undefined || i < 2 ? 2 : i);
    }
    ws.push(1);
    for (let i = 0; i < ws.length; i++) {
      let g = K.empty();
      for (let k = 1; k <= order && i + k <= ws.length; k++) {
        g = K.extend(g, ws[i + k - 1]);
        const m = raw[k - 1];
        m.set(g, (m.get(g) ?? 0) + 1);
      }
    }
  }
  if (nonEmpty === 0) throw new KilnFstError('estimateKneserNey: the corpus has no non-empty sentence');
  // Adjusted counts: raw at the top order, continuation counts below (raw for <s>-initial n-grams).
  const adj: Map<NKey, number>[] = raw.map(() => new Map());
  adj[order - 1] = raw[order - 1];
  for (let k = order - 1; k >= 1; k--) {
    const a = adj[k - 1];
    for (const [g, c] of raw[k - 1]) if (K.first(g, k) === 0) a.set(g, c);
    for (const g of raw[k].keys()) {
      const suffix = K.dropFirst(g, k + 1);
      if (K.first(suffix, k) === 0) continue;
      a.set(suffix, (a.get(suffix) ?? 0) + 1);
    }
  }
  const discounts: number[] = [];
  for (let k = 1; k <= order; k++) {
    let n1 = 0;
    let n2 = 0;
    for (const [g, c] of adj[k - 1]) {
      if (k === 1 && K.first(g, 1) === 0) continue;
      if (c === 1) n1++;
      else if (c === 2) n2++;
    }
    let d = opts.discounts?.[k - 1] ?? (n1 > 0 ? n1 / (n1 + 2 * n2) : 0.5);
    if (!(d > 0 && d < 1)) d = 0.5;
    discounts.push(d);
  }
  // Log probabilities per order, keyed like the counts; backoffs of histories.
  const lp: Map<NKey, number>[] = raw.map(() => new Map());
  const bo: Map<NKey, number>[] = raw.map(() => new Map());
  // Unigrams: the vocabulary + </s>, interpolated with the uniform distribution.
  let total = 0;
  let types = 0;
  for (let w = 1; w < names.length; w++) {
    const c = adj[0].get(K.extend(K.empty(), w)) ?? 0;
    total += c;
    if (c > 0) types++;
  }
  const d1 = discounts[0];
  const uniform = (d1 * types) / total / (names.length - 1);
  lp[0].set(K.extend(K.empty(), 0), -99 * Math.LN10);
  for (let w = 1; w < names.length; w++) {
    const g = K.extend(K.empty(), w);
    lp[0].set(g, Math.log(Math.max((adj[0].get(g) ?? 0) - d1, 0) / total + uniform));
  }
  // ln p(w | history key of order k-1), with backoff (the history is the last k-1 words).
  const lower = (h: NKey, k: number, w: number): number => {
    let b = 0;
    for (let j = k; j >= 1; j--) {
      const v = lp[j - 1].get(K.extend(h, w));
      if (v !== undefined) return b + v;
      b += bo[j - 2]?.get(h) ?? 0;
      h = K.dropFirst(h, j - 1);
    }
    return -Infinity;
  };
  for (let k = 2; k <= order; k++) {
    const d = discounts[k - 1];
    const sum = new Map<NKey, number>();
    const n = new Map<NKey, number>();
    for (const [g, c] of adj[k - 1]) {
      const h = K.history(g);
      sum.set(h, (sum.get(h) ?? 0) + c);
      n.set(h, (n.get(h) ?? 0) + 1);
    }
    for (const [h, s] of sum) bo[k - 2].set(h, Math.log((d * n.get(h)!) / s));
    const table = lp[k - 1];
    for (const [g, c] of adj[k - 1]) {
      const h = K.history(g);
      const gamma = Math.exp(bo[k - 2].get(h)!);
      const pl = Math.exp(lower(K.dropFirst(h, k - 1), k - 1, K.last(g)));
      table.set(g, Math.log((c - d) / sum.get(h)! + gamma * pl));
    }
  }
  for (let k = 1; k <= order; k++) {
    const t = model.grams[k - 1];
    for (const [g, v] of lp[k - 1]) t.set(K.words(g, k, names), { logProb: v, backoff: bo[k - 1].get(g) ?? 0 });
  }
  return model;
}

type NKey = number | string;

/** n-gram keys over word ids: one exact number (base-V digits) when V^order < 2^53, else 'id id id' strings. */
class NgramKeys {
  private readonly numeric: boolean;
  private readonly pow: number[];
  constructor(private readonly V: number, order: number) {
    this.numeric = Math.pow(V, order) < 2 ** 53;
    this.pow = Array.from({ length: order + 1 }, (_, i) => Math.pow(V, i));
  }
  empty(): NKey { return this.numeric ? 0 : ''; }
  extend(g: NKey, w: number): NKey {
    if (this.numeric) return (g as number) * this.V + w;
    return g === '' ? String(w) : `${g} ${w}`;
  }
  last(g: NKey): number {
    if (this.numeric) return (g as number) % this.V;
    const s = g as string;
    return Number(s.slice(s.lastIndexOf(' ') + 1));
  }
  history(g: NKey): NKey {
    if (this.numeric) return Math.floor((g as number) / this.V);
    const s = g as string;
    const i = s.lastIndexOf(' ');
    return i < 0 ? '' : s.slice(0, i);
  }
  /** First word of a k-gram (-1 for the empty key). */
  first(g: NKey, k: number): number {
    if (k === 0) return -1;
    if (this.numeric) return Math.floor((g as number) / this.pow[k - 1]);
    const s = g as string;
    const i = s.indexOf(' ');
    return Number(i < 0 ? s : s.slice(0, i));
  }
  /** A k-gram without its first word. */
  dropFirst(g: NKey, k: number): NKey {
    if (k <= 1) return this.empty();
    if (this.numeric) return (g as number) % this.pow[k - 1];
    const s = g as string;
    return s.slice(s.indexOf(' ') + 1);
  }
  words(g: NKey, k: number, names: string[]): string {
    if (!this.numeric) return (g as string).split(' ').map((i) => names[Number(i)]).join(' ');
    let x = g as number;
    const out: string[] = new Array(k);
    for (let j = k - 1; j >= 0; j--) { out[j] = names[x % this.V]; x = Math.floor(x / this.V); }
    return out.join(' ');
  }
}

export interface NgramFstOptions {
  /** Numeric semiring of the result (default tropical); weights are -ln p. */
  semiring?: Semiring<number>;
  /** Word symbols: the model's words get these ids (words missing from the table are added to it). Default: a new table, <eps> = 0. */
  symbols?: SymbolTable;
  /** Label of the backoff arcs: default epsilon (0); e.g. '#0' for Kaldi's G.fst (added to the symbols). */
  backoffLabel?: string;
}

/**
 * The backoff acceptor of a model (OpenGrm/Kaldi layout): one state per history that has
 * continuations, the start state is the <s> history, an arc per listed n-gram (weight -ln p) to
 * the longest history state it leads to, a backoff arc from each non-empty history to its suffix
 * state (weight -ln backoff, times the backoffs of skipped intermediate histories), </s> as final
 * weight. As in OpenGrm, an explicit n-gram and the backoff path both exist for it: exact under
 * the tropical semiring's best-path reading (and for failure-arc matching), an over-count in the
 * log semiring.
 */
export function ngramFst(model: NgramModel, opts: NgramFstOptions = {}): VectorFst<number> {
  const sr = opts.semiring ?? TropicalSemiring;
  const w32 = (x: number) => sr.times(sr.one, x);
  const fst = new VectorFst<number>(sr);
  const syms = opts.symbols ?? new SymbolTable('words');
  if (syms.find('<eps>') === -1 && syms.symbol(0) === undefined) syms.addSymbol('<eps>', 0);
  const N = model.order;
  // History states: n-grams (order < N) that prefix a listed longer n-gram.
  const isHist: Set<string>[] = [new Set([''])];
  for (let k = 1; k < N; k++) {
    const s = new Set<string>();
    for (const g of model.grams[k].keys()) s.add(g.slice(0, g.lastIndexOf(' ')));
    isHist.push(s);
  }
  if (N >= 2 && model.grams[0].has(BOS)) isHist[1].add(BOS);
  const stateOf = new Map<string, number>();
  const startKey = N >= 2 && model.grams[0].has(BOS) ? BOS : '';
  stateOf.set(startKey, fst.addState());
  fst.setStart(0);
  if (!stateOf.has('')) stateOf.set('', fst.addState());
  for (let k = 1; k < N; k++) for (const h of isHist[k]) if (!stateOf.has(h)) stateOf.set(h, fst.addState());
  const label = (w: string) => {
    const id = syms.find(w);
    return id !== -1 ? id : syms.addSymbol(w);
  };
  const bl = opts.backoffLabel === undefined ? 0 : label(opts.backoffLabel);
  // Longest suffix of the word list ws that is a history state.
  // Longest suffix of the n-gram g (k words) that is a history state (at most N - 1 words).
  const dest = (g: string, k: number): number => {
    let t = g;
    for (let drop = 0; drop < k; drop++) {
      if (k - drop <= N - 1) {
        const s = stateOf.get(t);
        if (s !== undefined) return s;
      }
      t = t.slice(t.indexOf(' ') + 1);
    }
    return stateOf.get('')!;
  };
  for (let k = 1; k <= N; k++) {
    for (const [g, e] of model.grams[k - 1]) {
      const sp = g.lastIndexOf(' ');
      const w = g.slice(sp + 1);
      if (w === BOS) continue;
      const h = sp < 0 ? '' : g.slice(0, sp);
      const src = stateOf.get(h);
      if (src === undefined) throw new KilnFstError(`ngramFst: n-gram '${g}' has no history state '${h}' (a listed n-gram needs its history listed)`);
      if (w === EOS) fst.setFinal(src, w32(-e.logProb));
      else {
        const l = label(w);
        fst.addArc(src, { ilabel: l, olabel: l, weight: w32(-e.logProb), nextstate: dest(g, k) });
      }
    }
  }
  for (const [h, s] of stateOf) {
    if (h === '') continue;
    let ws = h.split(' ');
    let cost = -(model.grams[ws.length - 1].get(h)?.backoff ?? 0);
    ws = ws.slice(1);
    while (ws.length > 0 && !stateOf.has(ws.join(' '))) {
      cost -= model.grams[ws.length - 1].get(ws.join(' '))?.backoff ?? 0;
      ws = ws.slice(1);
    }
    fst.addArc(s, { ilabel: bl, olabel: bl, weight: w32(cost), nextstate: stateOf.get(ws.join(' '))! });
  }
  fst.isymbols = syms;
  fst.osymbols = syms;
  return fst;
}

/** Estimates an interpolated Kneser-Ney model from sentences and returns its backoff acceptor. */
export function buildNgramLm(sentences: Iterable<readonly string[]>, opts: KneserNeyOptions & NgramFstOptions = {}): VectorFst<number> {
  return ngramFst(estimateKneserNey(sentences, opts), opts);
}

/** ln p(word | state) read off an n-gram acceptor with failure semantics: the word's arc if the state has one, else the backoff arc (label bl) and retry; </s> = final weight. */
export function fstWordLogProb(fst: VectorFst<number>, state: number, label: number | 'final', bl = 0): number {
  let cost = 0;
  let s = state;
  for (let guard = 0; guard < 1000; guard++) {
    if (label === 'final') {
      const f = fst.final(s);
      if (f !== Infinity) return -(cost + f);
    } else {
      const a = fst.arcs(s).find((x: Arc<number>) => x.ilabel === label);
      if (a) return -(cost + a.weight);
    }
    const b = fst.arcs(s).find((x: Arc<number>) => x.ilabel === bl);
    if (!b) return -Infinity;
    cost += b.weight;
    s = b.nextstate;
  }
  throw new KilnFstError('fstWordLogProb: backoff cycle');
}
