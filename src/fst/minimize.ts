// Minimization of deterministic weighted FSTs, following OpenFst's Minimize for acceptors: push the
// weights toward the initial state, quantize them with delta, treat each (ilabel, olabel, weight)
// triple as one symbol and minimize the resulting unweighted automaton (Revuz's one pass by height
// when acyclic, partition refinement otherwise), then read the triples back.
//
// Transducers: OpenFst also pushes the output labels (Gallic semiring) before encoding, so outputs
// can move between arcs; kiln minimizes the transducer with (ilabel, olabel) pairs encoded as they
// are (the sizes still agree or kiln's is smaller in our tests). Both results are equivalent to the
// input; for acceptors the state count equals OpenFst's. When the pushed start weight cannot stay
// on a start state that has incoming arcs, both add a new start state: OpenFst's has an epsilon
// arc into the old one, kiln's has copies of its arcs, so the result stays deterministic.
import { type Arc, KilnFstError, NO_STATE, VectorFst } from './fst.ts';
import { K_DELTA, type Semiring } from './semiring.ts';
import { coaccessibleStates } from './compose.ts';

export interface MinimizeOptions {
  /** Comparison/quantization delta for pushed weights (default 1e-6 = OpenFst's kShortestDelta, as fstminimize --delta). */
  delta?: number;
}

/**
 * Potentials for pushing toward the initial state: d[s] = ⊕ over paths from s to a final state of
 * (path weight ⊗ final weight). Queue relaxation until changes are within delta.
 */
export function pushPotentials<W>(f: VectorFst<W>, delta = K_DELTA): W[] {
  const n = f.numStates();
  const off = new Int32Array(n + 1);
  for (let s = 0; s < n; s++) off[s + 1] = off[s] + f.numArcs(s);
  const next = new Int32Array(off[n]);
  const w: W[] = new Array(off[n]);
  const finals: W[] = new Array(n);
  for (let s = 0, e = 0; s < n; s++) {
    finals[s] = f.final(s);
    for (const a of f.arcs(s)) { next[e] = a.nextstate; w[e++] = a.weight; }
  }
  return potentialsCsr(f.semiring, n, off, next, w, finals, delta);
}

function potentialsCsr<W>(sr: Semiring<W>, n: number, aoff: Int32Array, anext: Int32Array, aw: W[], finals: W[], delta: number): W[] {
  // Reverse arcs (CSR by target).
  const off = new Int32Array(n + 1);
  const E = aoff[n];
  for (let e = 0; e < E; e++) off[anext[e] + 1]++;
  for (let s = 0; s < n; s++) off[s + 1] += off[s];
  const src = new Int32Array(E);
  const fill = off.slice(0, n);
  const rw: W[] = new Array(E);
  for (let s = 0; s < n; s++) {
    for (let e = aoff[s]; e < aoff[s + 1]; e++) { const k = fill[anext[e]]++; src[k] = s; rw[k] = aw[e]; }
  }
  const d: W[] = new Array(n).fill(sr.zero);
  const r: W[] = new Array(n).fill(sr.zero);
  const inQ = new Uint8Array(n);
  let queue: number[] = [];
  for (let s = 0; s < n; s++) {
    const fw = finals[s];
    if (!sr.isZero(fw)) { d[s] = fw; r[s] = fw; queue.push(s); inQ[s] = 1; }
  }
  let relax = 0;
  const limit = 64 * (n + E) + 1_000_000;
  for (let qi = 0; qi < queue.length; qi++) {
    const q = queue[qi];
    inQ[q] = 0;
    const rq = r[q];
    r[q] = sr.zero;
    for (let k = off[q]; k < off[q + 1]; k++) {
      const p = src[k];
      const x = sr.times(rw[k], rq);
      const nd = sr.plus(d[p], x);
      if (!sr.approxEqual(d[p], nd, delta)) {
        d[p] = nd;
        r[p] = sr.plus(r[p], x);
        if (!inQ[p]) { inQ[p] = 1; queue.push(p); }
      }
      if (++relax > limit) throw new KilnFstError('push: shortest distances do not converge (a negative-weight cycle?)');
    }
    if (qi > 4096 && qi * 2 > queue.length) { queue = queue.slice(qi + 1); qi = -1; }
  }
  return d;
}

