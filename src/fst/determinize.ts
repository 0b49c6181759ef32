// Weighted determinization (subset construction with residual weights), with OpenFst's semantics:
// - epsilon (label 0) is an ordinary label here, as in `fstdeterminize` (run rmEpsilon first for an
//   epsilon-free result);
// - acceptors: each result state is a set of (state, residual weight) pairs; the arc for label a
//   carries the ⊕ of the weights reaching a and the pairs keep what is left (left division);
// - functional transducers: pairs also keep a residual output string (OpenFst's Gallic / left
//   string semiring): an arc emits the first label of the pending outputs when they all start
//   with it (OpenFst's LabelCommonDivisor), the rest stays pending; a pending string at a final
//   state becomes an input-epsilon chain to a shared final state, which is what OpenFst's
//   FactorWeight produces. A transducer that maps one input to two outputs throws.
// Residual weights are quantized with delta (as OpenFst does), which identifies the subsets.
// Inputs that are not determinizable (twins property fails) would make the subset construction
// run forever: it stops when a residual weight passes a bound derived from the twins property, or
// at maxStates.
import { EPSILON, KilnFstError, NO_STATE, VectorFst, isAcceptor } from './fst.ts';
import { K_DELTA } from './semiring.ts';

export interface DeterminizeOptions {
  /** Quantization delta for comparing residual weights (default kDelta = 1/1024). */
  delta?: number;
  /** Bound on result states; exceeding it throws (default 1e6). */
  maxStates?: number;
  /** Numeric semirings: bound on |residual weight| before giving up (default 4·|Q|²·max|arc weight| + 1000). */
  residualBound?: number;
}

/** Interned label strings: id 0 is the empty string. */
class Strings {
  readonly seqs: number[][] = [[]];
  private readonly ids = new Map<string, number>([['', 0]]);
  private readonly ext = new Map<number, number>();
  intern(seq: number[]): number {
    const k = seq.join(',');
    let id = this.ids.get(k);
    if (id === undefined) { id = this.seqs.length; this.seqs.push(seq); this.ids.set(k, id); }
    return id;
  }
  /** id of seqs[id] followed by label. */
  append(id: number, label: number): number {
    const key = id * 0x4000000 + label;
    let r = this.ext.get(key);
    if (r === undefined) {
      r = this.intern([...this.seqs[id], label]);
      if (label < 0x4000000) this.ext.set(key, r);
    }
    return r;
  }
}

