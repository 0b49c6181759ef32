// Composition with OpenFst's default sequence filter, so epsilon paths are counted once and the
// result is the one `fstcompose` builds: with B ilabel-sorted, the same text (states and arcs in
// the same order); otherwise the same states and arcs, possibly in another order.
//
// A composed state is (s1, s2, f). Filter state f = 0: A may still take an output-epsilon move on
// its own; f = 1: B has taken an input-epsilon move on its own, so A may not (that ordering
// is what removes the duplicate epsilon paths). Matching eps:eps pairs directly is forbidden for
// the same reason. B's arcs are searched by binary search on input label (each state's arcs are
// sorted on first use when they are not already), so neither input needs to be arc-sorted by the
// caller and a lazy composition costs nothing up front; when A is olabel-sorted, states where A
// has more arcs walk B and search A instead.
import { type Arc, EPSILON, KilnFstError, NO_STATE, VectorFst } from './fst.ts';
import type { Semiring } from './semiring.ts';

export interface ComposeOptions { connect?: boolean }

function isSorted<W>(f: VectorFst<W>, side: 'ilabel' | 'olabel'): boolean {
  for (let s = 0; s < f.numStates(); s++) {
    const arcs = f.arcs(s);
    for (let i = 1; i < arcs.length; i++) if (arcs[i - 1][side] > arcs[i][side]) return false;
  }
  return true;
}

/** Open-addressing hash table (s1, s2') -> id on typed arrays: no boxed keys, no per-entry objects. */
class TripleTable {
  private keyA = new Int32Array(1 << 12).fill(-1);
  private keyB = new Int32Array(1 << 12);
  private val = new Int32Array(1 << 12);
  private mask = (1 << 12) - 1;
  private size = 0;

  private static hash(a: number, b: number): number {
    let h = Math.imul(a, 0x9e3779b1) ^ Math.imul(b + 0x7f4a7c15, 0x85ebca77);
    h ^= h >>> 15;
    return Math.imul(h, 0x2c1b3c6d);
  }

  /** The id stored for (a, b), or `fresh` after storing it. */
  getOrAdd(a: number, b: number, fresh: number): number {
    let i = TripleTable.hash(a, b) & this.mask;
    const ka = this.keyA, kb = this.keyB;
    for (;;) {
      const x = ka[i];
      if (x === -1) break;
      if (x === a && kb[i] === b) return this.val[i];
      i = (i + 1) & this.mask;
    }
    ka[i] = a; kb[i] = b; this.val[i] = fresh;
    if (++this.size * 2 > this.mask) this.grow();
    return fresh;
  }

  private grow(): void {
    const { keyA, keyB, val } = this;
    const cap = keyA.length * 2;
    this.keyA = new Int32Array(cap).fill(-1);
    this.keyB = new Int32Array(cap);
    this.val = new Int32Array(cap);
    this.mask = cap - 1;
    for (let j = 0; j < keyA.length; j++) {
      if (keyA[j] === -1) continue;
      let i = TripleTable.hash(keyA[j], keyB[j]) & this.mask;
      while (this.keyA[i] !== -1) i = (i + 1) & this.mask;
      this.keyA[i] = keyA[j]; this.keyB[i] = keyB[j]; this.val[i] = val[j];
    }
  }
}

/**
 * On-the-fly composition: states are created as they are reached and their arcs computed on the
 * first `arcs(s)` call (then cached), so a beam search can walk A∘B without building all of it.
 */
export class LazyCompose<W = number> {
  readonly semiring: Semiring<W>;
  /** NO_STATE when either input is empty. */
  readonly start: number;
  private readonly a: VectorFst<W>;
  private readonly bFst: VectorFst<W>;
  /** 0: walk A, search B; 2: per state, walk the side with fewer arcs (A is olabel-sorted). */
  private readonly mode: 0 | 2;
  /** B's arcs per state sorted by input label, made on first use (the original array when sorted). */
  private readonly bSorted: (Arc<W>[] | undefined)[] = [];
  private readonly bLabels: Int32Array[] = [];
  private readonly ids = new TripleTable();
  private tuples: Int32Array = new Int32Array(3 * 1024);
  private count = 0;
  private readonly expanded: (Arc<W>[] | undefined)[] = [];

  constructor(a: VectorFst<W>, b: VectorFst<W>) {
    if (a.semiring.name !== b.semiring.name) {
      throw new KilnFstError(`compose: semirings differ (${a.semiring.name} vs ${b.semiring.name}); convert one side first`);
    }
    this.semiring = a.semiring;
    this.a = a;
    this.bFst = b;
    // Which side to walk and which to search. The arcs are the same either way, only their order
    // differs. As OpenFst: B ilabel-sorted and A not olabel-sorted: walk A, search B; both sorted:
    // per state, walk the side with fewer arcs. When only A is sorted OpenFst walks B everywhere,
    // which is slow where B has many arcs (a unigram state); kiln searches its sorted copy of B
    // there instead, so then its arc order can differ from fstcompose's.
    this.mode = isSorted(a, 'olabel') ? 2 : 0;
    this.start = a.start === NO_STATE || b.start === NO_STATE ? NO_STATE : this.stateId(a.start, b.start, 0);
  }

