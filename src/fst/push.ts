// Weight pushing (OpenFst Push/Reweight): potentials are the shortest distances to the final
// states (toward the initial state, the default) or from the start (toward the final states).
import { VectorFst, NO_STATE, EPSILON } from './fst.ts';
import { shortestDistance } from './shortest_distance.ts';
import { isInitialAcyclic } from './props.ts';

export interface PushOptions {
  /** Push toward the final states instead of the initial state (fstpush --to_final). */
  toFinal?: boolean;
  /** Remove the total weight (fstpush --remove_total_weight). */
  removeTotalWeight?: boolean;
  /** Shortest-distance convergence delta (default kDelta = 1/1024, as fstpush). */
  delta?: number;
}

/** Reweights f in place with the given potentials (OpenFst Reweight). */
export function reweightInPlace<W>(f: VectorFst<W>, potential: W[], toFinal: boolean): VectorFst<W> {
  const sr = f.semiring;
  const n = f.numStates();
  if (n === 0) return f;
  for (let s = 0; s < n; s++) {
    if (s >= potential.length) { if (toFinal) f.setFinal(s, sr.zero); continue; }
    const ps = potential[s];
    if (!sr.isZero(ps)) {
      for (const a of f.arcs(s)) {
        if (a.nextstate >= potential.length) continue;
        const pn = potential[a.nextstate];
        if (sr.isZero(pn)) continue;
        a.weight = toFinal ? sr.divide(sr.times(ps, a.weight), pn, 'right') : sr.divide(sr.times(a.weight, pn), ps, 'left');
      }
      if (!toFinal) f.setFinal(s, sr.divide(f.final(s), ps, 'left'));
    }
    if (toFinal) f.setFinal(s, sr.times(ps, f.final(s)));
  }
  f.ilabelSorted = f.olabelSorted = false;
  const sw = f.start !== NO_STATE && f.start < potential.length ? potential[f.start] : sr.zero;
  if (!sr.isOne(sw) && !sr.isZero(sw)) {
    const w = toFinal ? sr.divide(sr.one, sw, 'right') : sw;
    if (isInitialAcyclic(f)) {
      const s = f.start;
      for (const a of f.arcs(s)) a.weight = sr.times(w, a.weight);
      f.setFinal(s, sr.times(w, f.final(s)));
    } else {
      const s = f.addState();
      f.addArc(s, { ilabel: EPSILON, olabel: EPSILON, weight: w, nextstate: f.start });
      f.setStart(s);
    }
  }
  return f;
}

/** A copy of f with its weights pushed toward the initial state (default) or the final states. */
export function push<W>(f: VectorFst<W>, opts: PushOptions = {}): VectorFst<W> {
  const sr = f.semiring;
  const g = f.clone();
  if (g.start === NO_STATE) return g;
  const toFinal = !!opts.toFinal;
  const delta = opts.delta ?? 1 / 1024;
  const dist = shortestDistance(g, { reverse: !toFinal, delta });
  let total = sr.zero;
  if (opts.removeTotalWeight) {
    if (!toFinal) total = dist[g.start];
    else for (let s = 0; s < g.numStates(); s++) total = sr.plus(total, sr.times(dist[s], g.final(s)));
  }
  reweightInPlace(g, dist, toFinal);
  if (opts.removeTotalWeight && !sr.isZero(total) && !sr.isOne(total)) {
    if (toFinal) {
      for (let s = 0; s < g.numStates(); s++) if (g.isFinal(s)) g.setFinal(s, sr.divide(g.final(s), total, 'right'));
    } else {
      const inv = sr.divide(sr.one, total, 'left');
      if (isInitialAcyclic(g)) {
        for (const a of g.arcs(g.start)) a.weight = sr.times(inv, a.weight);
        g.setFinal(g.start, sr.times(inv, g.final(g.start)));
      } else {
        const s = g.addState();
        g.addArc(s, { ilabel: EPSILON, olabel: EPSILON, weight: inv, nextstate: g.start });
        g.setStart(s);
      }
    }
  }
  return g;
}
