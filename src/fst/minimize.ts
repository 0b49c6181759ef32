// Minimization of deterministic weighted FSTs, following OpenFst's Minimize for acceptors: push the
// weights toward the initial state, quantize them with delta, treat each (ilabel, olabel, weight)
// triple as one symbol and minimize the resulting unweighted automaton (Revuz's one pass by height
// when acyclic, partition refinement otherwise), then read the triples back.
//
// Transducers: OpenFst also pushes the output labels (Gallic semiring) before encoding, so outputs
// can move between arcs and its result can have fewer states than ours; kiln minimizes the
// transducer with (ilabel, olabel) pairs encoded as they are. Both results are equivalent to the
// input; for acceptors the state count equals OpenFst's (up to one extra start state when the
// pushed start weight has to be kept on a start state that has incoming arcs: OpenFst adds an
// epsilon arc there, kiln copies the start state's arcs so the result stays deterministic).
import { KilnFstError, NO_STATE, VectorFst } from './fst.ts';
import { K_DELTA, type Semiring } from './semiring.ts';
import { connectInPlace } from './connect.ts';

export interface MinimizeOptions {
  /** Comparison/quantization delta for pushed weights (default 1e-6 = OpenFst's kShortestDelta, as fstminimize --delta). */
  delta?: number;
}

/**
 * Potentials for pushing toward the initial state: d[s] = ⊕ over paths from s to a final state of
 * (path weight ⊗ final weight). Queue relaxation until changes are within delta.
 */
