// Prune by weight threshold (OpenFst Prune, path semirings): keep the arcs, final weights and
// states that lie on a successful path whose weight is within `weight` of the best path
// (best ⊗ threshold); other states are deleted and the rest renumbered in order.
import { VectorFst, NO_STATE, KilnFstError } from './fst.ts';
import { shortestDistance } from './shortest_distance.ts';
import { StateHeap } from './heap.ts';

export interface PruneOptions<W> {
  /** Threshold relative to the best path weight (tropical: keep paths with weight <= best + weight). Default Zero (keep everything reachable on a successful path). */
  weight?: W;
  /** Keep at most this many states (fstprune --nstate; default unlimited). */
  nstate?: number;
  delta?: number;
}

export function prune<W>(f: VectorFst<W>, opts: PruneOptions<W> = {}): VectorFst<W> {
  const sr = f.semiring;
  const less = sr.less?.bind(sr);
  if (!sr.path || !less) throw new KilnFstError(`prune: needs a path semiring (tropical); got ${sr.name}`);
  const g = f.clone();
  const n = g.numStates();
  if (n === 0) return g;
  const threshold = opts.weight ?? sr.zero;
  const nstate = opts.nstate ?? -1;
  const fdist = shortestDistance(g, { reverse: true, delta: opts.delta ?? 1e-6 });
  if (nstate === 0 || g.start === NO_STATE || sr.isZero(fdist[g.start])) { g.deleteStates(); return g; }
  const idist: W[] = new Array(n).fill(sr.zero);
  const visited = new Uint8Array(n);
  const dead = g.addState();
  const limit = sr.times(fdist[g.start], threshold);
  // Min-heap on idist ⊗ fdist.
  const heap = new StateHeap(n, (x, y) => less(sr.times(idist[x], fdist[x]), sr.times(idist[y], fdist[y])));
  let numVisited = 0;
  let s = g.start;
  if (!less(limit, fdist[s])) { idist[s] = sr.one; heap.push(s); numVisited++; }
  while (heap.size) {
    s = heap.pop();
    visited[s] = 1;
    if (less(limit, sr.times(idist[s], g.final(s)))) g.setFinal(s, sr.zero);
    for (const a of g.arcs(s)) {
      if (a.nextstate === dead) continue;
      const w = sr.times(sr.times(idist[s], a.weight), a.nextstate < n ? fdist[a.nextstate] : sr.zero);
      if (less(limit, w)) { a.nextstate = dead; continue; }
      const nw = sr.times(idist[s], a.weight);
      if (less(nw, idist[a.nextstate])) idist[a.nextstate] = nw;
      if (visited[a.nextstate]) continue;
      if (nstate >= 0 && numVisited >= nstate) continue;
      if (!heap.has(a.nextstate)) numVisited++;
      heap.push(a.nextstate);
    }
  }
  const del: number[] = [dead];
  for (let i = 0; i < n; i++) if (!visited[i]) del.push(i);
  del.sort((a, b) => a - b);
  if (del.length === g.numStates()) g.deleteStates(); else g.deleteStates(del);
  return g;
}
