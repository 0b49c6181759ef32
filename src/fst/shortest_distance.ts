// Single-source shortest distance for k-closed semirings (Mohri's generic algorithm): states are
// processed in topological order of their strongly connected components; inside a component in
// order of distance for path semirings (tropical: Dijkstra-like) or first-in-first-out otherwise;
// relaxation stops when an update changes a distance by less than delta (log semiring cycles).
import { VectorFst, NO_STATE, KilnFstError } from './fst.ts';
import { sccs } from './props.ts';
import { reverse } from './reverse.ts';

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

/** A min-heap of states keyed by (scc, key, order), with lazy deletion. */
class StateQueue {
  private heap: number[] = []; // entry ids
  private eState: number[] = [];
  private eScc: number[] = [];
  private eKey: number[] = [];
  private eOrd: number[] = [];
  private live: Int32Array; // latest entry id per state, -1 = not queued
  private counter = 0;
  constructor(n: number) { this.live = new Int32Array(n).fill(-1); }
  get empty(): boolean { return this.heap.length === 0; }
  queued(s: number): boolean { return this.live[s] !== -1; }
  private less(a: number, b: number): boolean {
    if (this.eScc[a] !== this.eScc[b]) return this.eScc[a] < this.eScc[b];
    if (this.eKey[a] !== this.eKey[b]) return this.eKey[a] < this.eKey[b];
    return this.eOrd[a] < this.eOrd[b];
  }
  /** Enqueue s, or update its key when already queued. */
  push(s: number, scc: number, key: number): void {
    const prev = this.live[s];
    const ord = prev === -1 ? this.counter++ : this.eOrd[prev];
    const id = this.eState.length;
    this.eState.push(s); this.eScc.push(scc); this.eKey.push(key); this.eOrd.push(ord);
    this.live[s] = id;
    const h = this.heap;
    h.push(id);
    let i = h.length - 1;
    while (i > 0) {
      const p = (i - 1) >> 1;
      if (!this.less(h[i], h[p])) break;
      [h[i], h[p]] = [h[p], h[i]]; i = p;
    }
  }
  pop(): number {
    for (;;) {
      const h = this.heap;
      const top = h[0];
      const last = h.pop()!;
      if (h.length) {
        h[0] = last;
        let i = 0;
        for (;;) {
          const l = 2 * i + 1, r = l + 1;
          let m = i;
          if (l < h.length && this.less(h[l], h[m])) m = l;
          if (r < h.length && this.less(h[r], h[m])) m = r;
          if (m === i) break;
          [h[i], h[m]] = [h[m], h[i]]; i = m;
        }
      }
      const s = this.eState[top];
      if (this.live[s] === top) { this.live[s] = -1; return s; }
      if (!h.length) return -1;
    }
  }
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
  const key = (w: W) => (keyed ? (w as unknown as number) : 0);
  let e = 0;
  for (let s = 0; s < n; s++) e += f.numArcs(s);
  const maxPops = opts.maxIterations ?? Math.max(2_000_000, 200 * (n + e));
  const q = new StateQueue(n);
  d[source] = sr.one;
  r[source] = sr.one;
  q.push(source, scc[source], key(sr.one));
  let pops = 0;
  while (!q.empty) {
    const s = q.pop();
    if (s < 0) break;
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
        q.push(a.nextstate, scc[a.nextstate], key(nd));
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
