// CTC decoding: greedy (best path: argmax per frame on the GPU, collapse on the CPU) and plain
// prefix beam search (CPU, over the downloaded log-probabilities). The FST-constrained
// decoder is separate (src/fst).
import { Tensor, fmtShape } from '../tensor.ts';
import { assertTensor, assertDtype, fail } from './util.ts';
import { argMax } from './reduce.ts';

export interface CtcGreedyOptions {
  blank?: number;
  /** collapse runs of the same label before dropping blanks (default true: CTC's rule) */
  mergeRepeated?: boolean;
}

export interface CtcBeamOptions {
  /** prefixes kept after each frame (default 10) */
  beamWidth?: number;
  blank?: number;
  /** paths returned per sequence, best first (default 1) */
  topPaths?: number;
}

export interface CtcPath {
  labels: number[];
  /** log p(labels | x): summed over every alignment the beam kept */
  logProb: number;
}

function checkLogProbs(op: string, logProbs: Tensor, blank: number): [number, number, number] {
  assertTensor(op, 'logProbs', logProbs);
  assertDtype(op, 'logProbs', logProbs, ['float32']);
  if (logProbs.rank !== 3) fail(op, `logProbs has shape ${fmtShape(logProbs.shape)}; expected [T, N, C] (time-major)`);
  const [T, N, C] = logProbs.shape;
  if (!Number.isInteger(blank) || blank < 0 || blank >= C) fail(op, `blank ${blank} is not a class id in [0, ${C}) of logProbs ${fmtShape(logProbs.shape)}`);
  return [T, N, C];
}

async function lengths(op: string, x: Tensor | ArrayLike<number>, N: number, T: number): Promise<ArrayLike<number>> {
  let v: ArrayLike<number>;
  if (x instanceof Tensor) {
    assertTensor(op, 'inputLengths', x);
    assertDtype(op, 'inputLengths', x, ['int32']);
    if (x.rank !== 1 || x.shape[0] !== N) fail(op, `inputLengths has shape ${fmtShape(x.shape)}; expected [${N}]`);
    v = await x.data();
  } else {
    v = x;
    if (v.length !== N) fail(op, `inputLengths has ${v.length} values; expected ${N} (one per sequence of logProbs [T, N, C])`);
  }
  for (let i = 0; i < N; i++) {
    if (!Number.isInteger(v[i]) || v[i] < 0 || v[i] > T) fail(op, `inputLengths[${i}] is ${v[i]}; expected an integer in [0, ${T}] (T of logProbs [T, N, C])`);
  }
  return v;
}

/**
 * Best-path decoding: the most likely class per frame (argmax on the GPU), then runs of the
 * same label merged and blanks dropped. Returns one label array per sequence.
 */
export async function ctcGreedyDecode(logProbs: Tensor, inputLengths: Tensor | ArrayLike<number>, opts: CtcGreedyOptions = {}): Promise<number[][]> {
  const op = 'ctcGreedyDecode';
  const blank = opts.blank ?? 0;
  const merge = opts.mergeRepeated ?? true;
  const [T, N] = checkLogProbs(op, logProbs, blank);
  const il = await lengths(op, inputLengths, N, T);
  const best = argMax(logProbs, 2);
  const ids = await best.data();
  best.dispose();
  const out: number[][] = [];
  for (let n = 0; n < N; n++) {
    const seq: number[] = [];
    let prev = -1;
    for (let t = 0; t < il[n]; t++) {
      const c = ids[t * N + n];
      if (c !== blank && !(merge && c === prev)) seq.push(c);
      prev = c;
    }
    out.push(seq);
  }
  return out;
}

function logAdd(a: number, b: number): number {
  if (a === -Infinity) return b;
  if (b === -Infinity) return a;
  return a > b ? a + Math.log1p(Math.exp(b - a)) : b + Math.log1p(Math.exp(a - b));
}

interface Beam { labels: number[]; pb: number; pnb: number }

/** Prefix beam search over one sequence's log-probabilities lp [T, C] (row stride `stride`). */
function beamSearch(lp: Float32Array, base: number, stride: number, T: number, C: number, blank: number, width: number): Beam[] {
  let beams: Beam[] = [{ labels: [], pb: 0, pnb: -Infinity }];
  for (let t = 0; t < T; t++) {
    const row = base + t * stride;
    const next = new Map<string, Beam>();
    const get = (labels: number[]): Beam => {
      const k = labels.join(',');
      let b = next.get(k);
      if (!b) { b = { labels, pb: -Infinity, pnb: -Infinity }; next.set(k, b); }
      return b;
    };
    for (const b of beams) {
      const total = logAdd(b.pb, b.pnb);
      const last = b.labels.length ? b.labels[b.labels.length - 1] : -1;
      for (let c = 0; c < C; c++) {
        const p = lp[row + c];
        if (p === -Infinity) continue;
        if (c === blank) {
          const s = get(b.labels);
          s.pb = logAdd(s.pb, total + p);
        } else if (c === last) {
          const same = get(b.labels); // the repeat collapses into the same prefix
          same.pnb = logAdd(same.pnb, b.pnb + p);
          const ext = get([...b.labels, c]); // a new occurrence needs a blank in between
          ext.pnb = logAdd(ext.pnb, b.pb + p);
        } else {
          const ext = get([...b.labels, c]);
          ext.pnb = logAdd(ext.pnb, total + p);
        }
      }
    }
    beams = [...next.values()].sort((x, y) => logAdd(y.pb, y.pnb) - logAdd(x.pb, x.pnb)).slice(0, width);
  }
  return beams;
}

/**
 * CTC prefix beam search (no language model): per sequence, the `topPaths` most likely label
 * sequences found with `beamWidth` prefixes kept per frame, best first, with log-probabilities.
 * Runs on the CPU over the downloaded logProbs.
 */
export async function ctcBeamSearch(logProbs: Tensor, inputLengths: Tensor | ArrayLike<number>, opts: CtcBeamOptions = {}): Promise<CtcPath[][]> {
  const op = 'ctcBeamSearch';
  const blank = opts.blank ?? 0;
  const width = opts.beamWidth ?? 10;
  const top = opts.topPaths ?? 1;
  const [T, N, C] = checkLogProbs(op, logProbs, blank);
  if (!Number.isInteger(width) || width < 1) fail(op, `beamWidth must be a positive integer, got ${width}`);
  if (!Number.isInteger(top) || top < 1 || top > width) fail(op, `topPaths must be an integer in [1, beamWidth = ${width}], got ${top}`);
  const il = await lengths(op, inputLengths, N, T);
  const lp = (await logProbs.data()) as Float32Array;
  const out: CtcPath[][] = [];
  for (let n = 0; n < N; n++) {
    const beams = beamSearch(lp, n * C, N * C, il[n], C, blank, width);
    out.push(beams.slice(0, top).map((b) => ({ labels: b.labels, logProb: logAdd(b.pb, b.pnb) })));
  }
  return out;
}