  /** Number of composed states discovered so far. */
  numStates(): number { return this.count; }

  /** The (stateA, stateB, filterState) triple behind a composed state. */
  tuple(s: number): [number, number, number] {
    return [this.tuples[3 * s], this.tuples[3 * s + 1], this.tuples[3 * s + 2]];
  }

  final(s: number): W {
    const t = this.tuples;
    const fa = this.a.final(t[3 * s]);
    const sr = this.semiring;
    if (sr.isZero(fa)) return sr.zero;
    return sr.times(fa, this.bFst.final(t[3 * s + 1]));
  }

  arcs(s: number): Arc<W>[] {
    let out = this.expanded[s];
    if (out === undefined) { out = this.expand(s); this.expanded[s] = out; }
    return out;
  }

  private stateId(s1: number, s2: number, fs: number): number {
    const id = this.ids.getOrAdd(s1, 2 * s2 + fs, this.count);
    if (id === this.count) {
      this.count++;
      if (3 * this.count > this.tuples.length) {
        const t = new Int32Array(this.tuples.length * 2);
        t.set(this.tuples);
        this.tuples = t;
      }
      this.tuples[3 * id] = s1; this.tuples[3 * id + 1] = s2; this.tuples[3 * id + 2] = fs;
    }
    return id;
  }

  private sortedB(s2: number): Arc<W>[] {
    let arcs = this.bSorted[s2];
    if (arcs === undefined) {
      arcs = this.bFst.arcs(s2);
      for (let i = 1; i < arcs.length; i++) {
        if (arcs[i - 1].ilabel > arcs[i].ilabel) { arcs = arcs.slice().sort((x, y) => x.ilabel - y.ilabel); break; }
      }
      this.bSorted[s2] = arcs;
      // The labels again as a typed array: the binary search then touches no arc objects.
      const lab = new Int32Array(arcs.length);
      for (let i = 0; i < arcs.length; i++) lab[i] = arcs[i].ilabel;
      this.bLabels[s2] = lab;
    }
    return arcs;
  }

  private expand(s: number): Arc<W>[] {
    const sr = this.semiring;
    const s1 = this.tuples[3 * s], s2 = this.tuples[3 * s + 1], fs = this.tuples[3 * s + 2];
    const a = this.a;
    const arcs1 = a.arcs(s1);
    let ne1 = 0;
    for (let i = 0; i < arcs1.length; i++) if (arcs1[i].olabel === EPSILON) ne1++;
    if (this.mode === 2 && arcs1.length > this.bFst.numArcs(s2)) return this.expandWalkingB(s1, s2, fs, arcs1, ne1);
    const arcs2 = this.sortedB(s2);
    const lab2 = this.bLabels[s2];
    const hi = arcs2.length;
    const out: Arc<W>[] = [];
    // B moves alone on its input epsilons while A stays. Pointless when every way out of s1 is an
    // output epsilon and s1 is not final; when A has no output epsilons here, the filter can stay 0.
    const allEps1 = ne1 === arcs1.length && sr.isZero(a.final(s1));
    if (!allEps1 && hi > 0 && arcs2[0].ilabel === EPSILON) {
      const nfs = ne1 === 0 ? 0 : 1;
      for (let j = 0; j < hi && arcs2[j].ilabel === EPSILON; j++) {
        const b = arcs2[j];
        out.push({ ilabel: EPSILON, olabel: b.olabel, weight: b.weight, nextstate: this.stateId(s1, b.nextstate, nfs) });
      }
    }
    for (let i = 0; i < arcs1.length; i++) {
      const arc = arcs1[i];
      const label = arc.olabel;
      if (label === EPSILON) {
        // A moves alone on an output epsilon; only before B has moved alone.
        if (fs === 0) out.push({ ilabel: arc.ilabel, olabel: EPSILON, weight: arc.weight, nextstate: this.stateId(arc.nextstate, s2, 0) });
        continue;
      }
      let lo = 0, top = hi;
      while (lo < top) { const mid = (lo + top) >>> 1; if (lab2[mid] < label) lo = mid + 1; else top = mid; }
      for (let j = lo; j < hi && lab2[j] === label; j++) {
        const b = arcs2[j];
        out.push({
          ilabel: arc.ilabel, olabel: b.olabel, weight: sr.times(arc.weight, b.weight),
          nextstate: this.stateId(arc.nextstate, b.nextstate, 0),
        });
      }
    }
    return out;
  }

