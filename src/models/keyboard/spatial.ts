// Spatial models: touches -> CTC frames of key log-probabilities (class 0 = blank, then the keys).
//   - the baseline ("before" in the Gboard post): a per-key isotropic Gaussian around each key
//     centre, no memory of the other touches;
//   - kiln's model: a bidirectional LSTM over per-touch features (position, motion, time, and the
//     Gaussian key scores), trained with CTC (train.ts), on the GPU.
// Taps give two frames each (a key frame and a gap frame) so a doubled letter ("ll") has the blank
// it needs between its two labels; glides are resampled along their arc length, one frame a point.
import * as kiln from '../../index.ts';
import type { Tensor } from '../../tensor.ts';

/** The keys the spatial model emits; class i + 1 is KEYS[i], class 0 the blank. */
export const KEYS = "abcdefghijklmnopqrstuvwxyz'";
export const NUM_CLASSES = KEYS.length + 1;

export interface KeyGeometry { key: string; x: number; y: number; w: number; h: number }
export interface LayoutLike { keys: readonly KeyGeometry[]; width: number; height: number }

export type TouchKind = 'tap' | 'glide';

/** Centres of KEYS in the layout (an error names a key the layout lacks). */
export function keyCentres(layout: LayoutLike): Float64Array {
  const c = new Float64Array(KEYS.length * 2);
  [...KEYS].forEach((k, i) => {
    const g = layout.keys.find((q) => q.key === k);
    if (!g) throw new Error(`keyboard: the layout has no key '${k}' (it needs a..z and ')`);
    c[2 * i] = g.x;
    c[2 * i + 1] = g.y;
  });
  return c;
}

/** Validated points of one input line: taps [[x, y]] or a glide [[x, y, t]]. */
export function checkPoints(kind: TouchKind, pts: unknown, layout: LayoutLike): number[][] {
  const what = kind === 'tap' ? 'taps' : 'glide';
  if (!Array.isArray(pts)) throw new Error(`"${what}" must be an array of points`);
  if (pts.length === 0) throw new Error(`"${what}" is empty`);
  const dim = kind === 'tap' ? 2 : 3;
  const margin = 1.5;
  return pts.map((p, i) => {
    if (!Array.isArray(p) || p.length < dim || p.slice(0, dim).some((v) => typeof v !== 'number' || !Number.isFinite(v))) {
      throw new Error(`${what}[${i}] must be [x, y${kind === 'glide' ? ', t_ms' : ''}] with finite numbers, got ${JSON.stringify(p)}`);
    }
    if (p[0] < -margin || p[0] > layout.width + margin || p[1] < -margin || p[1] > layout.height + margin) {
      throw new Error(`${what}[${i}] = [${p[0]}, ${p[1]}] is off the keyboard (${layout.width} x ${layout.height} key widths)`);
    }
    return p.slice(0, dim) as number[];
  });
}

/**
 * Glide trace resampled to points `step` key widths apart along its arc length (at most `maxPoints`,
 * the step grows for long traces), always keeping the first and last sample. Returns [x, y, t].
 */
export function resampleGlide(g: number[][], step = 0.35, maxPoints = 64): number[][] {
  let len = 0;
  for (let i = 1; i < g.length; i++) len += Math.hypot(g[i][0] - g[i - 1][0], g[i][1] - g[i - 1][1]);
  const s = Math.max(step, len / (maxPoints - 1));
  const out: number[][] = [g[0].slice(0, 3)];
  let acc = 0;
  for (let i = 1; i < g.length; i++) {
    const d = Math.hypot(g[i][0] - g[i - 1][0], g[i][1] - g[i - 1][1]);
    let from = 0;
    while (acc + (d - from) >= s) {
      const need = s - acc;
      from += need;
      const f = d > 0 ? from / d : 1;
      out.push([0, 1, 2].map((j) => g[i - 1][j] + (g[i][j] - g[i - 1][j]) * f));
      acc = 0;
    }
    acc += d - from;
  }
  const last = g[g.length - 1];
  const prev = out[out.length - 1];
  if (Math.hypot(last[0] - prev[0], last[1] - prev[1]) > 1e-6) out.push(last.slice(0, 3));
  if (out.length > maxPoints) out.length = maxPoints;
  return out;
}

