// ShortestPath: the single best path (nshortest = 1) or the n best paths (n distinct paths, not
// necessarily distinct strings: OpenFst's unique=false), for path semirings (tropical).
// The result has OpenFst's shape: for n = 1 a chain whose state 0 is the final state and whose
// start is the last state; for n > 1 the tree OpenFst's NShortestPath builds (a start state with an
// epsilon arc into each path, paths sharing their suffixes), trimmed.
import { VectorFst, NO_STATE, EPSILON, KilnFstError, type Arc } from './fst.ts';
import { sccs } from './props.ts';
import { reverse } from './reverse.ts';
import { shortestDistance } from './shortest_distance.ts';
import { connectInPlace } from './connect.ts';
import { StateHeap } from './heap.ts';

export interface ShortestPathOptions<W = number> {
  /** Number of paths (default 1). */
  nshortest?: number;
  /** Distance convergence delta (default 1e-6) and tie tolerance in the n-best heap. */
  delta?: number;
  /** Only paths within this weight of the best (best ⊗ threshold), like fstshortestpath --weight. */
  weightThreshold?: W;
}

function requirePath<W>(op: string, f: VectorFst<W>): NonNullable<VectorFst<W>['semiring']['less']> {
  const less = f.semiring.less;
  if (!f.semiring.path || !less) {
    throw new KilnFstError(`${op}: needs a path semiring (tropical) where one of two weights is always the better; got the ${f.semiring.name} semiring. Map the weights to tropical first`);
  }
  return less.bind(f.semiring);
}

export function shortestPath<W>(f: VectorFst<W>, opts: ShortestPathOptions<W> = {}): VectorFst<W> {
  const n = opts.nshortest ?? 1;
  if (!Number.isInteger(n) || n < 0) throw new KilnFstError(`shortestPath: nshortest must be a non-negative integer, got ${n}`);
  const less = requirePath('shortestPath', f);
  const out = new VectorFst<W>(f.semiring);
  out.isymbols = f.isymbols;
  out.osymbols = f.osymbols;
  if (n === 0 || f.start === NO_STATE) return out;
  if (n === 1) return singleShortestPath(f, out); // as OpenFst: the threshold cannot exclude the best path
  return nShortestPath(f, out, n, opts.delta ?? 1e-6, less, opts.weightThreshold);
}

function singleShortestPath<W>(f: VectorFst<W>, out: VectorFst<W>): VectorFst<W> {
  const sr = f.semiring;
  const ns = f.numStates();
  const { scc } = sccs(f, true);
  const dist: W[] = new Array(ns).fill(sr.zero);
  const parent = new Int32Array(ns).fill(-1);
  const parentArc = new Int32Array(ns).fill(-1);
  // Queue: lowest SCC first (topological), then lowest distance, then first come.
  const order = new Float64Array(ns);
  let counter = 0;
  const less = sr.less!.bind(sr);
  const heap = new StateHeap(ns, (x, y) => {
    if (scc[x] !== scc[y]) return scc[x] < scc[y];
    if (less(dist[x], dist[y])) return true;
    if (less(dist[y], dist[x])) return false;
    return order[x] < order[y];
  });
  const enqueue = (s: number) => { if (!heap.has(s)) order[s] = counter++; heap.push(s); };
  const source = f.start;
  dist[source] = sr.one;
  enqueue(source);
  let fDist = sr.zero;
  let fParent = -1;
  let pops = 0;
  const maxPops = Math.max(2_000_000, 200 * (ns + f.totalArcs()));
  while (heap.size) {
    const s = heap.pop();
    if (++pops > maxPops) throw new KilnFstError('shortestPath: no convergence (a negative-weight cycle?)');
    const sd = dist[s];
    const fw = f.final(s);
    if (!sr.isZero(fw)) {
      const p = sr.plus(fDist, sr.times(sd, fw));
      if (!sr.equal(p, fDist)) { fDist = p; fParent = s; }
    }
    const arcs = f.arcs(s);
    for (let i = 0; i < arcs.length; i++) {
      const a = arcs[i];
      const w = sr.times(sd, a.weight);
      const nd = sr.plus(dist[a.nextstate], w);
      if (!sr.equal(nd, dist[a.nextstate])) {
        dist[a.nextstate] = nd;
        parent[a.nextstate] = s;
        parentArc[a.nextstate] = i;
        enqueue(a.nextstate);
      }
    }
  }
  if (fParent < 0) return out;
  // Backtrace: state 0 of the output is the final state, the start is the last one added.
  let prevOut = -1;
  for (let s = fParent, d = -1; s !== -1; d = s, s = parent[s]) {
    const o = out.addState();
    if (d === -1) out.setFinal(o, f.final(fParent));
    else {
      const a = f.arcs(s)[parentArc[d]];
      out.addArc(o, { ilabel: a.ilabel, olabel: a.olabel, weight: a.weight, nextstate: prevOut });
    }
    prevOut = o;
    if (out.numStates() > ns + 1) throw new KilnFstError('shortestPath: the best path goes around a cycle (a negative-weight cycle?)');
  }
  out.setStart(prevOut);
  return out;
}

