// Equivalence of epsilon-free deterministic weighted acceptors, like `fstequivalent`: both are
// trimmed and pushed toward the initial state (after which equivalent deterministic acceptors
// carry the same weights on corresponding arcs), then walked in lockstep from the start states.
import { EPSILON, KilnFstError, NO_STATE, VectorFst } from './fst.ts';
import { K_DELTA } from './semiring.ts';
import { connectInPlace } from './connect.ts';
import { K_SHORTEST_DELTA, pushPotentials } from './minimize.ts';

export interface EquivalentOptions { delta?: number }

function requireDetAcceptor<W>(f: VectorFst<W>, which: string): void {
  for (let s = 0; s < f.numStates(); s++) {
    const seen = new Set<number>();
    for (const a of f.arcs(s)) {
      if (a.ilabel !== a.olabel || a.ilabel === EPSILON || seen.has(a.ilabel)) {
        throw new KilnFstError(`equivalent: ${which} argument is not an epsilon-free deterministic acceptor (state ${s}, arc ${a.ilabel}:${a.olabel}); `
          + 'run rmEpsilon and determinize first');
      }
      seen.add(a.ilabel);
    }
  }
}

/** True when a and b accept the same strings with weights equal within delta. */
export function equivalent<W>(a: VectorFst<W>, b: VectorFst<W>, opts: EquivalentOptions = {}): boolean {
  const delta = opts.delta ?? K_DELTA;
  if (a.semiring.name !== b.semiring.name) throw new KilnFstError(`equivalent: semirings differ (${a.semiring.name} vs ${b.semiring.name})`);
  requireDetAcceptor(a, '1st');
  requireDetAcceptor(b, '2nd');
  const sr = a.semiring;
  const ta = connectInPlace(a.clone()), tb = connectInPlace(b.clone());
  const emptyA = ta.start === NO_STATE || ta.numStates() === 0;
  const emptyB = tb.start === NO_STATE || tb.numStates() === 0;
  if (emptyA || emptyB) return emptyA === emptyB;
  const da = pushPotentials(ta, K_SHORTEST_DELTA), db = pushPotentials(tb, K_SHORTEST_DELTA);
  if (!sr.approxEqual(da[ta.start], db[tb.start], delta)) return false;
  const nb = tb.numStates();
  const seen = new Set<number>();
  const stack: number[] = [ta.start, tb.start];
  seen.add(ta.start * nb + tb.start);
  const arcsB = new Map<number, { w: W; next: number }>();
  while (stack.length) {
    const sb = stack.pop()!, sa = stack.pop()!;
    const fa = ta.final(sa), fb = tb.final(sb);
    if (sr.isZero(fa) !== sr.isZero(fb)) return false;
    if (!sr.isZero(fa) && !sr.approxEqual(sr.divide(fa, da[sa], 'left'), sr.divide(fb, db[sb], 'left'), delta)) return false;
    const la = ta.arcs(sa), lb = tb.arcs(sb);
    if (la.length !== lb.length) return false;
    arcsB.clear();
    for (const x of lb) arcsB.set(x.ilabel, { w: sr.divide(sr.times(x.weight, db[x.nextstate]), db[sb], 'left'), next: x.nextstate });
    for (const x of la) {
      const y = arcsB.get(x.ilabel);
      if (!y) return false;
      const wa = sr.divide(sr.times(x.weight, da[x.nextstate]), da[sa], 'left');
      if (!sr.approxEqual(wa, y.w, delta)) return false;
      const key = x.nextstate * nb + y.next;
      if (!seen.has(key)) { seen.add(key); stack.push(x.nextstate, y.next); }
    }
  }
  return true;
}
