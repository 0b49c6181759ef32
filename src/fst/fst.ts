// A mutable vector FST with OpenFst's conventions: dense state ids 0..N-1, label 0 = epsilon,
// NO_STATE = -1, a final weight per state (semiring Zero = not final).
import type { Semiring } from './semiring.ts';
import type { SymbolTable } from './symbols.ts';
import { KilnFstError } from './errors.ts';

export { KilnFstError };
export const EPSILON = 0;
export const NO_STATE = -1;

export interface Arc<W = number> {
  ilabel: number;
  olabel: number;
  weight: W;
  nextstate: number;
}

export class VectorFst<W = number> {
  readonly semiring: Semiring<W>;
  start: number = NO_STATE;
  isymbols?: SymbolTable;
  osymbols?: SymbolTable;
  ilabelSorted = false;
  olabelSorted = false;
  private finals: W[] = [];
  private arcLists: Arc<W>[][] = [];

  constructor(semiring: Semiring<W>) {
    this.semiring = semiring;
  }

  private touched(): void {
    this.ilabelSorted = false;
    this.olabelSorted = false;
  }

  private check(s: number, what: string): void {
    if (!(s >= 0 && s < this.finals.length && Number.isInteger(s))) {
      throw new KilnFstError(`${what}: state ${s} does not exist (the FST has ${this.finals.length} states, ids 0..${this.finals.length - 1})`);
    }
  }

  addState(): number {
    this.finals.push(this.semiring.zero);
    this.arcLists.push([]);
    return this.finals.length - 1;
  }

  addStates(n: number): void {
    for (let i = 0; i < n; i++) this.addState();
  }

  numStates(): number {
    return this.finals.length;
  }

  setStart(s: number): void {
    if (s !== NO_STATE) this.check(s, 'setStart');
    this.start = s;
  }

  /** w defaults to One; setFinal(s, Zero) makes s non-final. */
  setFinal(s: number, w: W = this.semiring.one): void {
    this.check(s, 'setFinal');
    this.finals[s] = w;
  }

  final(s: number): W {
    return this.finals[s];
  }

  isFinal(s: number): boolean {
    return !this.semiring.isZero(this.finals[s]);
  }

  addArc(s: number, arc: Arc<W>): void {
    this.check(s, 'addArc');
    this.arcLists[s].push(arc);
    this.touched();
  }

  /** The live arc array of s (algorithms may sort or mutate it in place). */
  arcs(s: number): Arc<W>[] {
    return this.arcLists[s];
  }

  setArcs(s: number, arcs: Arc<W>[]): void {
    this.check(s, 'setArcs');
    this.arcLists[s] = arcs;
    this.touched();
  }

  numArcs(s: number): number {
    return this.arcLists[s].length;
  }

  numInputEpsilons(s: number): number {
    let n = 0;
    for (const a of this.arcLists[s]) if (a.ilabel === EPSILON) n++;
    return n;
  }

  numOutputEpsilons(s: number): number {
    let n = 0;
    for (const a of this.arcLists[s]) if (a.olabel === EPSILON) n++;
    return n;
  }

  deleteArcs(s: number): void {
    this.check(s, 'deleteArcs');
    this.arcLists[s] = [];
  }

  /** No argument: delete everything. Otherwise delete the given states, renumbering the rest densely in order and dropping arcs into deleted states. */
  deleteStates(states?: number[]): void {
    this.touched();
    if (states === undefined) {
      this.finals = [];
      this.arcLists = [];
      this.start = NO_STATE;
      return;
    }
    const n = this.finals.length;
    const map = new Int32Array(n);
    for (const s of states) { this.check(s, 'deleteStates'); map[s] = -1; }
    let next = 0;
    for (let s = 0; s < n; s++) if (map[s] !== -1) map[s] = next++;
    const finals: W[] = [];
    const lists: Arc<W>[][] = [];
    for (let s = 0; s < n; s++) {
      if (map[s] === -1) continue;
      finals.push(this.finals[s]);
      const kept: Arc<W>[] = [];
      for (const a of this.arcLists[s]) {
        const d = map[a.nextstate];
        if (d !== -1) kept.push(d === a.nextstate ? a : { ...a, nextstate: d });
      }
      lists.push(kept);
    }
    this.finals = finals;
    this.arcLists = lists;
    this.start = this.start === NO_STATE ? NO_STATE : map[this.start];
  }

  *states(): Iterable<number> {
    for (let s = 0; s < this.finals.length; s++) yield s;
  }

  /** Deep copy (arcs are copied; weights are shared, they are immutable values). */
  clone(): VectorFst<W> {
    const f = new VectorFst<W>(this.semiring);
    f.start = this.start;
    f.isymbols = this.isymbols;
    f.osymbols = this.osymbols;
    f.finals = this.finals.slice();
    f.arcLists = this.arcLists.map((l) => l.map((a) => ({ ...a })));
    f.ilabelSorted = this.ilabelSorted;
    f.olabelSorted = this.olabelSorted;
    return f;
  }

  totalArcs(): number {
    let n = 0;
    for (const l of this.arcLists) n += l.length;
    return n;
  }
}

/** True when every arc has ilabel === olabel. */
export function isAcceptor<W>(f: VectorFst<W>): boolean {
  for (let s = 0; s < f.numStates(); s++) for (const a of f.arcs(s)) if (a.ilabel !== a.olabel) return false;
  return true;
}

/** OpenFst's Verify: every arc points at an existing state, labels are non-negative integers, weights are members. Throws KilnFstError naming the first problem. */
export function verifyFst<W>(f: VectorFst<W>, what = 'fst'): void {
  const n = f.numStates();
  if (f.start !== NO_STATE && !(f.start >= 0 && f.start < n)) throw new KilnFstError(`${what}: start state ${f.start} does not exist (${n} states)`);
  const sr = f.semiring;
  for (let s = 0; s < n; s++) {
    if (!sr.member(f.final(s))) throw new KilnFstError(`${what}: state ${s} has an invalid final weight ${sr.toString(f.final(s))}`);
    for (const a of f.arcs(s)) {
      if (!(a.nextstate >= 0 && a.nextstate < n && Number.isInteger(a.nextstate))) {
        throw new KilnFstError(`${what}: arc ${s} -> ${a.nextstate} (${a.ilabel}:${a.olabel}) points at a missing state (${n} states)`);
      }
      if (!(Number.isInteger(a.ilabel) && a.ilabel >= 0 && Number.isInteger(a.olabel) && a.olabel >= 0)) {
        throw new KilnFstError(`${what}: arc ${s} -> ${a.nextstate} has bad labels ${a.ilabel}:${a.olabel} (expected non-negative integers)`);
      }
      if (!sr.member(a.weight)) throw new KilnFstError(`${what}: arc ${s} -> ${a.nextstate} has an invalid weight ${sr.toString(a.weight)}`);
    }
  }
}

/** Copies states/arcs/finals of src into dst (appending); returns the offset of src's state 0 in dst. */
export function appendStates<W>(dst: VectorFst<W>, src: VectorFst<W>): number {
  const off = dst.numStates();
  dst.addStates(src.numStates());
  for (let s = 0; s < src.numStates(); s++) {
    const fw = src.final(s);
    if (!src.semiring.isZero(fw)) dst.setFinal(off + s, fw);
    for (const a of src.arcs(s)) dst.addArc(off + s, { ilabel: a.ilabel, olabel: a.olabel, weight: a.weight, nextstate: a.nextstate + off });
  }
  return off;
}
