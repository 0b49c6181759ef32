// OpenFst AT&T text I/O, as fstcompile reads it and fstprint writes it.
//   arc:   src dst ilabel olabel [weight]      (acceptor: src dst label [weight])
//   final: state [weight]
// Fields are separated by tabs/spaces; blank lines are skipped; the start state is the source of
// the first line; a missing weight is the semiring One; states are numbered in order of first
// mention, as fstcompile does (keepStateNumbering keeps the numbers of the text instead).
import { VectorFst, NO_STATE, KilnFstError } from './fst.ts';
import { TropicalSemiring, type Semiring } from './semiring.ts';
import type { SymbolTable } from './symbols.ts';

export interface ParseOptions<W> {
  semiring?: Semiring<W>;
  /** Name used in error messages (`file:line: ...`). */
  file?: string;
  isymbols?: SymbolTable;
  osymbols?: SymbolTable;
  acceptor?: boolean;
  /** Keep the state ids written in the text (fstcompile --keep_state_numbering). */
  keepStateNumbering?: boolean;
}

export function parseFst<W = number>(text: string, opts: ParseOptions<W> = {}): VectorFst<W> {
  const sr = (opts.semiring ?? TropicalSemiring) as Semiring<W>;
  const file = opts.file ?? '<text>';
  const acceptor = !!opts.acceptor;
  const f = new VectorFst<W>(sr);
  if (opts.isymbols) f.isymbols = opts.isymbols;
  if (opts.osymbols) f.osymbols = opts.osymbols;
  const ids = new Map<number, number>();
  const keep = !!opts.keepStateNumbering;
  let lineNo = 0;
  const fail = (msg: string): never => { throw new KilnFstError(`${file}:${lineNo}: ${msg}`); };
  const state = (tok: string): number => {
    if (!/^\d+$/.test(tok)) fail(`bad state id "${tok}": expected a non-negative integer`);
    const id = Number(tok);
    if (!Number.isSafeInteger(id)) fail(`state id "${tok}" is too large`);
    if (keep) {
      if (id > 50_000_000) fail(`state id ${id} is too large to keep its numbering`);
      while (f.numStates() <= id) f.addState();
      return id;
    }
    let s = ids.get(id);
    if (s === undefined) { s = f.addState(); ids.set(id, s); }
    return s;
  };
  const label = (tok: string, syms: SymbolTable | undefined, side: string): number => {
    if (syms) {
      const k = syms.find(tok);
      if (k < 0) fail(`unknown ${side} symbol "${tok}" (not in the ${side} symbol table${syms.name ? ` ${syms.name}` : ''})`);
      return k;
    }
    if (!/^\d+$/.test(tok) || !Number.isSafeInteger(Number(tok))) fail(`bad ${side} label "${tok}": expected a non-negative integer (or pass a symbol table)`);
    return Number(tok);
  };
  const weight = (tok: string): W => {
    try {
      return sr.parse(tok);
    } catch (e) {
      return fail(`bad weight "${tok}" for the ${sr.name} semiring (${(e as Error).message})`);
    }
  };
  const lines = text.split('\n');
  const arcCols = acceptor ? 3 : 4;
  for (let i = 0; i < lines.length; i++) {
    lineNo = i + 1;
    const raw = lines[i].replace(/\r$/, '');
    const cols = raw.split(/[ \t]+/).filter((c) => c !== '');
    if (cols.length === 0) continue;
    if (cols.length === arcCols || cols.length === arcCols + 1) {
      const src = state(cols[0]);
      if (f.start === NO_STATE) f.setStart(src);
      const dst = state(cols[1]);
      const il = label(cols[2], opts.isymbols, 'input');
      const ol = acceptor ? il : label(cols[3], opts.osymbols, 'output');
      const w = cols.length > arcCols ? weight(cols[arcCols]) : sr.one;
      f.addArc(src, { ilabel: il, olabel: ol, weight: w, nextstate: dst });
    } else if (cols.length === 1 || cols.length === 2) {
      const s = state(cols[0]);
      if (f.start === NO_STATE) f.setStart(s);
      f.setFinal(s, cols.length === 2 ? weight(cols[1]) : sr.one);
    } else {
      fail(`bad number of columns (${cols.length}) in "${raw}": expected ${acceptor ? '"src dst label [weight]"' : '"src dst ilabel olabel [weight]"'} or "state [weight]"`);
    }
  }
  return f;
}

export interface PrintOptions {
  isymbols?: SymbolTable;
  osymbols?: SymbolTable;
  /** Print "src dst label [weight]" (requires ilabel === olabel on every arc). */
  acceptor?: boolean;
  /** Print weights equal to One too (fstprint --show_weight_one). */
  showWeightOne?: boolean;
}

/**
 * fstprint's text: the start state's lines first, then the other states in order; per state its
 * arcs, then "s[\tweight]" when it is final or has no arcs (as fstprint does). Empty FST -> ''.
 */
export function printFst<W>(f: VectorFst<W>, opts: PrintOptions = {}): string {
  const sr = f.semiring;
  const isyms = opts.isymbols ?? f.isymbols;
  const osyms = opts.osymbols ?? f.osymbols;
  const showOne = !!opts.showWeightOne;
  const out: string[] = [];
  const lab = (l: number, syms: SymbolTable | undefined, side: string): string => {
    if (!syms) return String(l);
    const s = syms.symbol(l);
    if (s === undefined) throw new KilnFstError(`printFst: ${side} label ${l} is not in the ${side} symbol table`);
    return s;
  };
  const printState = (s: number) => {
    const arcs = f.arcs(s);
    for (const a of arcs) {
      let line = `${s}\t${a.nextstate}\t${lab(a.ilabel, isyms, 'input')}`;
      if (opts.acceptor) {
        if (a.ilabel !== a.olabel) throw new KilnFstError(`printFst: acceptor output requested but arc ${s} -> ${a.nextstate} has ${a.ilabel}:${a.olabel}`);
      } else {
        line += `\t${lab(a.olabel, osyms, 'output')}`;
      }
      if (showOne || !sr.isOne(a.weight)) line += `\t${sr.toString(a.weight)}`;
      out.push(line);
    }
    const fw = f.final(s);
    if (!sr.isZero(fw) || arcs.length === 0) {
      out.push(showOne || !sr.isOne(fw) ? `${s}\t${sr.toString(fw)}` : `${s}`);
    }
  };
  if (f.start === NO_STATE) return '';
  printState(f.start);
  for (let s = 0; s < f.numStates(); s++) if (s !== f.start) printState(s);
  return out.length ? out.join('\n') + '\n' : '';
}