// libstdc++'s push_heap / pop_heap, so ties resolve in the same order as OpenFst's heap.
function pushHeap(h: number[], comp: (a: number, b: number) => boolean): void {
  let hole = h.length - 1;
  const value = h[hole];
  let parent = (hole - 1) >> 1;
  while (hole > 0 && comp(h[parent], value)) { h[hole] = h[parent]; hole = parent; parent = (hole - 1) >> 1; }
  h[hole] = value;
}
function popHeap(h: number[], comp: (a: number, b: number) => boolean): void {
  const n = h.length;
  if (n < 2) return;
  const len = n - 1;
  const value = h[len];
  h[len] = h[0];
  let hole = 0;
  let second = 0;
  while (second < Math.floor((len - 1) / 2)) {
    second = 2 * (second + 1);
    if (comp(h[second], h[second - 1])) second--;
    h[hole] = h[second];
    hole = second;
  }
  if ((len & 1) === 0 && second === (len - 2) / 2) {
    second = 2 * (second + 1);
    h[hole] = h[second - 1];
    hole = second - 1;
  }
  let parent = (hole - 1) >> 1;
  while (hole > 0 && comp(h[parent], value)) { h[hole] = h[parent]; hole = parent; parent = (hole - 1) >> 1; }
  h[hole] = value;
}

function nShortestPath<W>(f: VectorFst<W>, out: VectorFst<W>, nshortest: number, delta: number, less: (a: W, b: W) => boolean, threshold?: W): VectorFst<W> {
  const sr = f.semiring;
  // Distances from the start in f, indexed by the states of the reversed FST (state s of f is s + 1; 0 is the super-initial state with the total).
  const fd = shortestDistance(f, { delta });
  const rf = reverse(f);
  let total = sr.zero;
  for (const a of rf.arcs(0)) total = sr.plus(total, sr.times(sr.reverse(a.weight), fd[a.nextstate - 1]));
  const distance: W[] = [total, ...fd];
  const SUPERFINAL = -1;
  const pairState: number[] = [];
  const pairWeight: W[] = [];
  const pw = (s: number): W => (s === SUPERFINAL ? sr.one : s < distance.length ? distance[s] : sr.zero);
  const comp = (x: number, y: number): boolean => {
    const px = pairState[x], py = pairState[y];
    const wx = sr.times(pw(px), pairWeight[x]);
    const wy = sr.times(pw(py), pairWeight[y]);
    if (px === SUPERFINAL && py !== SUPERFINAL) return less(wy, wx) || sr.approxEqual(wx, wy, delta);
    if (py === SUPERFINAL && px !== SUPERFINAL) return less(wy, wx) && !sr.approxEqual(wx, wy, delta);
    return less(wy, wx);
  };
  const limit = threshold === undefined ? sr.zero : sr.times(total, threshold);
  out.setStart(out.addState());
  const finalState = out.addState();
  out.setFinal(finalState, sr.one);
  pairState[0] = -2; pairWeight[0] = sr.zero;
  pairState[finalState] = rf.start; pairWeight[finalState] = sr.one;
  const heap: number[] = [finalState];
  const r = new Map<number, number>();
  while (heap.length) {
    popHeap(heap, comp);
    const state = heap.pop()!;
    const ps = pairState[state];
    const pwt = pairWeight[state];
    const d = pw(ps);
    if (threshold !== undefined && less(limit, sr.times(d, pwt))) continue;
    const k = (r.get(ps) ?? 0) + 1;
    r.set(ps, k);
    if (ps === SUPERFINAL) out.addArc(out.start, { ilabel: EPSILON, olabel: EPSILON, weight: sr.one, nextstate: state });
    if (ps === SUPERFINAL && k === nshortest) break;
    if (k > nshortest) continue;
    if (ps === SUPERFINAL) continue;
    for (const ra of rf.arcs(ps)) {
      const arc: Arc<W> = { ilabel: ra.ilabel, olabel: ra.olabel, weight: sr.reverse(ra.weight), nextstate: state };
      const next = out.addState();
      pairState[next] = ra.nextstate;
      pairWeight[next] = sr.times(pwt, arc.weight);
      out.addArc(next, arc);
      heap.push(next);
      pushHeap(heap, comp);
    }
    const fw = sr.reverse(rf.final(ps));
    if (!sr.isZero(fw)) {
      const next = out.addState();
      pairState[next] = SUPERFINAL;
      pairWeight[next] = sr.times(pwt, fw);
      out.addArc(next, { ilabel: EPSILON, olabel: EPSILON, weight: fw, nextstate: state });
      heap.push(next);
      pushHeap(heap, comp);
    }
  }
  return connectInPlace(out);
}

/** The n best paths as label sequences (epsilons dropped) with their weights, best first. */
export function nBestStrings<W>(f: VectorFst<W>, n: number): { ilabels: number[]; olabels: number[]; weight: W }[] {
  const p = shortestPath(f, { nshortest: n });
  const sr = f.semiring;
  const res: { ilabels: number[]; olabels: number[]; weight: W }[] = [];
  if (p.start === NO_STATE) return res;
  const walk = (s: number, il: number[], ol: number[], w: W, depth: number) => {
    if (depth > p.numStates()) throw new KilnFstError('nBestStrings: cycle in the shortest-path tree');
    const fw = p.final(s);
    if (!sr.isZero(fw)) res.push({ ilabels: il.slice(), olabels: ol.slice(), weight: sr.times(w, fw) });
    for (const a of p.arcs(s)) {
      if (a.ilabel) il.push(a.ilabel);
      if (a.olabel) ol.push(a.olabel);
      walk(a.nextstate, il, ol, sr.times(w, a.weight), depth + 1);
      if (a.ilabel) il.pop();
      if (a.olabel) ol.pop();
    }
  };
  walk(p.start, [], [], sr.one, 0);
  const less = f.semiring.less!;
  return res.sort((a, b) => (less(a.weight, b.weight) ? -1 : less(b.weight, a.weight) ? 1 : 0));
}
