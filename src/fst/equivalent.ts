// Equivalence of epsilon-free deterministic weighted acceptors, like `fstequivalent`: both are
// trimmed and pushed toward the initial state (after which equivalent deterministic acceptors
// carry the same weights on corresponding arcs), then walked in lockstep from the start states.
// randEquivalent is the `--random` variant for any FSTs.
import { type Arc, EPSILON, KilnFstError, NO_STATE, VectorFst } from './fst.ts';
import { compose } from './compose.ts';
import { randGen } from './randgen.ts';
import { totalWeight } from './shortest_distance.ts';
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

export interface RandEquivalentOptions {
  /** Random paths drawn from each side (default 100). */
  npath?: number;
  seed?: number;
  /** Paths longer than this are redrawn (default 1000). */
  maxLength?: number;
  /** Weights compared with approxEqual(delta) (default kDelta = 1/1024). */
  delta?: number;
}

/**
 * Probabilistic equivalence for any two FSTs (transducers, non-deterministic, with epsilons), like
 * `fstequivalent --random`: paths are drawn uniformly from each side, and for each drawn
 * (input string, output string) the total weight of that pair in a and in b must agree. The
 * weight of a pair is the ⊕ over all paths of x∘f∘y (x, y as linear acceptors). Each check composes
 * with f, so this suits test-sized FSTs.
 */
export function randEquivalent<W>(a: VectorFst<W>, b: VectorFst<W>, opts: RandEquivalentOptions = {}): boolean {
  if (a.semiring.name !== b.semiring.name) throw new KilnFstError(`randEquivalent: semirings differ (${a.semiring.name} vs ${b.semiring.name})`);
  const sr = a.semiring;
  const delta = opts.delta ?? K_DELTA;
  const npath = opts.npath ?? 100;
  const seed = opts.seed ?? 1;
  for (const [k, src] of [a, b].entries()) {
    const paths = src.start === NO_STATE ? [] : labelPaths(randGen(src, { npath, seed: seed + k, maxLength: opts.maxLength ?? 1000 }));
    for (const [x, y] of paths) {
      const wa = pairWeight(a, x, y), wb = pairWeight(b, x, y);
      if (!sr.approxEqual(wa, wb, delta)) return false;
    }
  }
  return true;
}

/** The (input labels, output labels) of each path of randGen's output (chains from the start). */
function labelPaths<W>(p: VectorFst<W>): [number[], number[]][] {
  const out: [number[], number[]][] = [];
  if (p.start === NO_STATE) return out;
  if (p.isFinal(p.start)) out.push([[], []]);
  for (const first of p.arcs(p.start)) {
    const x: number[] = [], y: number[] = [];
    let arc: Arc<W> | undefined = first;
    for (let guard = 0; arc && guard <= p.numStates(); guard++) {
      if (arc.ilabel !== EPSILON) x.push(arc.ilabel);
      if (arc.olabel !== EPSILON) y.push(arc.olabel);
      const s: number = arc.nextstate;
      if (p.isFinal(s) || p.numArcs(s) === 0) break;
      arc = p.arcs(s)[0];
    }
    out.push([x, y]);
  }
  return out;
}

function linear<W>(f: VectorFst<W>, labels: number[]): VectorFst<W> {
  const g = new VectorFst<W>(f.semiring);
  g.setStart(g.addState());
  for (const l of labels) {
    const s = g.addState();
    g.addArc(s - 1, { ilabel: l, olabel: l, weight: f.semiring.one, nextstate: s });
  }
  g.setFinal(g.numStates() - 1);
  return g;
}

function pairWeight<W>(f: VectorFst<W>, x: number[], y: number[]): W {
  return totalWeight(compose(compose(linear(f, x), f), linear(f, y)), K_SHORTEST_DELTA);
}