/** Squared distances of a point to every key centre, in key widths. */
function dist2(x: number, y: number, centres: Float64Array, out: Float64Array): void {
  for (let k = 0; k < KEYS.length; k++) {
    const dx = x - centres[2 * k], dy = y - centres[2 * k + 1];
    out[k] = dx * dx + dy * dy;
  }
}

export interface GaussianOptions {
  /** Assumed touch spread (key widths; default 0.4 taps, 0.45 glides). */
  sigma?: number;
  /** Glides: the blank's logit, against 0 for a key right under the point (default -0.7). */
  glideBlank?: number;
}

/**
 * The baseline's frames, row-major [T, NUM_CLASSES] log-probabilities. Taps: the key frame is the
 * posterior of each key under the isotropic Gaussian (blank e^-8), the gap frame is blank (keys
 * e^-8 in all). Glides: per resampled point, keys Gaussian-weighted and a blank of fixed weight,
 * so points between key visits can emit nothing.
 */
export function gaussianFrames(kind: TouchKind, pts: number[][], layout: LayoutLike, opts: GaussianOptions = {}): { frames: Float32Array; T: number } {
  const centres = keyCentres(layout);
  const C = NUM_CLASSES, K = KEYS.length;
  const d2 = new Float64Array(K);
  const logits = new Float64Array(C);
  const seq = kind === 'tap' ? pts : resampleGlide(pts);
  const T = kind === 'tap' ? 2 * seq.length : seq.length;
  const frames = new Float32Array(T * C);
  const sigma = opts.sigma ?? (kind === 'tap' ? 0.4 : 0.45);
  const put = (t: number) => {
    let m = -Infinity;
    for (let c = 0; c < C; c++) m = Math.max(m, logits[c]);
    let z = 0;
    for (let c = 0; c < C; c++) z += Math.exp(logits[c] - m);
    const lz = m + Math.log(z);
    for (let c = 0; c < C; c++) frames[t * C + c] = logits[c] - lz;
  };
  seq.forEach((p, i) => {
    dist2(p[0], p[1], centres, d2);
    for (let k = 0; k < K; k++) logits[k + 1] = -d2[k] / (2 * sigma * sigma);
    if (kind === 'tap') {
      // normalise keys among themselves first, then give the blank e^-8
      let m = -Infinity;
      for (let k = 1; k < C; k++) m = Math.max(m, logits[k]);
      logits[0] = m - 8;
      put(2 * i);
      logits.fill(-8);
      logits[0] = 0;
      put(2 * i + 1);
    } else {
      logits[0] = opts.glideBlank ?? -0.7;
      put(i);
    }
  });
  return { frames, T };
}

/** Per-step input features of the LSTM: [x, y, dx, dy, dt] scaled to ~unit range, then the 27 Gaussian key scores. */
export const FEATURES = 5 + KEYS.length;

/**
 * Features [T, FEATURES] of one input: taps have 2 steps per tap (the tap, then the same tap with
 * a gap flag in the dt slot), glides one per resampled point (dt in units of 100 ms).
 */
export function touchFeatures(kind: TouchKind, pts: number[][], layout: LayoutLike): SpatialInput {
  const centres = keyCentres(layout);
  const seq = kind === 'tap' ? pts : resampleGlide(pts);
  const T = kind === 'tap' ? 2 * seq.length : seq.length;
  const x = new Float32Array(T * FEATURES);
  const d2 = new Float64Array(KEYS.length);
  const sx = 1 / layout.width, sy = 1 / layout.height;
  seq.forEach((p, i) => {
    const q = i > 0 ? seq[i - 1] : p;
    dist2(p[0], p[1], centres, d2);
    const rows = kind === 'tap' ? [2 * i, 2 * i + 1] : [i];
    rows.forEach((t, j) => {
      const o = t * FEATURES;
      x[o] = p[0] * sx * 2 - 1;
      x[o + 1] = p[1] * sy * 2 - 1;
      x[o + 2] = (p[0] - q[0]) / 3;
      x[o + 3] = (p[1] - q[1]) / 3;
      x[o + 4] = kind === 'tap' ? j : Math.min(5, ((p[2] ?? 0) - (q[2] ?? 0)) / 100);
      for (let k = 0; k < KEYS.length; k++) x[o + 5 + k] = Math.max(-4, -d2[k] / (2 * 0.4 * 0.4)) / 4 + 0.5;
    });
  });
  return { x, T, prior: gaussianFrames(kind, pts, layout).frames };
}

