// Romanised Hindi -> Devanagari words (`kiln keyboard translit --lang hi`), and back (the Latin
// spellings of a Devanagari word, for the multilingual keyboard lexicon). Data: models/keyboard/hi
// (scripts/build-hindi): weighted ITRANS-derived rules plus loose-typing variants, and a word list
// with a prior cost. The rules depend on what came before (a vowel after a consonant is a matra,
// elsewhere an independent letter; two typed consonants are joined by a virama; a consonant with
// no vowel typed keeps its inherent a), so the search is a direct beam search of the rules over a
// character trie of the words, with a phase per hypothesis, rather than a composition with the
// context-free rule closure of src/fst/translit.ts.
import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/** models/keyboard/hi in the repo (this module is src/models/keyboard/hindi.ts, or bundled into dist/node/*.js). */
export const DEFAULT_HINDI_DIR = ['../../../models/keyboard/hi', '../../models/keyboard/hi']
  .map((p) => fileURLToPath(new URL(p, import.meta.url)))
  .find((p) => existsSync(join(p, 'words.tsv'))) ?? fileURLToPath(new URL('../../../models/keyboard/hi', import.meta.url));

/**
 * consonant: a consonant or cluster (its virama in rules.tsv dropped); vowel: a matra, or '' for
 * the inherent a, typed after a consonant; independent: a vowel letter; mark: anusvara,
 * candrabindu or visarga after a vowel.
 */
export type HindiRuleKind = 'consonant' | 'vowel' | 'independent' | 'mark';
export interface HindiRule { from: string; to: string; cost: number; kind: HindiRuleKind }

/**
 * Cost of a consonant keeping its inherent a though a consonant is typed next (ladka -> लड़का,
 * kml -> कमल). Hindi speech drops the schwa after the first syllable (Ohala's rule), and typists
 * follow: cheap there, dearer in the first syllable, whose schwa is never dropped in speech.
 */
export const SCHWA_DROP_COST = 0.3;
export const FIRST_SCHWA_DROP_COST = 0.9;
/** Extra cost of a word-final typed 'a' read as the inherent vowel (kamala -> कमल is ITRANS, but a Hindi typist means कमला). */
export const FINAL_A_COST = 1.5;
/** Cost of a nasal (anusvara or candrabindu) after a vowel that was not typed (nahi -> नहीं, tumhe -> तुम्हें). */
export const NASAL_OMIT_COST = 1.2;
/** Weight of the word prior (nats) against the rule costs. */
export const PRIOR_WEIGHT = 0.5;
/** Prior cost of a spelling not in the word list (the rules' own Devanagari, offered when nothing in the list is close). */
export const OOV_COST = 20;
const BEAM = 96;

const VIRAMA = '\u094D';
const VIRAMA_CODE = 0x094d;
const NASALS = [0x0901, 0x0902];
const MATRA = /^[\u093E-\u094C\u0962\u0963]/u;
const MARK = /^[\u0901-\u0903]$/u;
const VOWEL = /^[\u0904-\u0914]$/u;
const LATIN = /^[A-Za-z.~^]+$/;
const LOWER = /^[a-z]+$/;

/**
 * Where a hypothesis stands: after a vowel (or at the start), after a consonant (its vowel not yet
 * read), after a virama (a consonant must follow), or after an inherent a left untyped (a consonant
 * or a nasal must follow: the schwa drop is only for a consonant typed next).
 */
const enum Phase { Vowel, Consonant, Virama, Schwa }

/** May a rule of this kind come next? (A mark never starts a word.) */
function follows(phase: Phase, kind: HindiRuleKind, atStart: boolean): boolean {
  switch (phase) {
    case Phase.Consonant: return kind === 'vowel';
    case Phase.Virama: return kind === 'consonant';
    case Phase.Schwa: return kind === 'consonant' || kind === 'mark';
    default: return kind === 'consonant' || kind === 'independent' || (kind === 'mark' && !atStart);
  }
}

