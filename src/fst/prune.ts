// Prune by weight threshold (OpenFst Prune, path semirings): keep the arcs, final weights and
// states that lie on a successful path whose weight is within `weight` of the best path
// (best ⊗ threshold); other states are deleted and the rest renumbered in order.
import { VectorFst, NO_STATE, KilnFstError } from './fst.ts';
import { shortestDistance } from './shortest_distance.ts';

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
  const inHeap = new Uint8Array(n);
  const dead = g.addState();
  const limit = sr.times(fdist[g.start], threshold);
  // Min-heap on idist ⊗ fdist.
  const heap: number[] = [];
  const key = (s: number) => sr.times(idist[s], fdist[s]);
  const lt = (a: number, b: number) => less(key(a), key(b));
  const up = (i: number) => { while (i > 0) { const p = (i - 1) >> 1; if (!lt(heap[i], heap[p])) break; [heap[i], heap[p]] = [heap[p], heap[i]]; i = p; } };
  const down = (i: number) => { for (;;) { const l = 2 * i + 1, r = l + 1; let m = i; if (l < heap.length && lt(heap[l], heap[m])) m = l; if (r < heap.length && lt(heap[r], heap[m])) m = r; if (m === i) return; [heap[i], heap[m]] = [heap[m], heap[i]]; i = m; } };
  let numVisited = 0;
  let s = g.start;
  if (!less(limit, fdist[s])) { idist[s] = sr.one; heap.push(s); inHeap[s] = 1; numVisited++; }
  while (heap.length) {
    s = heap[0];
    const last = heap.pop()!;
    if (heap.length) { heap[0] = last; down(0); }
    inHeap[s] = 0;
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
      if (!inHeap[a.nextstate]) { heap.push(a.nextstate); inHeap[a.nextstate] = 1; numVisited++; up(heap.length - 1); }
      else { const i = heap.indexOf(a.nextstate); up(i); down(heap.indexOf(a.nextstate)); }
    }
  }
  const del: number[] = [dead];
  for (let i = 0; i < n; i++) if (!visited[i]) del.push(i);
  del.sort((a, b) => a - b);
  if (del.length === g.numStates()) g.deleteStates(); else g.deleteStates(del);
  return g;
}