/** [state, label] of a state with two arcs of the same input label, or null. */
function firstNondeterministic<W>(f: VectorFst<W>): [number, number] | null {
  for (let s = 0; s < f.numStates(); s++) {
    const arcs = f.arcs(s);
    if (arcs.length < 2) continue;
    const seen = new Set<number>();
    for (const a of arcs) { if (seen.has(a.ilabel)) return [s, a.ilabel]; seen.add(a.ilabel); }
  }
  return null;
}

function quantizer<W>(sr: Semiring<W>, delta: number): (w: W) => string {
  return typeof sr.one === 'number'
    ? (w) => String(Math.floor((w as unknown as number) / delta + 0.5))
    : (w) => sr.hashKey(w, delta);
}

/** OpenFst's kShortestDelta: the default delta of fstminimize and fstrmepsilon. */
export const K_SHORTEST_DELTA = 1e-6;

export function minimize<W>(f: VectorFst<W>, opts: MinimizeOptions = {}): VectorFst<W> {
  const delta = opts.delta ?? K_SHORTEST_DELTA;
  const sr = f.semiring;
  const bad = firstNondeterministic(f);
  if (bad) {
    throw new KilnFstError(`minimize: the input is not deterministic (state ${bad[0]} has two arcs with input label ${bad[1]}); `
      + 'minimize needs a deterministic FST: determinize it first');
  }
  const out = new VectorFst<W>(sr);
  out.isymbols = f.isymbols; out.osymbols = f.osymbols;
  if (f.start === NO_STATE) return out;

  // Trim (accessible and coaccessible) into a CSR with new ids, without copying the FST.
  const N = f.numStates();
  const acc = new Uint8Array(N);
  const stack = new Int32Array(N);
  let top = 0;
  acc[f.start] = 1; stack[top++] = f.start;
  while (top > 0) {
    const q = stack[--top];
    for (const a of f.arcs(q)) if (!acc[a.nextstate]) { acc[a.nextstate] = 1; stack[top++] = a.nextstate; }
  }
  const coacc = coaccessibleStates(N, (q) => (acc[q] ? f.arcs(q) : []), (q) => acc[q] === 1 && f.isFinal(q));
  const map = new Int32Array(N).fill(-1);
  let n = 0;
  for (let q = 0; q < N; q++) if (acc[q] && coacc[q]) map[q] = n++;
  if (n === 0 || map[f.start] < 0) return out;
  const old = new Int32Array(n);
  for (let q = 0; q < N; q++) if (map[q] >= 0) old[map[q]] = q;
  const off = new Int32Array(n + 1);
  for (let s = 0; s < n; s++) {
    let k = 0;
    for (const a of f.arcs(old[s])) if (map[a.nextstate] >= 0) k++;
    off[s + 1] = off[s] + k;
  }
  const E = off[n];
  const il = new Int32Array(E), ol = new Int32Array(E), next = new Int32Array(E);
  const w: W[] = new Array(E);
  const finals: W[] = new Array(n);
  let weighted = false;
  for (let s = 0, e = 0; s < n; s++) {
    const fw = f.final(old[s]);
    finals[s] = fw;
    if (!sr.isZero(fw) && !sr.isOne(fw)) weighted = true;
    for (const a of f.arcs(old[s])) {
      const t = map[a.nextstate];
      if (t < 0) continue;
      il[e] = a.ilabel; ol[e] = a.olabel; next[e] = t; w[e] = a.weight;
      if (!weighted && !sr.isOne(a.weight)) weighted = true;
      e++;
    }
  }
  const start = map[f.start];

  // Push toward the initial state, quantize, and encode each (ilabel, olabel, weight) as a symbol.
  const d = weighted ? potentialsCsr(sr, n, off, next, w, finals, delta) : null;
  const qkey = quantizer(sr, delta);
  const finalCls = new Int32Array(n);
  const finalIds = new Map<string, number>();
  for (let s = 0; s < n; s++) {
    let fw = finals[s];
    if (d && !sr.isZero(fw)) fw = sr.quantize(sr.divide(fw, d[s], 'left'), delta);
    finals[s] = fw;
    const fk = sr.isZero(fw) ? 'z' : qkey(fw);
    let fc = finalIds.get(fk);
    if (fc === undefined) { fc = finalIds.size; finalIds.set(fk, fc); }
    finalCls[s] = fc;
  }
  const sym = new Int32Array(E);
  const symIl: number[] = [], symOl: number[] = [];
  const enc = new Map<string, number>();
  const encNum = new Map<number, number>();
  for (let s = 0; s < n; s++) {
    for (let e = off[s]; e < off[s + 1]; e++) {
      if (d) w[e] = sr.quantize(sr.divide(sr.times(w[e], d[next[e]]), d[s], 'left'), delta);
      let id: number | undefined;
      if (!d && il[e] < 0x4000000 && ol[e] < 0x4000000) {
        const key = il[e] * 0x4000000 + ol[e];
        id = encNum.get(key);
        if (id === undefined) { id = symIl.length; encNum.set(key, id); symIl.push(il[e]); symOl.push(ol[e]); }
      } else {
        const key = `${il[e]},${ol[e]},${d ? qkey(w[e]) : ''}`;
        id = enc.get(key);
        if (id === undefined) { id = symIl.length; enc.set(key, id); symIl.push(il[e]); symOl.push(ol[e]); }
      }
      sym[e] = id;
    }
    // Arcs of a state in symbol order (insertion sort: out-degrees are small).
    for (let i = off[s] + 1; i < off[s + 1]; i++) {
      const y = sym[i], nx = next[i], wy = w[i], a = il[i], b = ol[i];
      let j = i - 1;
      while (j >= off[s] && sym[j] > y) { sym[j + 1] = sym[j]; next[j + 1] = next[j]; w[j + 1] = w[j]; il[j + 1] = il[j]; ol[j + 1] = ol[j]; j--; }
      sym[j + 1] = y; next[j + 1] = nx; w[j + 1] = wy; il[j + 1] = a; ol[j + 1] = b;
    }
  }

  // Classes: states with the same previous class and the same (symbol, class of target) lists.
  // A hash of that signature finds candidates; candidates are compared element by element.
  const cls = new Int32Array(n);
  const sameHash = new Int32Array(n);
  const refine = (order: ArrayLike<number>, prev: Int32Array, into: Int32Array): number => {
    const byHash = new Map<number, number>();
    let classes = 0;
    for (let k = 0; k < order.length; k++) {
      const s = order[k];
      let h = Math.imul(prev[s] + 1, 0x9e3779b1);
      for (let e = off[s]; e < off[s + 1]; e++) {
        h = Math.imul(h ^ sym[e], 0x85ebca77) + cls[next[e]];
        h = (h ^ (h >>> 13)) | 0;
      }
      const first = byHash.get(h) ?? -1;
      let c = -1;
      for (let r = first; r >= 0; r = sameHash[r]) {
        const deg = off[s + 1] - off[s];
        if (prev[r] !== prev[s] || off[r + 1] - off[r] !== deg) continue;
        let same = true;
        for (let i = 0, er = off[r], es = off[s]; i < deg && same; i++) {
          same = sym[er + i] === sym[es + i] && cls[next[er + i]] === cls[next[es + i]];
        }
        if (same) { c = into[r]; break; }
      }
      if (c < 0) {
        c = classes++;
        sameHash[s] = first;
        byHash.set(h, s);
      }
      into[s] = c;
    }
    return classes;
  };
  let numCls: number;
  const order = topoHeights(n, off, next);
  if (order) {
    // Acyclic (Revuz): by increasing height every target already has its final class.
    numCls = refine(order, finalCls, cls);
  } else {
    const all = new Int32Array(n);
    for (let s = 0; s < n; s++) all[s] = s;
    cls.set(finalCls);
    numCls = finalIds.size;
    const nextCls = new Int32Array(n);
    for (;;) {
      const k = refine(all, cls, nextCls);
      cls.set(nextCls);
      if (k === numCls) break;
      numCls = k;
    }
  }

  // Renumber classes in order of first appearance from the start state (BFS).
  const renum = new Int32Array(numCls).fill(-1);
  const rep = new Int32Array(numCls);
  const queue = [start];
  renum[cls[start]] = 0; rep[0] = start;
  let count = 1;
  for (let qi = 0; qi < queue.length; qi++) {
    const s = queue[qi];
    for (let e = off[s]; e < off[s + 1]; e++) {
      const t = next[e];
      if (renum[cls[t]] === -1) { renum[cls[t]] = count; rep[count++] = t; queue.push(t); }
    }
  }
  out.addStates(count);
  out.setStart(0);
  let startHasIncoming = false;
  for (let c = 0; c < count; c++) {
    const s = rep[c];
    if (!sr.isZero(finals[s])) out.setFinal(c, finals[s]);
    const arcs: Arc<W>[] = [];
    for (let e = off[s]; e < off[s + 1]; e++) {
      const to = renum[cls[next[e]]];
      if (to === 0) startHasIncoming = true;
      arcs.push({ ilabel: symIl[sym[e]], olabel: symOl[sym[e]], weight: w[e], nextstate: to });
    }
    out.setArcs(c, arcs);
  }
  const sw = d ? d[start] : sr.one;
  if (!sr.isOne(sw)) {
    let st = 0;
    if (startHasIncoming) {
      st = out.addState();
      out.setFinal(st, out.final(0));
      for (const a of out.arcs(0)) out.addArc(st, { ...a });
      out.setStart(st);
    }
    const fw = out.final(st);
    if (!sr.isZero(fw)) out.setFinal(st, sr.times(sw, fw));
    for (const a of out.arcs(st)) a.weight = sr.times(sw, a.weight);
  }
  return out;
}