export function determinize<W>(f: VectorFst<W>, opts: DeterminizeOptions = {}): VectorFst<W> {
  const sr = f.semiring;
  const delta = opts.delta ?? K_DELTA;
  const maxStates = opts.maxStates ?? 1_000_000;
  const out = new VectorFst<W>(sr);
  out.isymbols = f.isymbols; out.osymbols = f.osymbols;
  if (f.start === NO_STATE) return out;
  const acceptor = isAcceptor(f);
  const strings = new Strings();
  const numeric = typeof sr.one === 'number';
  const qkey: (w: W) => string = numeric
    ? (w) => String(Math.floor((w as unknown as number) / delta + 0.5))
    : (w) => sr.hashKey(w, delta);

  // Subsets: parallel arrays per result state (chain states have none).
  const subStates: number[][] = [];
  const subStrs: (number[] | null)[] = [];
  const subWeights: W[][] = [];
  const ids = new Map<string, number>();

  const tooBig = () => new KilnFstError(
    `determinize: more than ${maxStates} states; the input is probably not determinizable (the twins property fails: `
    + `two paths with the same input reach a cycle with different weights or outputs). Pass { maxStates } to allow more, or check the input.`);

  // With the twins property, residual weights stay within about |Q|^2 * max|arc weight| (Mohri's
  // bound on the delay); far beyond it the subset construction cannot end, so stop early.
  // (Computed on the first residual above 1000, so most inputs never pay for the scan.)
  let bound = opts.residualBound ?? -1;
  const cheapBound = opts.residualBound ?? 1000;
  const residualBound = (): number => {
    if (bound < 0) {
      let maxArc = 0;
      for (let s = 0; s < f.numStates(); s++) {
        for (const a of f.arcs(s)) {
          const w = Math.abs(a.weight as unknown as number);
          if (w !== Infinity && w > maxArc) maxArc = w;
        }
      }
      const nq = f.numStates();
      bound = 4 * nq * nq * Math.max(maxArc, 1) + 1000;
    }
    return bound;
  };
  const twins = (w: number) => new KilnFstError(
    `determinize: a residual weight reached ${w} (bound ${residualBound()}); the input is not determinizable (the twins property fails: `
    + 'two paths with the same input reach cycles with different weights). Pass { residualBound } to allow more, or check the input.');

  const addResultState = (): number => {
    if (out.numStates() >= maxStates) throw tooBig();
    return out.addState();
  };

  // Subsets {(q, One, no pending output)} are the common case (tries): looked up by q directly.
  const singleton = new Int32Array(f.numStates()).fill(-1);
  const singletonId = (q: number): number => {
    let id = singleton[q];
    if (id < 0) {
      id = addResultState();
      singleton[q] = id;
      subStates[id] = [q]; subStrs[id] = acceptor ? null : [0]; subWeights[id] = [sr.one];
    }
    return id;
  };
  // Numeric weights: subsets are found by a hash of (state, pending output, quantized residual)
  // and compared element by element (no key strings). Other semirings use hashKey strings.
  const byHash = new Map<number, number>();
  const sameHash: number[] = [];
  const subQ: number[][] = [];
  const subsetId = (states: number[], strs: number[] | null, ws: W[]): number => {
    if (states.length === 1 && (!strs || strs[0] === 0) && sr.isOne(ws[0])) return singletonId(states[0]);
    if (!numeric) {
      let key = '';
      for (let i = 0; i < states.length; i++) key += strs ? `${states[i]}:${strs[i]}:${qkey(ws[i])};` : `${states[i]}:${qkey(ws[i])};`;
      let id = ids.get(key);
      if (id === undefined) {
        id = addResultState();
        ids.set(key, id);
        subStates[id] = states; subStrs[id] = strs; subWeights[id] = ws;
      }
      return id;
    }
    const k = states.length;
    const q: number[] = new Array(k);
    let h = k;
    for (let i = 0; i < k; i++) {
      const x = Math.floor((ws[i] as unknown as number) / delta + 0.5);
      q[i] = x;
      h = Math.imul(h ^ states[i], 0x9e3779b1) + (strs ? Math.imul(strs[i], 0x85ebca77) : 0) + ((x | 0) ^ ((x / 4294967296) | 0));
      h = (h ^ (h >>> 13)) | 0;
    }
    const first = byHash.get(h);
    for (let id = first ?? -1; id >= 0; id = sameHash[id]) {
      const st = subStates[id], qq = subQ[id], ss = subStrs[id];
      if (st.length !== k) continue;
      let same = true;
      for (let i = 0; i < k && same; i++) same = st[i] === states[i] && qq[i] === q[i] && (!strs || ss![i] === strs[i]);
      if (same) return id;
    }
    const id = addResultState();
    subStates[id] = states; subStrs[id] = strs; subWeights[id] = ws; subQ[id] = q;
    sameHash[id] = first ?? -1;
    byHash.set(h, id);
    return id;
  };

  // Chain states are shared by (destination, labels still to emit), as OpenFst's FactorWeight
  // shares its (state, residual) states; destination -1 is the common final state.
  const chainIds = new Map<string, number>();
  const chainState = (to: number, rest: number[]): number => {
    if (rest.length === 0 && to >= 0) return to;
    const key = `${to}|${rest.join(',')}`;
    let id = chainIds.get(key);
    if (id === undefined) {
      id = addResultState();
      chainIds.set(key, id);
      if (rest.length === 0) out.setFinal(id, sr.one);
      else out.addArc(id, { ilabel: EPSILON, olabel: rest[0], weight: sr.one, nextstate: chainState(to, rest.slice(1)) });
    }
    return id;
  };
  /** Arc from `from` emitting the label string `seq` (input label on the first arc only) and going on to `to` (-1: final). */
  const emitChain = (from: number, ilabel: number, seq: number[], w: W, to: number) => {
    if (seq.length === 0) {
      out.addArc(from, { ilabel, olabel: EPSILON, weight: w, nextstate: to });
      return;
    }
    out.addArc(from, { ilabel, olabel: seq[0], weight: w, nextstate: chainState(to, seq.slice(1)) });
  };

  const start = subsetId([f.start], acceptor ? null : [0], [sr.one]);
  out.setStart(start);

  // The input's arcs as typed arrays (one sequential pass; the subset loop then reads them in
  // arbitrary order without chasing arc objects).
  const nIn = f.numStates();
  const aOff = new Int32Array(nIn + 1);
  for (let q = 0; q < nIn; q++) aOff[q + 1] = aOff[q] + f.numArcs(q);
  const aIl = new Int32Array(aOff[nIn]), aOl = new Int32Array(aOff[nIn]), aNext = new Int32Array(aOff[nIn]);
  const aW: W[] = new Array(aOff[nIn]);
  for (let q = 0, e = 0; q < nIn; q++) {
    for (const a of f.arcs(q)) { aIl[e] = a.ilabel; aOl[e] = a.olabel; aNext[e] = a.nextstate; aW[e++] = a.weight; }
  }

  // Scratch for gathering the arcs leaving a subset.
  const gLabel: number[] = [], gNext: number[] = [], gStr: number[] = [], gW: W[] = [];
  const order: number[] = [];
  const gKey: number[] = [];

  for (let id = 0; id < out.numStates(); id++) {
    const states = subStates[id];
    if (states === undefined) continue; // a chain state
    const strs = subStrs[id], ws = subWeights[id];

    // Final weight (and, for transducers, the one pending output string all final members share).
    let final = sr.zero;
    let finalStr = -1;
    for (let i = 0; i < states.length; i++) {
      const fq = f.final(states[i]);
      if (sr.isZero(fq)) continue;
      final = sr.plus(final, sr.times(ws[i], fq));
      if (strs) {
        if (finalStr >= 0 && finalStr !== strs[i]) throw nonFunctional(states[i], strings, finalStr, strs[i]);
        finalStr = strs[i];
      }
    }
    if (!sr.isZero(final) && finalStr <= 0) out.setFinal(id, final);

    gLabel.length = 0; gNext.length = 0; gStr.length = 0; gW.length = 0;
    for (let i = 0; i < states.length; i++) {
      const wi = ws[i];
      const si = strs ? strs[i] : 0;
      for (let e = aOff[states[i]], end = aOff[states[i] + 1]; e < end; e++) {
        gLabel.push(aIl[e]); gNext.push(aNext[e]); gW.push(sr.times(wi, aW[e]));
        if (strs) gStr.push(aOl[e] === EPSILON ? si : strings.append(si, aOl[e]));
      }
    }
    const m = gLabel.length;
    order.length = m;
    for (let k = 0; k < m; k++) order[k] = k;
    if (m < 12) {
      for (let i = 1; i < m; i++) {
        const x = order[i];
        let j = i - 1;
        while (j >= 0 && (gLabel[order[j]] > gLabel[x] || (gLabel[order[j]] === gLabel[x] && gNext[order[j]] > gNext[x]))) { order[j + 1] = order[j]; j--; }
        order[j + 1] = x;
      }
    } else {
      // One numeric key per entry (label, next) when it fits in a double's integer range.
      const packed = gKey;
      packed.length = m;
      let fits = true;
      for (let k = 0; k < m; k++) {
        if (gLabel[k] >= 0x200000 || gNext[k] >= 0x80000000) { fits = false; break; }
        packed[k] = gLabel[k] * 0x80000000 + gNext[k];
      }
      if (fits) order.sort((x, y) => packed[x] - packed[y]);
      else order.sort((x, y) => gLabel[x] - gLabel[y] || gNext[x] - gNext[y]);
    }

    for (let g = 0; g < m;) {
      const label = gLabel[order[g]];
      let e = g;
      while (e < m && gLabel[order[e]] === label) e++;
      if (e === g + 1 && (acceptor || strings.seqs[gStr[order[g]]].length <= 1)) {
        // One arc with this label: it carries the whole weight and pending output.
        const x = order[g];
        g = e;
        if (sr.isZero(gW[x])) continue;
        const to = singletonId(gNext[x]);
        if (acceptor) out.addArc(id, { ilabel: label, olabel: label, weight: gW[x], nextstate: to });
        else emitChain(id, label, strings.seqs[gStr[x]], gW[x], to);
        continue;
      }
      // Merge entries with the same next state; ⊕ of the group; common output prefix.
      const nStates: number[] = [], nStrs: number[] = [], nW: W[] = [];
      let common = sr.zero;
      for (let k = g; k < e; k++) {
        const x = order[k];
        const w = gW[x];
        if (sr.isZero(w)) continue;
        common = sr.plus(common, w);
        const last = nStates.length - 1;
        if (last >= 0 && nStates[last] === gNext[x]) {
          if (strs && nStrs[last] !== gStr[x]) throw nonFunctional(gNext[x], strings, nStrs[last], gStr[x]);
          nW[last] = sr.plus(nW[last], w);
        } else {
          nStates.push(gNext[x]); nW.push(w);
          if (strs) nStrs.push(gStr[x]);
        }
      }
      g = e;
      if (nStates.length === 0) continue;
      // Residuals are kept quantized, as OpenFst does (so results match fstdeterminize's to the bit).
      for (let k = 0; k < nW.length; k++) {
        nW[k] = sr.quantize(sr.divide(nW[k], common, 'left'), delta);
        if (numeric && Math.abs(nW[k] as unknown as number) > cheapBound && Math.abs(nW[k] as unknown as number) > residualBound()) {
          throw twins(nW[k] as unknown as number);
        }
      }
      let prefix: number[] = [];
      let resid: number[] | null = null;
      if (strs) {
        prefix = commonPrefix(strings, nStrs);
        resid = new Array(nStrs.length);
        for (let k = 0; k < nStrs.length; k++) {
          resid[k] = prefix.length === 0 ? nStrs[k] : strings.intern(strings.seqs[nStrs[k]].slice(prefix.length));
        }
      }
      const to = subsetId(nStates, resid, nW);
      if (acceptor) out.addArc(id, { ilabel: label, olabel: label, weight: common, nextstate: to });
      else emitChain(id, label, prefix, common, to);
    }
    // A pending output at a final state: after the arcs, as FactorWeight appends it.
    if (!sr.isZero(final) && finalStr > 0) emitChain(id, EPSILON, strings.seqs[finalStr], final, -1);
  }
  return out;
}