/** Parses rules.tsv (latin TAB devanagari TAB cost; '#' comments); errors name the file and line. */
export function parseHindiRules(text: string, name = 'rules.tsv'): HindiRule[] {
  const rules: HindiRule[] = [];
  text.split('\n').forEach((line, i) => {
    if (!line.trim() || line.startsWith('#')) return;
    const f = line.split('\t');
    const bad = (why: string) => new Error(`${name}:${i + 1}: ${why}: ${JSON.stringify(line)}`);
    if (f.length !== 3) throw bad('expected latin<TAB>devanagari<TAB>cost');
    const [from, rawTo, c] = f;
    const cost = Number(c);
    if (!LATIN.test(from)) throw bad('the Latin side must be letters (and ITRANS . ~ ^)');
    if (c.trim() === '' || !Number.isFinite(cost) || cost < 0) throw bad('the cost must be a number >= 0');
    const to = rawTo.normalize('NFC');
    let kind: HindiRuleKind;
    if (to.endsWith(VIRAMA) && to.length > 1) kind = 'consonant';
    else if (to === '' || (MATRA.test(to) && [...to].length === 1)) kind = 'vowel';
    else if (MARK.test(to)) kind = 'mark';
    else if (VOWEL.test(to)) kind = 'independent';
    else throw bad('the Devanagari side must be a consonant + virama, a matra, empty (inherent a), a vowel or a nasal/visarga mark');
    rules.push({ from, to: kind === 'consonant' ? to.slice(0, -1) : to, cost, kind });
  });
  if (!rules.length) throw new Error(`${name}: no rules`);
  return rules;
}

/** Parses words.tsv (word TAB prior cost); errors name the file and line. */
export function parseHindiWords(text: string, name = 'words.tsv'): { word: string; cost: number }[] {
  const out: { word: string; cost: number }[] = [];
  text.split('\n').forEach((line, i) => {
    if (!line) return;
    const f = line.split('\t');
    const cost = Number(f[1]);
    if (f.length !== 2 || !/^[\u0900-\u097F]+$/u.test(f[0]) || f[0] !== f[0].normalize('NFC') || f[1].trim() === '' || !Number.isFinite(cost) || cost < 0) {
      throw new Error(`${name}:${i + 1}: expected a Devanagari word (NFC) <TAB> cost >= 0: ${JSON.stringify(line)}`);
    }
    out.push({ word: f[0], cost });
  });
  if (!out.length) throw new Error(`${name}: no words`);
  return out;
}

/** A small binary min-heap on `cost`. */
class Heap<T extends { cost: number }> {
  private h: T[] = [];
  get size(): number { return this.h.length; }
  push(x: T): void {
    const h = this.h;
    h.push(x);
    for (let i = h.length - 1; i > 0;) {
      const p = (i - 1) >> 1;
      if (h[p].cost <= h[i].cost) break;
      [h[p], h[i]] = [h[i], h[p]]; i = p;
    }
  }
  pop(): T {
    const h = this.h, top = h[0], last = h.pop()!;
    if (h.length) {
      h[0] = last;
      for (let i = 0; ;) {
        const l = 2 * i + 1, r = l + 1;
        let m = i;
        if (l < h.length && h[l].cost < h[m].cost) m = l;
        if (r < h.length && h[r].cost < h[m].cost) m = r;
        if (m === i) break;
        [h[m], h[i]] = [h[i], h[m]]; i = m;
      }
    }
    return top;
  }
}

/** `first`: no vowel yet (the hypothesis is in the word's first syllable). */
interface Hyp { node: number; phase: Phase; first: boolean; cost: number }

/**
 * A character trie of the words, built in one pass over the sorted list (LexiconTrie's per-word
 * add took ~0.5 s for 60k words; this takes a tenth). Labels are UTF-16 code units; children are
 * sibling lists in label order; best[n] is the cheapest word prior below node n.
 */
