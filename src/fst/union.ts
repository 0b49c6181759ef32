// Union, Concat and Closure with OpenFst's constructions (so printed results match fstunion,
// fstconcat and fstclosure state for state).
import { VectorFst, NO_STATE, EPSILON, appendStates, KilnFstError } from './fst.ts';
import { isTopSortedById } from './props.ts';

function sameSemiring<W>(op: string, a: VectorFst<W>, b: VectorFst<W>): void {
  if (a.semiring !== b.semiring) throw new KilnFstError(`${op}: the FSTs have different semirings (${a.semiring.name} and ${b.semiring.name}); convert one first`);
}

/**
 * a ∪ b: b's states are appended after a's; then either an epsilon arc from a's start to b's
 * start, or a new start state with epsilon arcs to both starts. OpenFst 1.7.9 takes the first
 * form only when it knows a's start lies on no cycle, which for an FST read from text is when
 * every arc goes to a higher state id (top-sorted); kiln decides the same way so `kiln fst union`
 * prints what fstunion prints (both forms are equivalent).
 */
export function union<W>(a: VectorFst<W>, b: VectorFst<W>): VectorFst<W> {
  sameSemiring('union', a, b);
  const f = a.clone();
  f.ilabelSorted = f.olabelSorted = false;
  if (b.start === NO_STATE) return f;
  const initialAcyclic = isTopSortedById(f);
  const off = appendStates(f, b);
  const one = f.semiring.one;
  if (f.start === NO_STATE) { f.start = b.start + off; return f; }
  if (initialAcyclic) {
    f.addArc(f.start, { ilabel: EPSILON, olabel: EPSILON, weight: one, nextstate: b.start + off });
  } else {
    const s = f.addState();
    f.addArc(s, { ilabel: EPSILON, olabel: EPSILON, weight: one, nextstate: f.start });
    f.addArc(s, { ilabel: EPSILON, olabel: EPSILON, weight: one, nextstate: b.start + off });
    f.start = s;
  }
  return f;
}

/** a · b: b's states appended; every final state of a gets an epsilon arc (its final weight) to b's start and stops being final. */
export function concat<W>(a: VectorFst<W>, b: VectorFst<W>): VectorFst<W> {
  sameSemiring('concat', a, b);
  const f = a.clone();
  f.ilabelSorted = f.olabelSorted = false;
  if (f.start === NO_STATE) return f;
  const n1 = f.numStates();
  const off = appendStates(f, b);
  const sr = f.semiring;
  for (let s = 0; s < n1; s++) {
    const w = f.final(s);
    if (sr.isZero(w)) continue;
    f.setFinal(s, sr.zero);
    if (b.start !== NO_STATE) f.addArc(s, { ilabel: EPSILON, olabel: EPSILON, weight: w, nextstate: b.start + off });
  }
  return f;
}

export type ClosureType = 'star' | 'plus';

/** a* (default) or a+: epsilon arcs from final states back to the start; star adds a new final start state. */
export function closure<W>(a: VectorFst<W>, type: ClosureType = 'star'): VectorFst<W> {
  const f = a.clone();
  f.ilabelSorted = f.olabelSorted = false;
  const sr = f.semiring;
  const start = f.start;
  if (start !== NO_STATE) {
    for (let s = 0; s < f.numStates(); s++) {
      const w = f.final(s);
      if (!sr.isZero(w)) f.addArc(s, { ilabel: EPSILON, olabel: EPSILON, weight: w, nextstate: start });
    }
  }
  if (type === 'star') {
    const ns = f.addState();
    f.setFinal(ns, sr.one);
    if (start !== NO_STATE) f.addArc(ns, { ilabel: EPSILON, olabel: EPSILON, weight: sr.one, nextstate: start });
    f.start = ns;
  }
  return f;
}