/**
 * What an arc emits: the first label when every pending string starts with it, else nothing
 * (OpenFst's LabelCommonDivisor: one label per arc; the rest stays pending).
 */
function commonPrefix(strings: Strings, ids: number[]): number[] {
  const p = strings.seqs[ids[0]];
  if (p.length === 0) return [];
  for (let k = 1; k < ids.length; k++) {
    const q = strings.seqs[ids[k]];
    if (q.length === 0 || q[0] !== p[0]) return [];
  }
  return [p[0]];
}

function nonFunctional(state: number, strings: Strings, a: number, b: number): KilnFstError {
  return new KilnFstError(
    `determinize: the transducer is not functional (one input reaches state ${state} with outputs `
    + `[${strings.seqs[a].join(' ')}] and [${strings.seqs[b].join(' ')}]); only functional transducers can be determinized `
    + `(encode the labels as pairs to determinize it as an acceptor instead)`);
}

/** True when no state has two arcs with the same input label (epsilon counts as a label, as in OpenFst's kIDeterministic). */
export function isDeterministic<W>(f: VectorFst<W>): boolean {
  for (let s = 0; s < f.numStates(); s++) {
    const arcs = f.arcs(s);
    if (arcs.length < 2) continue;
    const seen = new Set<number>();
    for (const a of arcs) { if (seen.has(a.ilabel)) return false; seen.add(a.ilabel); }
  }
  return true;
}