  /** OpenFst's order when it searches A: A's output epsilons alone first, then B's arcs in order. */
  private expandWalkingB(s1: number, s2: number, fs: number, arcs1: Arc<W>[], ne1: number): Arc<W>[] {
    const sr = this.semiring;
    const out: Arc<W>[] = [];
    if (fs === 0) {
      for (let i = 0; i < ne1; i++) {
        const arc = arcs1[i];
        out.push({ ilabel: arc.ilabel, olabel: EPSILON, weight: arc.weight, nextstate: this.stateId(arc.nextstate, s2, 0) });
      }
    }
    const allEps1 = ne1 === arcs1.length && sr.isZero(this.a.final(s1));
    const nfs = ne1 === 0 ? 0 : 1;
    for (const arcb of this.bFst.arcs(s2)) {
      const label = arcb.ilabel;
      if (label === EPSILON) {
        if (!allEps1) out.push({ ilabel: EPSILON, olabel: arcb.olabel, weight: arcb.weight, nextstate: this.stateId(s1, arcb.nextstate, nfs) });
        continue;
      }
      let lo = 0, hi = arcs1.length;
      while (lo < hi) { const mid = (lo + hi) >>> 1; if (arcs1[mid].olabel < label) lo = mid + 1; else hi = mid; }
      for (let i = lo; i < arcs1.length && arcs1[i].olabel === label; i++) {
        const arc = arcs1[i];
        out.push({
          ilabel: arc.ilabel, olabel: arcb.olabel, weight: sr.times(arc.weight, arcb.weight),
          nextstate: this.stateId(arc.nextstate, arcb.nextstate, 0),
        });
      }
    }
    return out;
  }
}

/** Lazy A∘B: nothing is computed until `start`/`arcs(s)` are used. */
export function composeLazy<W>(a: VectorFst<W>, b: VectorFst<W>): LazyCompose<W> {
  return new LazyCompose(a, b);
}

/** A∘B as `fstcompose` computes it (trimmed to states on a successful path unless connect: false). */
export function compose<W>(a: VectorFst<W>, b: VectorFst<W>, opts: ComposeOptions = {}): VectorFst<W> {
  const lazy = new LazyCompose(a, b);
  const sr = a.semiring;
  const out = new VectorFst<W>(sr);
  out.isymbols = a.isymbols; out.osymbols = b.osymbols;
  if (lazy.start === NO_STATE) return out;
  // Composed ids are assigned in discovery order, so expanding ids 0,1,2,... visits every state.
  for (let s = 0; s < lazy.numStates(); s++) lazy.arcs(s);
  const n = lazy.numStates();
  const arcsOf = (s: number) => lazy.arcs(s);
  const finals: W[] = new Array(n);
  for (let s = 0; s < n; s++) finals[s] = lazy.final(s);
  // Every composed state is accessible; keep the coaccessible ones (unless connect: false) and
  // renumber the arcs in place (they were created here, nobody else holds them).
  const keep = opts.connect === false ? null : coaccessibleStates(n, arcsOf, (s) => !sr.isZero(finals[s]));
  const map = new Int32Array(n);
  let m = 0;
  for (let s = 0; s < n; s++) map[s] = keep && !keep[s] ? -1 : m++;
  if (m === 0) return out;
  out.addStates(m);
  for (let s = 0; s < n; s++) {
    const id = map[s];
    if (id < 0) continue;
    if (!sr.isZero(finals[s])) out.setFinal(id, finals[s]);
    const arcs = arcsOf(s);
    let k = 0;
    for (let i = 0; i < arcs.length; i++) {
      const arc = arcs[i];
      const t = map[arc.nextstate];
      if (t < 0) continue;
      arc.nextstate = t;
      arcs[k++] = arc;
    }
    arcs.length = k;
    out.setArcs(id, arcs);
  }
  out.setStart(map[lazy.start]);
  return out;
}

/** States from which a final state can be reached (reverse search over a CSR of the arcs); n states, arcsOf(s) their arcs. */
export function coaccessibleStates<W>(n: number, arcsOf: (s: number) => Arc<W>[], isFinal: (s: number) => boolean): Uint8Array {
  const off = new Int32Array(n + 1);
  for (let s = 0; s < n; s++) for (const a of arcsOf(s)) off[a.nextstate + 1]++;
  for (let s = 0; s < n; s++) off[s + 1] += off[s];
  const src = new Int32Array(off[n]);
  const fill = off.slice(0, n);
  for (let s = 0; s < n; s++) for (const a of arcsOf(s)) src[fill[a.nextstate]++] = s;
  const seen = new Uint8Array(n);
  const stack = new Int32Array(n);
  let top = 0;
  for (let s = 0; s < n; s++) if (isFinal(s)) { seen[s] = 1; stack[top++] = s; }
  while (top > 0) {
    const s = stack[--top];
    for (let k = off[s]; k < off[s + 1]; k++) {
      const p = src[k];
      if (!seen[p]) { seen[p] = 1; stack[top++] = p; }
    }
  }
  return seen;
}
