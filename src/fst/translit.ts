// Weighted character-mapping (transliteration) transducers from a rule table, as in the Gboard
// post's Indic keyboards: Latin key sequences to native-script character sequences. Composing
// `typed ∘ T ∘ lexicon` and taking the shortest path picks the most likely native word.
import { KilnFstError } from './errors.ts';
import { EPSILON, VectorFst } from './fst.ts';
import { TropicalSemiring, type Semiring } from './semiring.ts';
import { SymbolTable } from './symbols.ts';
import { keySymbol } from './lexicon.ts';

export interface TranslitRule {
  /** Input characters (one or more; e.g. 'th'). */
  from: string;
  /** Output characters (zero or more; e.g. 'थ', or '' to drop an inherent vowel). */
  to: string;
  /** Cost of using the rule (default One). */
  weight?: number;
}

export interface TranslitOptions {
  semiring?: Semiring<number>;
  /** Input (key) symbols; default a new table: <eps> = 0 then the rule input characters in code-point order. Given: characters missing from it are added. */
  inputSymbols?: SymbolTable;
  /** Output symbols; default a new table of the rule output characters. Given: characters missing from it are added. */
  outputSymbols?: SymbolTable;
}

function table(given: SymbolTable | undefined, name: string, strings: string[]): SymbolTable {
  const t = given ?? new SymbolTable(name);
  if (t.find('<eps>') === -1 && t.symbol(0) === undefined) t.addSymbol('<eps>', 0);
  const chars = new Set<string>();
  for (const s of strings) for (const c of s) chars.add(c);
  for (const c of [...chars].sort()) if (t.find(keySymbol(c)) === -1) t.addSymbol(keySymbol(c));
  return t;
}

/**
 * The closure of the rules: one hub state (start and final); each rule is a path hub -> hub that
 * reads `from` and writes `to` one character per arc, aligned left (the shorter side padded with
 * epsilons), its weight on the arc back to the hub. Rule paths are merged as a prefix tree over
 * (input, output) pairs. Errors (KilnFstError): no rules, an empty `from` (it would emit output
 * without reading input: an epsilon-input cycle), a non-numeric weight, a duplicate rule.
 */
export function buildTransliterator(rules: readonly TranslitRule[], opts: TranslitOptions = {}): VectorFst<number> {
  const sr = opts.semiring ?? TropicalSemiring;
  if (rules.length === 0) throw new KilnFstError('buildTransliterator: the rule table is empty');
  const seen = new Set<string>();
  rules.forEach((r, i) => {
    if (typeof r.from !== 'string' || r.from.length === 0) throw new KilnFstError(`buildTransliterator: rule ${i} (${JSON.stringify(r)}) has an empty 'from': every rule must read at least one character`);
    if (typeof r.to !== 'string') throw new KilnFstError(`buildTransliterator: rule ${i} ('${r.from}') has no 'to' string (use '' to delete)`);
    if (r.weight !== undefined && !(typeof r.weight === 'number' && sr.member(r.weight) && Number.isFinite(r.weight))) {
      throw new KilnFstError(`buildTransliterator: rule ${i} ('${r.from}' -> '${r.to}') has a bad weight ${r.weight} (expected a finite number)`);
    }
    const k = `${r.from}\u0000${r.to}`;
    if (seen.has(k)) throw new KilnFstError(`buildTransliterator: rule ${i} ('${r.from}' -> '${r.to}') is listed twice`);
    seen.add(k);
  });
  const isyms = table(opts.inputSymbols, 'latin', rules.map((r) => r.from));
  const osyms = table(opts.outputSymbols, 'native', rules.map((r) => r.to));
  const fst = new VectorFst<number>(sr);
  const hub = fst.addState();
  fst.setStart(hub);
  fst.setFinal(hub);
  const edges = new Map<string, number>(); // `${state} ${i}:${o}` -> state
  for (const r of rules) {
    const ins = [...r.from].map((c) => isyms.find(keySymbol(c)));
    const outs = [...r.to].map((c) => osyms.find(keySymbol(c)));
    const len = Math.max(ins.length, outs.length);
    let s = hub;
    for (let j = 0; j < len; j++) {
      const il = ins[j] ?? EPSILON;
      const ol = outs[j] ?? EPSILON;
      if (j === len - 1) {
        fst.addArc(s, { ilabel: il, olabel: ol, weight: sr.times(sr.one, r.weight ?? sr.one), nextstate: hub });
        break;
      }
      const k = `${s} ${il}:${ol}`;
      let t = edges.get(k);
      if (t === undefined) {
        t = fst.addState();
        edges.set(k, t);
        fst.addArc(s, { ilabel: il, olabel: ol, weight: sr.one, nextstate: t });
      }
      s = t;
    }
  }
  fst.isymbols = isyms;
  fst.osymbols = osyms;
  return fst;
}

/** A prefix-tree acceptor of whole strings over their characters (e.g. the native-script words a transliteration may produce); optional cost per string. */
export function stringsAcceptor(strings: Iterable<string | { text: string; weight?: number }>, symbols: SymbolTable, opts: { semiring?: Semiring<number> } = {}): VectorFst<number> {
  const sr = opts.semiring ?? TropicalSemiring;
  const fst = new VectorFst<number>(sr);
  fst.setStart(fst.addState());
  const edges = new Map<string, number>();
  let n = 0;
  for (const item of strings) {
    const { text, weight } = typeof item === 'string' ? { text: item, weight: undefined } : item;
    n++;
    let s = fst.start;
    for (const c of text) {
      const l = symbols.find(keySymbol(c));
      if (l === -1 || l === EPSILON) throw new KilnFstError(`stringsAcceptor: character '${c}' of ${JSON.stringify(text)} is not in the symbol table`);
      const k = `${s} ${l}`;
      let t = edges.get(k);
      if (t === undefined) {
        t = fst.addState();
        edges.set(k, t);
        fst.addArc(s, { ilabel: l, olabel: l, weight: sr.one, nextstate: t });
      }
      s = t;
    }
    const w = sr.times(sr.one, weight ?? sr.one);
    fst.setFinal(s, fst.isFinal(s) ? sr.plus(fst.final(s), w) : w);
  }
  if (n === 0) throw new KilnFstError('stringsAcceptor: no strings given');
  fst.isymbols = symbols;
  fst.osymbols = symbols;
  return fst;
}
