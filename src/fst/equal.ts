// Structural equality (OpenFst Equal / fstequal): the same states, start, final weights and arcs
// in the same order, weights equal within delta. For equality of the weighted relations of two
// differently built FSTs use equivalent() instead.
import { VectorFst } from './fst.ts';
import { K_DELTA } from './semiring.ts';

export interface EqualOptions { delta?: number }

/** Why two FSTs differ structurally, or null when they are equal. */
export function fstDifference<W>(a: VectorFst<W>, b: VectorFst<W>, opts: EqualOptions = {}): string | null {
  const delta = opts.delta ?? K_DELTA;
  const sr = a.semiring;
  if (a.semiring.name !== b.semiring.name) return `semirings differ: ${a.semiring.name} vs ${b.semiring.name}`;
  if (a.start !== b.start) return `start states differ: ${a.start} vs ${b.start}`;
  if (a.numStates() !== b.numStates()) return `state counts differ: ${a.numStates()} vs ${b.numStates()}`;
  for (let s = 0; s < a.numStates(); s++) {
    if (!sr.approxEqual(a.final(s), b.final(s), delta)) return `state ${s}: final weights differ: ${sr.toString(a.final(s))} vs ${sr.toString(b.final(s))}`;
    const x = a.arcs(s), y = b.arcs(s);
    if (x.length !== y.length) return `state ${s}: arc counts differ: ${x.length} vs ${y.length}`;
    for (let i = 0; i < x.length; i++) {
      const p = x[i], q = y[i];
      if (p.ilabel !== q.ilabel || p.olabel !== q.olabel || p.nextstate !== q.nextstate || !sr.approxEqual(p.weight, q.weight, delta)) {
        return `state ${s}, arc ${i}: ${p.ilabel}:${p.olabel}/${sr.toString(p.weight)} -> ${p.nextstate} vs ${q.ilabel}:${q.olabel}/${sr.toString(q.weight)} -> ${q.nextstate}`;
      }
    }
  }
  return null;
}

/** True when a and b are the same FST (fstequal): same states, start, finals and arcs in order, weights within delta (default kDelta). */
export function equalFst<W>(a: VectorFst<W>, b: VectorFst<W>, opts: EqualOptions = {}): boolean {
  return fstDifference(a, b, opts) === null;
}