/** One input of the LSTM: features [T, FEATURES] and the Gaussian baseline's frames [T, C] it corrects. */
export interface SpatialInput { x: Float32Array; T: number; prior: Float32Array }

/** Time-major batch [T, N, ...] of inputs padded to the longest. */
export function batchInputs(inputs: readonly SpatialInput[]): { x: Float32Array; prior: Float32Array; T: number; N: number; lengths: number[] } {
  const T = Math.max(...inputs.map((i) => i.T)), N = inputs.length;
  const x = new Float32Array(T * N * FEATURES);
  const prior = new Float32Array(T * N * NUM_CLASSES);
  inputs.forEach((inp, n) => {
    for (let t = 0; t < inp.T; t++) {
      x.set(inp.x.subarray(t * FEATURES, (t + 1) * FEATURES), (t * N + n) * FEATURES);
      prior.set(inp.prior.subarray(t * NUM_CLASSES, (t + 1) * NUM_CLASSES), (t * N + n) * NUM_CLASSES);
    }
  });
  return { x, prior, T, N, lengths: inputs.map((i) => i.T) };
}

export interface SpatialConfig { kind: TouchKind; hidden: number; layers: number }

/**
 * The LSTM spatial model: a bidirectional LSTM over touchFeatures and a linear layer whose output
 * is a correction added to the Gaussian baseline's log-probabilities (its logits start small, so
 * training starts from the baseline and learns what the baseline cannot see: a touch's
 * neighbours, motion, doubled and swapped keys).
 */
export class SpatialLstm extends kiln.nn.Module {
  readonly lstm: kiln.nn.LSTM;
  readonly out: kiln.nn.Linear;
  constructor(readonly config: SpatialConfig, seed = 1) {
    super();
    this.lstm = this.module('lstm', new kiln.nn.LSTM(FEATURES, config.hidden, { numLayers: config.layers, bidirectional: true, seed }));
    this.out = this.module('out', new kiln.nn.Linear(2 * config.hidden, NUM_CLASSES, { seed: seed + 1 }));
    kiln.tidy(() => {
      this.out.weight.assign(kiln.mul(this.out.weight, 0.1));
      this.out.bias?.assign(kiln.zerosLike(this.out.bias));
    });
  }

  /** Log-probabilities [T, N, C] for a time-major batch x [T, N, FEATURES], the baseline's prior [T, N, C] and per-sequence lengths. */
  override forward(x: Tensor, prior: Tensor, lengths: number[]): Tensor {
    const [T, N] = x.shape;
    const h = this.lstm.forward(x, { lengths }).output;
    const logits = this.out.forward(kiln.reshape(h, [T * N, 2 * this.config.hidden]));
    return kiln.logSoftmax(kiln.add(kiln.reshape(logits, [T, N, NUM_CLASSES]), prior));
  }

  /** Frames of several inputs at once (one GPU pass), each [T_i, C] row-major. */
  async frames(inputs: SpatialInput[]): Promise<Float32Array[]> {
    if (!inputs.length) return [];
    const b = batchInputs(inputs);
    const { T, N } = b;
    const lp = kiln.tidy(() => kiln.noGrad(() => this.forward(kiln.tensor(b.x, [T, N, FEATURES]), kiln.tensor(b.prior, [T, N, NUM_CLASSES]), b.lengths)));
    const all = (await lp.data()) as Float32Array;
    lp.dispose();
    return inputs.map((inp, n) => {
      const f = new Float32Array(inp.T * NUM_CLASSES);
      for (let t = 0; t < inp.T; t++) f.set(all.subarray((t * N + n) * NUM_CLASSES, (t * N + n + 1) * NUM_CLASSES), t * NUM_CLASSES);
      return f;
    });
  }
}