export class CharTrie {
  readonly label: Int32Array;
  readonly firstChild: Int32Array;
  readonly nextSibling: Int32Array;
  readonly best: Float64Array;
  /** Index into `words` of the word ending at each node, or -1. */
  readonly wordAt: Int32Array;
  readonly words: string[];
  readonly costs: number[];

  constructor(entries: readonly { word: string; cost: number }[]) {
    const sorted = [...entries].sort((a, b) => (a.word < b.word ? -1 : a.word > b.word ? 1 : a.cost - b.cost));
    let size = 1;
    for (const e of sorted) size += e.word.length;
    const label = new Int32Array(size), first = new Int32Array(size).fill(-1), next = new Int32Array(size).fill(-1);
    const last = new Int32Array(size).fill(-1), parent = new Int32Array(size).fill(-1), wordAt = new Int32Array(size).fill(-1);
    this.words = []; this.costs = [];
    let n = 1, prev = '';
    const path = [0];
    for (const { word, cost } of sorted) {
      if (word === prev) continue;
      let lcp = 0;
      while (lcp < word.length && lcp < prev.length && word.charCodeAt(lcp) === prev.charCodeAt(lcp)) lcp++;
      path.length = lcp + 1;
      for (let i = lcp; i < word.length; i++) {
        const p = path[i], m = n++;
        label[m] = word.charCodeAt(i); parent[m] = p;
        if (last[p] < 0) first[p] = m; else next[last[p]] = m;
        last[p] = m;
        path.push(m);
      }
      wordAt[path[word.length]] = this.words.length;
      this.words.push(word); this.costs.push(cost);
      prev = word;
    }
    const best = new Float64Array(n).fill(Infinity);
    for (let m = n - 1; m > 0; m--) {
      if (wordAt[m] >= 0 && this.costs[wordAt[m]] < best[m]) best[m] = this.costs[wordAt[m]];
      if (best[m] < best[parent[m]]) best[parent[m]] = best[m];
    }
    this.label = label.subarray(0, n); this.firstChild = first.subarray(0, n); this.nextSibling = next.subarray(0, n);
    this.wordAt = wordAt.subarray(0, n); this.best = best;
  }

  get numNodes(): number { return this.best.length; }

  /** The child of node by code unit c, or -1. */
  child(node: number, c: number): number {
    for (let m = this.firstChild[node]; m >= 0; m = this.nextSibling[m]) {
      if (this.label[m] === c) return m;
      if (this.label[m] > c) return -1;
    }
    return -1;
  }

  /** The node spelling s from `node`, or -1. */
  walk(s: string, node = 0): number {
    for (let i = 0; i < s.length && node >= 0; i++) node = this.child(node, s.charCodeAt(i));
    return node;
  }
}

export class Hindi {
  readonly trie: CharTrie;
  /** Words cheapest prior first (the order of words.tsv). */
  readonly words: { word: string; cost: number }[];
  private readonly byFirst = new Map<string, HindiRule[]>();

  constructor(readonly rules: readonly HindiRule[], words: readonly { word: string; cost: number }[]) {
    this.words = [...words].sort((a, b) => a.cost - b.cost);
    this.trie = new CharTrie(this.words);
    for (const r of rules) {
      const list = this.byFirst.get(r.from[0]) ?? [];
      list.push(r);
      this.byFirst.set(r.from[0], list);
    }
  }

  static load(dir = DEFAULT_HINDI_DIR): Hindi {
    const read = (f: string) => {
      const p = join(dir, f);
      if (!existsSync(p)) throw new Error(`loadHindi: ${p} is missing (build it with scripts/build-hindi)`);
      return readFileSync(p, 'utf8');
    };
    return new Hindi(parseHindiRules(read('rules.tsv'), join(dir, 'rules.tsv')), parseHindiWords(read('words.tsv'), join(dir, 'words.tsv')));
  }

