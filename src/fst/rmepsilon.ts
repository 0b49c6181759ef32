// Epsilon removal as OpenFst's RmEpsilon: for each state, the semiring shortest distance over its
// epsilon closure (arcs with ilabel = olabel = 0) replaces the epsilon paths; the non-epsilon arcs
// and final weights of the closure are pulled back with that distance, and arcs that end up with
// the same (ilabel, olabel, nextstate) are summed. The result is trimmed (connect).
import { type Arc, EPSILON, KilnFstError, NO_STATE, VectorFst } from './fst.ts';
import { connectInPlace } from './connect.ts';
import { K_SHORTEST_DELTA } from './minimize.ts';

export interface RmEpsilonOptions {
  /** Convergence delta of the closure distances (default 1e-6 = kShortestDelta, as fstrmepsilon --delta). */
  delta?: number;
  /** Trim states not on a successful path (default true, like fstrmepsilon). */
  connect?: boolean;
}

const isEps = (a: Arc<unknown>) => a.ilabel === EPSILON && a.olabel === EPSILON;

export function rmEpsilon<W>(f: VectorFst<W>, opts: RmEpsilonOptions = {}): VectorFst<W> {
  const delta = opts.delta ?? K_SHORTEST_DELTA;
  const sr = f.semiring;
  const n = f.numStates();
  const out = new VectorFst<W>(sr);
  out.isymbols = f.isymbols; out.osymbols = f.osymbols;
  if (f.start === NO_STATE) return out;
  out.addStates(n);
  out.setStart(f.start);

  // Only the start state and targets of non-epsilon arcs survive; the others lose every way in.
  const needed = new Uint8Array(n);
  needed[f.start] = 1;
  for (let s = 0; s < n; s++) {
    for (const a of f.arcs(s)) {
      if (!isEps(a)) needed[a.nextstate] = 1;
    }
  }

  // Closure scratch space, reset per source through the visited list.
  const dist: W[] = new Array(n).fill(sr.zero);
  const resid: W[] = new Array(n).fill(sr.zero);
  const inQueue = new Uint8Array(n);
  const seen = new Uint8Array(n);
  const visited: number[] = [];
  const queue: number[] = [];
  const maxRelax = 64 * (n + f.totalArcs()) + 1_000_000;

  for (let s = 0; s < n; s++) {
    if (!needed[s] && opts.connect !== false) continue;
    dist[s] = sr.one; resid[s] = sr.one; seen[s] = 1; visited.push(s);
    queue.push(s); inQueue[s] = 1;
    let relax = 0;
    for (let qi = 0; qi < queue.length; qi++) {
      const q = queue[qi];
      inQueue[q] = 0;
      const r = resid[q];
      resid[q] = sr.zero;
      for (const a of f.arcs(q)) {
        if (!isEps(a)) continue;
        const t = a.nextstate;
        if (!seen[t]) { seen[t] = 1; visited.push(t); }
        const w = sr.times(r, a.weight);
        const nd = sr.plus(dist[t], w);
        if (!sr.approxEqual(dist[t], nd, delta)) {
          dist[t] = nd;
          resid[t] = sr.plus(resid[t], w);
          if (!inQueue[t]) { inQueue[t] = 1; queue.push(t); }
        }
        if (++relax > maxRelax) {
          throw new KilnFstError(`rmepsilon: the epsilon-closure distances of state ${s} do not converge (a negative-weight epsilon cycle?); the ${sr.name} semiring needs epsilon cycles of non-negative weight`);
        }
      }
    }
    queue.length = 0;

    let final = sr.zero;
    const arcs: Arc<W>[] = [];
    const index = new Map<string, number>();
    for (const q of visited) {
      const d = dist[q];
      if (sr.isZero(d)) continue;
      const fq = f.final(q);
      if (!sr.isZero(fq)) final = sr.plus(final, sr.times(d, fq));
      for (const a of f.arcs(q)) {
        if (isEps(a)) continue;
        const w = sr.times(d, a.weight);
        const key = `${a.ilabel},${a.olabel},${a.nextstate}`;
        const at = index.get(key);
        if (at === undefined) {
          index.set(key, arcs.length);
          arcs.push({ ilabel: a.ilabel, olabel: a.olabel, weight: w, nextstate: a.nextstate });
        } else arcs[at].weight = sr.plus(arcs[at].weight, w);
      }
    }
    for (const q of visited) { dist[q] = sr.zero; resid[q] = sr.zero; seen[q] = 0; }
    visited.length = 0;
    out.setFinal(s, final);
    out.setArcs(s, arcs);
  }
  return opts.connect === false ? out : connectInPlace(out);
}
