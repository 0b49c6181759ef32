// Single-source shortest distance for k-closed semirings (Mohri's generic algorithm): states are
// processed in topological order of their strongly connected components; inside a component in
// order of distance for path semirings (tropical: Dijkstra-like) or first-in-first-out otherwise;
// relaxation stops when an update changes a distance by less than delta (log semiring cycles).
import { VectorFst, NO_STATE, KilnFstError } from './fst.ts';
import { sccs } from './props.ts';
import { reverse } from './reverse.ts';
import { StateHeap } from './heap.ts';

export interface ShortestDistanceOptions {
  /** Distances to the final states (sum over paths from each state to a final state) instead of from the start. */
  reverse?: boolean;
  /** Convergence delta (default 1e-6, fstshortestdistance's default). */
  delta?: number;
  /** Source state (forward only; default the start state). */
  source?: number;
  /** Bound on queue pops before giving up (a negative tropical cycle or a log cycle of weight <= One never converges). */
  maxIterations?: number;
}

/**
 * Shortest distances from the start (or source) to every state, or with reverse from every state
 * to the final states. Returns an array of numStates() weights (Zero where unreachable).
 */
export function shortestDistance<W>(f: VectorFst<W>, opts: ShortestDistanceOptions = {}): W[] {
  const sr = f.semiring;
  const n = f.numStates();
  if (opts.reverse) {
    const r = reverse(f);
    const rd = forwardDistance(r, 0, opts);
    const out: W[] = new Array(n);
    for (let s = 0; s < n; s++) out[s] = sr.reverse(rd[s + 1]);
    return out;
  }
  const source = opts.source ?? f.start;
  if (source === NO_STATE) return new Array(n).fill(sr.zero);
  return forwardDistance(f, source, opts);
}

function forwardDistance<W>(f: VectorFst<W>, source: number, opts: ShortestDistanceOptions): W[] {
  const sr = f.semiring;
  const n = f.numStates();
  const d: W[] = new Array(n).fill(sr.zero);
  if (n === 0 || source === NO_STATE) return d;
  const delta = opts.delta ?? 1e-6;
  const r: W[] = new Array(n).fill(sr.zero);
  const saveStart = f.start;
  f.start = source;
  const { scc } = sccs(f, true);
  f.start = saveStart;
  const keyed = sr.path && typeof (sr.one as unknown) === 'number';
  const dn = d as unknown as number[];
  const order = new Float64Array(n);
  let counter = 0;
  // Lowest SCC first (topological order), then (path semirings) lowest distance, then first come.
  const q = new StateHeap(n, keyed
    ? (x, y) => (scc[x] !== scc[y] ? scc[x] < scc[y] : dn[x] !== dn[y] ? dn[x] < dn[y] : order[x] < order[y])
    : (x, y) => (scc[x] !== scc[y] ? scc[x] < scc[y] : order[x] < order[y]));
  const enqueue = (s: number) => { if (!q.has(s)) order[s] = counter++; q.push(s); };
  let e = 0;
  for (let s = 0; s < n; s++) e += f.numArcs(s);
  const maxPops = opts.maxIterations ?? Math.max(2_000_000, 200 * (n + e));
  d[source] = sr.one;
  r[source] = sr.one;
  enqueue(source);
  let pops = 0;
  while (q.size) {
    const s = q.pop();
    if (++pops > maxPops) {
      throw new KilnFstError(`shortestDistance: no convergence after ${maxPops} state updates (${sr.name} semiring, delta ${delta}): the FST has a cycle that keeps improving distances (a negative-weight cycle in the tropical semiring, or a cycle of weight <= One in the log semiring); remove it or raise maxIterations`);
    }
    const R = r[s];
    r[s] = sr.zero;
    for (const a of f.arcs(s)) {
      const w = sr.times(R, a.weight);
      const nd = sr.plus(d[a.nextstate], w);
      if (!sr.approxEqual(d[a.nextstate], nd, delta)) {
        d[a.nextstate] = nd;
        r[a.nextstate] = sr.plus(r[a.nextstate], w);
        if (!sr.member(nd)) throw new KilnFstError(`shortestDistance: distance of state ${a.nextstate} became ${sr.toString(nd)} (not a valid ${sr.name} weight)`);
        enqueue(a.nextstate);
      }
    }
  }
  return d;
}

/** Sum over all successful paths (the reverse distance of the start state; Zero for an empty FST). */
export function totalWeight<W>(f: VectorFst<W>, delta?: number): W {
  if (f.start === NO_STATE) return f.semiring.zero;
  return shortestDistance(f, { reverse: true, delta })[f.start];
}

/**
 * How many entries fstshortestdistance prints: OpenFst's distance vector grows as states are
 * discovered, so it ends after the highest-numbered reachable (forward) or coaccessible (reverse) state.
 */
export function openFstDistanceLength<W>(f: VectorFst<W>, reverseDir: boolean): number {
  const n = f.numStates();
  if (f.start === NO_STATE || n === 0) return 0;
  const seen = new Uint8Array(n);
  const stack: number[] = [];
  let max = -1;
  if (!reverseDir) {
    seen[f.start] = 1; stack.push(f.start);
    while (stack.length) {
      const s = stack.pop()!;
      if (s > max) max = s;
      for (const a of f.arcs(s)) if (!seen[a.nextstate]) { seen[a.nextstate] = 1; stack.push(a.nextstate); }
    }
  } else {
    const preds: number[][] = Array.from({ length: n }, () => []);
    for (let s = 0; s < n; s++) for (const a of f.arcs(s)) preds[a.nextstate].push(s);
    for (let s = 0; s < n; s++) if (f.isFinal(s)) { seen[s] = 1; stack.push(s); }
    while (stack.length) {
      const s = stack.pop()!;
      if (s > max) max = s;
      for (const p of preds[s]) if (!seen[p]) { seen[p] = 1; stack.push(p); }
    }
  }
  return max + 1;
}