/** States in order of increasing height (longest path to a state without arcs), or null when cyclic. */
function topoHeights(n: number, off: Int32Array, next: Int32Array): Int32Array | null {
  const height = new Int32Array(n).fill(-1);
  const onStack = new Uint8Array(n);
  const stack = new Int32Array(n), pos = new Int32Array(n);
  let maxH = 0;
  for (let root = 0; root < n; root++) {
    if (height[root] >= 0) continue;
    let top = 0;
    stack[top] = root; pos[top++] = off[root]; onStack[root] = 1;
    while (top > 0) {
      const s = stack[top - 1];
      const e = pos[top - 1];
      if (e < off[s + 1]) {
        pos[top - 1]++;
        const t = next[e];
        if (onStack[t]) return null;
        if (height[t] < 0) { stack[top] = t; pos[top++] = off[t]; onStack[t] = 1; }
      } else {
        let h = 0;
        for (let k = off[s]; k < off[s + 1]; k++) if (height[next[k]] + 1 > h) h = height[next[k]] + 1;
        height[s] = h;
        if (h > maxH) maxH = h;
        onStack[s] = 0; top--;
      }
    }
  }
  const count = new Int32Array(maxH + 2);
  for (let s = 0; s < n; s++) count[height[s] + 1]++;
  for (let h = 0; h <= maxH; h++) count[h + 1] += count[h];
  const order = new Int32Array(n);
  for (let s = 0; s < n; s++) order[count[height[s]]++] = s;
  return order;
}