  /** Case is ITRANS's (T ट, t त) only in mixed-case input; all-lower, ALL-UPPER and Title case are read as lowercase. */
  private normalise(roman: string, who: string): string {
    const s = typeof roman === 'string' ? roman.trim() : '';
    if (!s) throw new Error(`Hindi.${who}: empty input ${JSON.stringify(roman)}: give a romanised Hindi word, e.g. daanth`);
    if (!LATIN.test(s)) throw new Error(`Hindi.${who}: ${JSON.stringify(roman)} is not romanised Hindi: use Latin letters a-z (and ITRANS . ~ ^)`);
    const lower = s.toLowerCase();
    if (s === lower || s === s.toUpperCase() || s.slice(1) === lower.slice(1)) return lower;
    // uppercase letters that ITRANS gives no meaning are read as lowercase
    return [...s].map((c) => (c !== c.toLowerCase() && !this.byFirst.has(c) ? c.toLowerCase() : c)).join('');
  }

  private matchesAt(s: string): HindiRule[][] {
    return [...s].map((_, p) => (this.byFirst.get(s[p]) ?? []).filter((r) => s.startsWith(r.from, p)));
  }

  /** A rule's cost here: a word-final typed a read as the inherent vowel pays FINAL_A_COST. */
  private static ruleCost(r: HindiRule, end: boolean): number {
    return r.cost + (end && r.kind === 'vowel' && r.to === '' ? FINAL_A_COST : 0);
  }

  /** The romanised word's k most likely Devanagari words, best first (cost: rules + PRIOR_WEIGHT x prior). */
  translit(roman: string, k: number): { word: string; cost: number }[] {
    if (!Number.isInteger(k) || k < 1) throw new Error(`Hindi.translit: k must be a positive integer, got ${k}`);
    const s = this.normalise(roman, 'translit');
    const n = s.length, match = this.matchesAt(s), trie = this.trie;
    const layers: Map<number, Hyp>[] = Array.from({ length: n + 1 }, () => new Map());
    const relax = (layer: Map<number, Hyp>, node: number, phase: Phase, first: boolean, cost: number) => {
      const key = node * 8 + phase * 2 + +first, h = layer.get(key);
      if (!h) layer.set(key, { node, phase, first, cost });
      else if (h.cost > cost) h.cost = cost;
    };
    relax(layers[0], 0, Phase.Vowel, true, 0);
    const found = new Map<number, number>();
    for (let p = 0; p <= n; p++) {
      const layer = layers[p];
      for (const h of [...layer.values()]) {
        if (h.phase === Phase.Vowel && h.node !== 0 && !NASALS.includes(trie.label[h.node])) {
          for (const c of NASALS) { const m = trie.child(h.node, c); if (m >= 0) relax(layer, m, Phase.Vowel, h.first, h.cost + NASAL_OMIT_COST); }
        }
        if (h.phase !== Phase.Consonant || p === n) continue;
        relax(layer, h.node, Phase.Schwa, false, h.cost + (h.first ? FIRST_SCHWA_DROP_COST : SCHWA_DROP_COST));
        const v = trie.child(h.node, VIRAMA_CODE);
        if (v >= 0) relax(layer, v, Phase.Virama, h.first, h.cost);
      }
      if (p === n) {
        for (const h of layer.values()) {
          const id = trie.wordAt[h.node];
          if (h.phase === Phase.Virama || h.phase === Phase.Schwa || id < 0) continue;
          const c = h.cost + PRIOR_WEIGHT * trie.costs[id];
          if (c < (found.get(id) ?? Infinity)) found.set(id, c);
        }
        break;
      }
      const score = (h: Hyp) => h.cost + PRIOR_WEIGHT * trie.best[h.node];
      const kept = [...layer.values()].filter((h) => score(h) < Infinity).sort((a, b) => score(a) - score(b)).slice(0, BEAM);
      for (const h of kept) {
        for (const r of match[p]) {
          if (!follows(h.phase, r.kind, h.node === 0)) continue;
          const m = trie.walk(r.to, h.node);
          if (m < 0) continue;
          const q = p + r.from.length;
          relax(layers[q], m, r.kind === 'consonant' ? Phase.Consonant : Phase.Vowel, h.first && r.kind === 'consonant', h.cost + Hindi.ruleCost(r, q === n));
        }
      }
    }
    const out = [...found].map(([id, cost]) => ({ word: trie.words[id], cost })).sort((a, b) => a.cost - b.cost);
    const oov = this.spell(s, match);
    if (!oov && !out.length) throw new Error(`Hindi.translit: no rule reads ${JSON.stringify(roman)} to the end`);
    if (oov && !out.some((o) => o.word === oov.word)) out.push({ word: oov.word, cost: oov.cost + PRIOR_WEIGHT * OOV_COST });
    return out.sort((a, b) => a.cost - b.cost).slice(0, k).map((o) => ({ word: o.word, cost: +o.cost.toFixed(3) }));
  }