export function pushPotentials<W>(f: VectorFst<W>, delta = K_DELTA): W[] {
  const sr = f.semiring;
  const n = f.numStates();
  const off = new Int32Array(n + 1);
  for (let s = 0; s < n; s++) for (const a of f.arcs(s)) off[a.nextstate + 1]++;
  for (let s = 0; s < n; s++) off[s + 1] += off[s];
  const src = new Int32Array(off[n]);
  const fill = off.slice(0, n);
  const rw: W[] = new Array(off[n]);
  for (let s = 0; s < n; s++) for (const a of f.arcs(s)) { const k = fill[a.nextstate]++; src[k] = s; rw[k] = a.weight; }
  const d: W[] = new Array(n).fill(sr.zero);
  const r: W[] = new Array(n).fill(sr.zero);
  const inQ = new Uint8Array(n);
  const queue: number[] = [];
  for (let s = 0; s < n; s++) {
    const fw = f.final(s);
    if (!sr.isZero(fw)) { d[s] = fw; r[s] = fw; queue.push(s); inQ[s] = 1; }
  }
  let relax = 0;
  const limit = 64 * (n + off[n]) + 1_000_000;
  for (let qi = 0; qi < queue.length; qi++) {
    const q = queue[qi];
    inQ[q] = 0;
    const rq = r[q];
    r[q] = sr.zero;
    for (let k = off[q]; k < off[q + 1]; k++) {
      const p = src[k];
      const w = sr.times(rw[k], rq);
      const nd = sr.plus(d[p], w);
      if (!sr.approxEqual(d[p], nd, delta)) {
        d[p] = nd;
        r[p] = sr.plus(r[p], w);
        if (!inQ[p]) { inQ[p] = 1; queue.push(p); }
      }
      if (++relax > limit) throw new KilnFstError('push: shortest distances do not converge (a negative-weight cycle?)');
    }
    if (qi > 4096 && qi * 2 > queue.length) { queue.splice(0, qi + 1); qi = -1; }
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
  const g = connectInPlace(f.clone());
  const n = g.numStates();
  const out = new VectorFst<W>(sr);
  out.isymbols = f.isymbols; out.osymbols = f.osymbols;
  if (n === 0 || g.start === NO_STATE) return out;

  let weighted = false;
  for (let s = 0; s < n && !weighted; s++) {
    const fw = g.final(s);
    if (!sr.isZero(fw) && !sr.isOne(fw)) weighted = true;
    for (const a of g.arcs(s)) if (!sr.isOne(a.weight)) { weighted = true; break; }
  }
  const d = weighted ? pushPotentials(g, delta) : null;
  const qkey = quantizer(sr, delta);
  // Pushed, quantized weights; encoded arc symbols.
  const finals: W[] = new Array(n);
  const finalCls = new Int32Array(n);
  const finalIds = new Map<string, number>();
  const enc = new Map<string, number>();
  const arcSym: Int32Array[] = new Array(n);
  const arcNext: Int32Array[] = new Array(n);
  const arcW: W[][] = new Array(n);
  for (let s = 0; s < n; s++) {
    let fw = g.final(s);
    if (d && !sr.isZero(fw)) fw = sr.quantize(sr.divide(fw, d[s], 'left'), delta);
    finals[s] = fw;
    const fk = sr.isZero(fw) ? 'z' : qkey(fw);
    let fc = finalIds.get(fk);
    if (fc === undefined) { fc = finalIds.size; finalIds.set(fk, fc); }
    finalCls[s] = fc;
    const arcs = g.arcs(s);
    const k = arcs.length;
    const items: [number, number, W][] = [];
    for (const a of arcs) {
      const w = d ? sr.quantize(sr.divide(sr.times(a.weight, d[a.nextstate]), d[s], 'left'), delta) : a.weight;
      const key = `${a.ilabel},${a.olabel},${qkey(w)}`;
      let sym = enc.get(key);
      if (sym === undefined) { sym = enc.size; enc.set(key, sym); }
      items.push([sym, a.nextstate, w]);
    }
    items.sort((x, y) => x[0] - y[0]);
    arcSym[s] = new Int32Array(k); arcNext[s] = new Int32Array(k); arcW[s] = new Array(k);
    for (let i = 0; i < k; i++) { arcSym[s][i] = items[i][0]; arcNext[s][i] = items[i][1]; arcW[s][i] = items[i][2]; }
  }

  const cls = new Int32Array(n);
  const sig = (s: number, extra: string): string => {
    let key = extra;
    const sy = arcSym[s], nx = arcNext[s];
    for (let i = 0; i < sy.length; i++) key += `,${sy[i]}:${cls[nx[i]]}`;
    return key;
  };
  let numCls: number;
  const order = topoHeights(g);
  if (order) {
    // Acyclic: by increasing height every successor already has its final class.
    const ids = new Map<string, number>();
    for (const s of order) {
      const key = sig(s, `${finalCls[s]}`);
      let c = ids.get(key);
      if (c === undefined) { c = ids.size; ids.set(key, c); }
      cls[s] = c;
    }
    numCls = ids.size;
  } else {
    cls.set(finalCls);
    numCls = finalIds.size;
    for (;;) {
      const ids = new Map<string, number>();
      const next = new Int32Array(n);
      for (let s = 0; s < n; s++) {
        const key = sig(s, `${cls[s]}`);
        let c = ids.get(key);
        if (c === undefined) { c = ids.size; ids.set(key, c); }
        next[s] = c;
      }
      cls.set(next);
      if (ids.size === numCls) break;
      numCls = ids.size;
    }
  }

  // Renumber classes in order of first appearance from the start state (BFS) for a tidy result.
  const renum = new Int32Array(numCls).fill(-1);
  const rep = new Int32Array(numCls);
  const queue = [g.start];
  renum[cls[g.start]] = 0; rep[0] = g.start;
  let count = 1;
  for (let qi = 0; qi < queue.length; qi++) {
    const s = queue[qi];
    for (const t of arcNext[s]) {
      if (renum[cls[t]] === -1) { renum[cls[t]] = count; rep[count++] = t; queue.push(t); }
    }
  }
  out.addStates(count);
  out.setStart(0);
  let startHasIncoming = false;
  for (let c = 0; c < count; c++) {
    const s = rep[c];
    if (!sr.isZero(finals[s])) out.setFinal(c, finals[s]);
    for (let i = 0; i < arcSym[s].length; i++) {
      const to = renum[cls[arcNext[s][i]]];
      if (to === 0) startHasIncoming = true;
      const [il, ol] = decode(enc, arcSym[s][i]);
      out.addArc(c, { ilabel: il, olabel: ol, weight: arcW[s][i], nextstate: to });
    }
  }
  const sw = d ? d[g.start] : sr.one;
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

let decodeCache: { enc: Map<string, number>; labels: Int32Array } | null = null;
function decode(enc: Map<string, number>, sym: number): [number, number] {
  if (!decodeCache || decodeCache.enc !== enc) {
    const labels = new Int32Array(2 * enc.size);
    for (const [k, v] of enc) {
      const [i, o] = k.split(',');
      labels[2 * v] = +i; labels[2 * v + 1] = +o;
    }
    decodeCache = { enc, labels };
  }
  return [decodeCache.labels[2 * sym], decodeCache.labels[2 * sym + 1]];
}

/** States in order of increasing height (longest path to a state without arcs), or null when cyclic. */
function topoHeights<W>(f: VectorFst<W>): number[] | null {
  const n = f.numStates();
  const height = new Int32Array(n).fill(-1);
  const onStack = new Uint8Array(n);
  const stack: number[] = [];
  const pos: number[] = [];
  for (let root = 0; root < n; root++) {
    if (height[root] >= 0) continue;
    stack.push(root); pos.push(0); onStack[root] = 1;
    while (stack.length) {
      const s = stack[stack.length - 1];
      const arcs = f.arcs(s);
      const i = pos[pos.length - 1];
      if (i < arcs.length) {
        pos[pos.length - 1]++;
        const t = arcs[i].nextstate;
        if (onStack[t]) return null;
        if (height[t] < 0) { stack.push(t); pos.push(0); onStack[t] = 1; }
      } else {
        let h = 0;
        for (const a of arcs) if (height[a.nextstate] + 1 > h) h = height[a.nextstate] + 1;
        height[s] = h;
        onStack[s] = 0; stack.pop(); pos.pop();
      }
    }
  }
  const order = Array.from({ length: n }, (_, i) => i);
  order.sort((x, y) => height[x] - height[y]);
  return order;
}
