// Reverse: arcs turned around, a super-initial state 0 with epsilon arcs (the final weights) to
// the old final states, the old start final with One (OpenFst Reverse with require_superinitial).
import { VectorFst, NO_STATE, EPSILON } from './fst.ts';

export function reverse<W>(f: VectorFst<W>): VectorFst<W> {
  const sr = f.semiring;
  const r = new VectorFst<W>(sr);
  r.isymbols = f.isymbols;
  r.osymbols = f.osymbols;
  // As OpenFst, even an FST without a start state reverses to the super-initial state (+ its states).
  r.addStates(f.numStates() + 1);
  r.setStart(0);
  if (f.start !== NO_STATE) r.setFinal(f.start + 1, sr.one);
  for (let s = 0; s < f.numStates(); s++) {
    const w = f.final(s);
    if (!sr.isZero(w)) r.addArc(0, { ilabel: EPSILON, olabel: EPSILON, weight: sr.reverse(w), nextstate: s + 1 });
    for (const a of f.arcs(s)) {
      r.arcs(a.nextstate + 1).push({ ilabel: a.ilabel, olabel: a.olabel, weight: sr.reverse(a.weight), nextstate: s + 1 });
    }
  }
  return r;
}