  /** The rules' cheapest Devanagari for s with no word list (Viterbi over position x phase), or null. */
  private spell(s: string, match: HindiRule[][]): { word: string; cost: number } | null {
    const n = s.length;
    // best[p][phase * 2 + first]
    const best: ({ cost: number; out: string } | undefined)[][] = Array.from({ length: n + 1 }, () => []);
    const relax = (p: number, ph: Phase, first: boolean, cost: number, out: string) => {
      const i = ph * 2 + +first;
      if (!(best[p][i] && best[p][i]!.cost <= cost)) best[p][i] = { cost, out };
    };
    relax(0, Phase.Vowel, true, 0, '');
    for (let p = 0; p < n; p++) {
      for (const first of [false, true]) {
        const c = best[p][Phase.Consonant * 2 + +first];
        if (!c) continue;
        relax(p, Phase.Schwa, false, c.cost + (first ? FIRST_SCHWA_DROP_COST : SCHWA_DROP_COST), c.out);
        relax(p, Phase.Virama, first, c.cost, c.out + VIRAMA);
      }
      for (let i = 0; i < 8; i++) {
        const h = best[p][i], ph = (i >> 1) as Phase, first = (i & 1) === 1;
        if (!h) continue;
        for (const r of match[p]) {
          const q = p + r.from.length;
          if (follows(ph, r.kind, h.out === '')) relax(q, r.kind === 'consonant' ? Phase.Consonant : Phase.Vowel, first && r.kind === 'consonant', h.cost + Hindi.ruleCost(r, q === n), h.out + r.to);
        }
      }
    }
    const ends = [0, 1, 2, 3].map((i) => best[n][i]).filter((e) => e !== undefined);
    if (!ends.length) return null;
    const e = ends.reduce((a, b) => (a.cost <= b.cost ? a : b));
    return { word: e.out, cost: e.cost };
  }

  /** The k cheapest lowercase a-z spellings of a Devanagari word under the rules, cheapest first. */
  romanisations(word: string, k: number): { roman: string; cost: number }[] {
    if (!Number.isInteger(k) || k < 1) throw new Error(`Hindi.romanisations: k must be a positive integer, got ${k}`);
    const w = typeof word === 'string' ? word.trim().normalize('NFC') : '';
    if (!w || !/^[\u0900-\u097F]+$/u.test(w)) throw new Error(`Hindi.romanisations: ${JSON.stringify(word)} is not a Devanagari word`);
    const rules = this.rules.filter((r) => LOWER.test(r.from));
    const n = w.length;
    type Part = { pos: number; phase: Phase; first: boolean; roman: string; cost: number };
    const heap = new Heap<Part>();
    const seen = new Set<string>(), done = new Set<string>();
    const out: { roman: string; cost: number }[] = [];
    heap.push({ pos: 0, phase: Phase.Vowel, first: true, roman: '', cost: 0 });
    for (let pops = 0; heap.size && out.length < k && pops < 50000; pops++) {
      const h = heap.pop();
      const key = `${h.pos},${h.phase},${+h.first},${h.roman}`;
      if (seen.has(key)) continue;
      seen.add(key);
      if (h.pos === n && (h.phase === Phase.Vowel || h.phase === Phase.Consonant)) {
        if (!done.has(h.roman)) { done.add(h.roman); out.push({ roman: h.roman, cost: +h.cost.toFixed(3) }); }
        continue;
      }
      if (h.phase === Phase.Vowel && h.pos > 0 && NASALS.includes(w.charCodeAt(h.pos)) && !NASALS.includes(w.charCodeAt(h.pos - 1))) {
        heap.push({ ...h, pos: h.pos + 1, cost: h.cost + NASAL_OMIT_COST });
      }
      if (h.phase === Phase.Consonant && h.pos < n) {
        heap.push({ ...h, phase: Phase.Schwa, first: false, cost: h.cost + (h.first ? FIRST_SCHWA_DROP_COST : SCHWA_DROP_COST) });
        if (w[h.pos] === VIRAMA) heap.push({ ...h, pos: h.pos + 1, phase: Phase.Virama });
      }
      for (const r of rules) {
        if (!follows(h.phase, r.kind, h.pos === 0) || !w.startsWith(r.to, h.pos)) continue;
        const pos = h.pos + r.to.length;
        heap.push({ pos, phase: r.kind === 'consonant' ? Phase.Consonant : Phase.Vowel, first: h.first && r.kind === 'consonant', roman: h.roman + r.from, cost: h.cost + Hindi.ruleCost(r, pos === n) });
      }
    }
    return out;
  }

  /**
   * Romanised entries for a Latin-keyboard lexicon: the maxWords most likely words, each with its
   * perWord cheapest a-z spellings; cost = word prior + spelling cost. Most likely words first.
   */
  /**
   * romanLexicon grouped by word, for a keyboard trie: each word's cost is its cheapest entry and
   * each a-z spelling carries its difference as `extra`. Most likely words first.
   */
  romanSpellings(maxWords: number, perWord: number): { word: string; cost: number; spellings: { keys: string; extra: number }[] }[] {
    const byWord = new Map<string, { roman: string; cost: number }[]>();
    for (const e of this.romanLexicon(maxWords, perWord)) {
      if (!/^[a-z]+$/.test(e.roman)) continue;
      let l = byWord.get(e.word);
      if (!l) byWord.set(e.word, (l = []));
      l.push(e);
    }
    const out = [...byWord].map(([word, l]) => {
      const cost = Math.min(...l.map((x) => x.cost));
      return { word, cost, spellings: l.map((x) => ({ keys: x.roman, extra: x.cost - cost })) };
    });
    return out.sort((a, b) => a.cost - b.cost);
  }

  romanLexicon(maxWords: number, perWord: number): { roman: string; word: string; cost: number }[] {
    for (const [name, v] of [['maxWords', maxWords], ['perWord', perWord]] as const) {
      if (!Number.isInteger(v) || v < 1) throw new Error(`Hindi.romanLexicon: ${name} must be a positive integer, got ${v}`);
    }
    const out: { roman: string; word: string; cost: number }[] = [];
    for (const { word, cost } of this.words.slice(0, maxWords)) {
      for (const r of this.romanisations(word, perWord)) out.push({ roman: r.roman, word, cost: +(cost + r.cost).toFixed(3) });
    }
    return out;
  }
}

const cache = new Map<string, Hindi>();

/** The Hindi transliterator of models/keyboard/hi (or `dir`), loaded once per directory. */
export function loadHindi(dir: string = DEFAULT_HINDI_DIR): Hindi {
  const key = resolve(dir);
  let h = cache.get(key);
  if (!h) { h = Hindi.load(key); cache.set(key, h); }
  return h;
}
