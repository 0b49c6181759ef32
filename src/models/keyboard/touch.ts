// Synthetic touch input for the keyboard decoder: noisy taps and glide (swipe) traces for words on
// a KeyboardLayout, as touch-file JSON Lines ({"id", "context", "taps" or "glide", optional "prefix"}). The noise models
// follow the touch literature closely enough that a decoder tuned on them is not tuned to a toy:
// taps scatter per FFitts law (Bi, Li & Zhai 2013), glides slow down at keys and cut corners.
import { rng } from '../../util/numeric.ts';
import { KeyboardLayout, type Key } from './layout.ts';

export type Tap = [number, number];
export type GlidePoint = [number, number, number];

export interface TapNoise {
  /** One isotropic std in key widths (e.g. 0.3); when set it replaces the FFitts sigma below. */
  sigma?: number;
  /** FFitts absolute finger precision, key widths: the spread even a tiny target gets. */
  sigmaFinger?: number;
  /** FFitts relative term: sigma_x^2 = sigmaFinger^2 + (alpha * w)^2, likewise y with h. */
  alpha?: number;
  /**
   * Event rates. Per key: pNeighbour aims at an edge-adjacent letter key's centre instead (before
   * the Gaussian noise), pOmit drops the tap, pDouble adds a second tap on the same key. Per
   * adjacent pair of different letters: pSwap types them in the other order.
   */
  pNeighbour?: number; pOmit?: number; pDouble?: number; pSwap?: number;
}

/**
 * Defaults: sigmaFinger 0.2 and alpha 0.15 give sigma 0.25 on a unit key (about 1.5 mm on a 6 mm
 * phone key, in line with measured thumb/index-finger scatter), so ~9% of taps land off the
 * intended key from scatter alone. The explicit events are rarer (1-2% per key), matching the
 * insertion/omission/transposition rates of fast mobile typing.
 */
export const TAP_DEFAULTS: Required<Omit<TapNoise, 'sigma'>> = { sigmaFinger: 0.2, alpha: 0.15, pNeighbour: 0.02, pOmit: 0.01, pDouble: 0.01, pSwap: 0.01 };

export interface GlideNoise {
  /** Mean sampling interval, ms (touch screens report at 60-120 Hz), and its relative uniform jitter (< 0.5). */
  sampleMs?: number; sampleJitter?: number;
  /** Fitts's law per segment: ms = fittsA + fittsB * log2(1 + distance / keyWidth). */
  fittsA?: number; fittsB?: number;
  /** Std of a per-word log speed factor: some users swipe faster than others. */
  tempoJitter?: number;
  /** Fraction of speed at key arrivals vs a constant-speed stroke (0: constant, 1: full stop at every key). */
  slowdown?: number;
  /** White positional noise per sample, key widths. */
  noise?: number;
  /** Std of a slowly drifting offset (an Ornstein-Uhlenbeck process), key widths, and its correlation time. */
  drift?: number; driftMs?: number;
  /** Corner rounding: each corner is cut this fraction of the adjoining segments, at most maxCut key widths. */
  corner?: number; maxCut?: number;
  /** Std of where the finger lands at the start and lifts at the end, key widths. */
  startJitter?: number; endJitter?: number;
  /** For a doubled letter: probability of a small loop on the key, its radius, and its duration. */
  pLoop?: number; loopRadius?: number; loopMs?: number;
  /** Whether the trace visits the apostrophe key (swipers usually skip it; the lexicon restores it). */
  apostrophe?: boolean;
}

/**
 * Defaults give ~130 ms for a one-key hop and ~250 ms across the keyboard, so a 5-letter word
 * takes 0.6-1 s, as in gesture-typing studies; positional noise (0.04 white + 0.08 drift) is well
 * under tap scatter because a swipe is a continuous, visually guided motion. Corner cuts of at most
 * 0.35 keep the trace within ~0.2 of a key centre even on a reversal.
 */
export const GLIDE_DEFAULTS: Required<GlideNoise> = {
  sampleMs: 15, sampleJitter: 0.2, fittsA: 50, fittsB: 80, tempoJitter: 0.15, slowdown: 0.6, noise: 0.04, drift: 0.08, driftMs: 400,
  corner: 0.3, maxCut: 0.35, startJitter: 0.1, endJitter: 0.1, pLoop: 0.3, loopRadius: 0.15, loopMs: 150, apostrophe: false,
};

export type TouchEventKind = 'omit' | 'double' | 'neighbour' | 'swap';
/** A noise event at `index` (a position in the word; for swap, the first of the pair). */
export interface TouchEvent { kind: TouchEventKind; index: number; key?: string }

/** aimed: the key each tap went for (a neighbour on a fat-finger hit); intended: the letter each tap was meant to type. */
export interface TapAttempt { taps: Tap[]; aimed: string[]; intended: string[]; events: TouchEvent[] }
export interface GlideAttempt { glide: GlidePoint[]; waypoints: [number, number][] }

/** Standard normal draws from a [0,1) generator (Box-Muller, both values used). */
export function gaussian(rand: () => number): () => number {
  let spare: number | null = null;
  return () => {
    if (spare !== null) { const s = spare; spare = null; return s; }
    const r = Math.sqrt(-2 * Math.log(1 - rand()));
    const th = 2 * Math.PI * rand();
    spare = r * Math.sin(th);
    return r * Math.cos(th);
  };
}

/** The per-axis tap std for `key` under `opts`. */
export function tapSigma(key: Key, opts: TapNoise = {}): [number, number] {
  if (opts.sigma !== undefined) return [opts.sigma, opts.sigma];
  const f = opts.sigmaFinger ?? TAP_DEFAULTS.sigmaFinger, a = opts.alpha ?? TAP_DEFAULTS.alpha;
  return [Math.sqrt(f * f + (a * key.w) ** 2), Math.sqrt(f * f + (a * key.h) ** 2)];
}

function spell(layout: KeyboardLayout, word: string): string[] {
  const chars = [...word.toLowerCase()];
  for (const c of chars) if (!layout.has(c) || c === ' ') throw new Error(`word ${JSON.stringify(word)}: ${JSON.stringify(c)} has no key on ${layout.name}`);
  return chars;
}

const clamp = (v: number, hi: number) => Math.min(hi, Math.max(0, v));

/** Defaults overridden by the options that are set: an explicit `undefined` keeps the default. */
function withDefaults<T extends object>(defaults: Required<T>, opts: T): Required<T> {
  const out = { ...defaults };
  for (const k of Object.keys(defaults) as (keyof T)[]) if (opts[k] !== undefined) out[k] = opts[k] as Required<T>[keyof T];
  return out;
}

/** Noisy taps for `word`; `aimed` is the key each tap was aimed at, after the noise events. */
export function generateTaps(layout: KeyboardLayout, word: string, rand: () => number, opts: TapNoise = {}): TapAttempt {
  const o = withDefaults<Omit<TapNoise, 'sigma'>>(TAP_DEFAULTS, opts);
  const g = gaussian(rand);
  const chars = spell(layout, word);
  const events: TouchEvent[] = [];
  const order = chars.map((_, i) => i);
  for (let i = 0; i + 1 < order.length; i++) {
    if (chars[i] !== chars[i + 1] && rand() < o.pSwap) {
      [order[i], order[i + 1]] = [order[i + 1], order[i]];
      events.push({ kind: 'swap', index: i });
      i++; // a letter takes part in one swap at most
    }
  }
  const taps: Tap[] = [], aimed: string[] = [], intended: string[] = [];
  const letters = new Set(layout.letters);
  const hit = (k: Key) => {
    const [sx, sy] = tapSigma(k, opts);
    // A touch screen only reports points on the keyboard.
    taps.push([clamp(k.x + sx * g(), layout.width), clamp(k.y + sy * g(), layout.height)]);
    aimed.push(k.key);
  };
  order.forEach((ci, pos) => {
    // Never omit every key: an empty attempt is not a word attempt at all.
    const lastChance = pos === order.length - 1 && taps.length === 0;
    if (!lastChance && rand() < o.pOmit) { events.push({ kind: 'omit', index: pos, key: chars[ci] }); return; }
    let k = layout.key(chars[ci]);
    if (rand() < o.pNeighbour) {
      const near = layout.neighbours(k.key).filter((n) => letters.has(n));
      if (near.length > 0) {
        k = near[Math.floor(rand() * near.length)];
        events.push({ kind: 'neighbour', index: pos, key: k.key });
      }
    }
    hit(k);
    intended.push(chars[ci]);
    if (rand() < o.pDouble) { events.push({ kind: 'double', index: pos, key: k.key }); hit(k); intended.push(chars[ci]); }
  });
  return { taps, aimed, intended, events };
}

type Pt = [number, number];
const sub = (a: Pt, b: Pt): Pt => [a[0] - b[0], a[1] - b[1]];
const len = (a: Pt) => Math.hypot(a[0], a[1]);

/** The waypoints a glide aims through, and which of the hops between them are parts of a loop. */
function glideWaypoints(layout: KeyboardLayout, word: string, rand: () => number, g: () => number, o: Required<GlideNoise>) {
  const chars = spell(layout, word).filter((c) => o.apostrophe || c !== "'");
  if (chars.length === 0) throw new Error(`word ${JSON.stringify(word)}: nothing to glide through`);
  const pts: Pt[] = [], loop: boolean[] = [];
  const add = (p: Pt, isLoop: boolean) => { if (pts.length > 0) loop.push(isLoop); pts.push(p); };
  for (let i = 0; i < chars.length; i++) {
    if (i > 0 && chars[i] === chars[i - 1]) continue; // a doubled letter is one visit
    const k = layout.key(chars[i]);
    add([k.x, k.y], false);
    if (chars[i + 1] === chars[i] && rand() < o.pLoop) {
      // A loop starting and ending on the centre: three points on a circle through it.
      const phi = 2 * Math.PI * rand(), r = o.loopRadius;
      const cx = k.x + r * Math.cos(phi), cy = k.y + r * Math.sin(phi);
      for (let j = 1; j <= 3; j++) add([cx + r * Math.cos(phi + Math.PI + (j * Math.PI) / 2), cy + r * Math.sin(phi + Math.PI + (j * Math.PI) / 2)], true);
      add([k.x, k.y], true);
    }
  }
  if (pts.length === 1) add([pts[0][0], pts[0][1]], false); // a one-key word: a short stroke on that key
  pts[0] = [pts[0][0] + o.startJitter * g(), pts[0][1] + o.startJitter * g()];
  const n = pts.length - 1;
  pts[n] = [pts[n][0] + o.endJitter * g(), pts[n][1] + o.endJitter * g()];
  return { pts, loop };
}

/**
 * The rounded path as a dense polyline, with `knots[i]` the arc length where hop i starts (the
 * middle of corner i, so a hop's time covers half of each corner).
 */
function roundedPath(pts: Pt[], o: Required<GlideNoise>): { poly: Pt[]; arc: number[]; knots: number[] } {
  const poly: Pt[] = [pts[0]], arc = [0], knots = [0];
  const push = (p: Pt) => { arc.push(arc[arc.length - 1] + len(sub(p, poly[poly.length - 1]))); poly.push(p); };
  const STEPS = 16;
  for (let i = 1; i < pts.length - 1; i++) {
    const d1 = sub(pts[i], pts[i - 1]), d2 = sub(pts[i + 1], pts[i]);
    const l1 = len(d1), l2 = len(d2);
    const c1 = Math.min(o.corner * l1, o.maxCut, l1 / 2), c2 = Math.min(o.corner * l2, o.maxCut, l2 / 2);
    if (l1 < 1e-9 || l2 < 1e-9) { push(pts[i]); knots.push(arc[arc.length - 1]); continue; }
    const a: Pt = [pts[i][0] - (d1[0] / l1) * c1, pts[i][1] - (d1[1] / l1) * c1];
    const b: Pt = [pts[i][0] + (d2[0] / l2) * c2, pts[i][1] + (d2[1] / l2) * c2];
    push(a);
    // Quadratic Bezier a -> (control at the key centre) -> b: the finger cuts the corner.
    for (let s = 1; s <= STEPS; s++) {
      const t = s / STEPS, u = 1 - t;
      push([u * u * a[0] + 2 * u * t * pts[i][0] + t * t * b[0], u * u * a[1] + 2 * u * t * pts[i][1] + t * t * b[1]]);
      if (s === STEPS / 2) knots.push(arc[arc.length - 1]);
    }
  }
  push(pts[pts.length - 1]);
  knots.push(arc[arc.length - 1]);
  return { poly, arc, knots };
}

function pointAt(poly: Pt[], arc: number[], s: number): Pt {
  let lo = 0, hi = arc.length - 1;
  while (hi - lo > 1) { const m = (lo + hi) >> 1; if (arc[m] <= s) lo = m; else hi = m; }
  const span = arc[hi] - arc[lo], f = span > 0 ? Math.min(1, Math.max(0, (s - arc[lo]) / span)) : 0;
  return [poly[lo][0] + f * (poly[hi][0] - poly[lo][0]), poly[lo][1] + f * (poly[hi][1] - poly[lo][1])];
}

/** A glide trace for `word`: [x, y, t_ms] samples from t = 0, t strictly increasing. */
export function generateGlide(layout: KeyboardLayout, word: string, rand: () => number, opts: GlideNoise = {}): GlideAttempt {
  const o = withDefaults<GlideNoise>(GLIDE_DEFAULTS, opts);
  const g = gaussian(rand);
  const { pts, loop } = glideWaypoints(layout, word, rand, g, o);
  const { poly, arc, knots } = roundedPath(pts, o);
  const tempo = Math.exp(o.tempoJitter * g());
  const unit = layout.letters[0]?.w ?? 1;
  const loopLen = loop.reduce((s, l, i) => s + (l ? len(sub(pts[i + 1], pts[i])) : 0), 0);
  const ends = [0];
  for (let i = 0; i < loop.length; i++) {
    const d = len(sub(pts[i + 1], pts[i]));
    // Fitts's law does not describe a loop (no target to acquire), so a loop takes loopMs in all.
    const ms = loop[i] ? (o.loopMs * d) / Math.max(loopLen, 1e-9) : (o.fittsA + o.fittsB * Math.log2(1 + d / unit)) * tempo;
    ends.push(ends[i] + ms);
  }
  const total = ends[ends.length - 1];
  // Mostly constant speed, blended with minimum jerk so the finger slows at each key.
  const profile = (t: number) => (1 - o.slowdown) * t + o.slowdown * t * t * t * (10 - 15 * t + 6 * t * t);
  const times: number[] = [0];
  for (let t = o.sampleMs * (1 + o.sampleJitter * (2 * rand() - 1)); t < total - 1; t += o.sampleMs * (1 + o.sampleJitter * (2 * rand() - 1))) times.push(t);
  times.push(total);
  const rho = (dt: number) => Math.exp(-dt / o.driftMs);
  let dx = o.drift * g(), dy = o.drift * g(), prev = 0, seg = 0;
  const glide: GlidePoint[] = times.map((t) => {
    const r = rho(t - prev), q = Math.sqrt(1 - r * r);
    dx = r * dx + q * o.drift * g();
    dy = r * dy + q * o.drift * g();
    prev = t;
    while (seg < loop.length - 1 && t > ends[seg + 1]) seg++;
    const tau = Math.min(1, (t - ends[seg]) / Math.max(ends[seg + 1] - ends[seg], 1e-9));
    const [x, y] = pointAt(poly, arc, knots[seg] + profile(tau) * (knots[seg + 1] - knots[seg]));
    return [clamp(x + dx + o.noise * g(), layout.width), clamp(y + dy + o.noise * g(), layout.height), t];
  });
  return { glide, waypoints: pts };
}

export interface WordItem { id: string; word: string; context: readonly string[] }
export interface TapLine { id: string; context: string[]; taps: Tap[]; prefix?: true }
export interface GlideLine { id: string; context: string[]; glide: GlidePoint[] }
export type TouchLine = TapLine | GlideLine;
/** A line for the touch file plus the truth: the intended word, and what was actually attempted. */
export interface TouchSample { line: TouchLine; word: string; typed: string; events: TouchEvent[]; /** Taps only: the letter each tap was meant to type (omitted letters absent, doubles twice, swaps swapped). */ keys?: string }

export interface TouchLinesOptions extends TapNoise, GlideNoise {
  kind: 'tap' | 'glide';
  seed: number;
  /** Tap only: probability that a word is cut to a prefix (a completion task); default 0. */
  prefix?: number;
  /** Shortest prefix typed, in letters; default 2 (after one letter a completion is a unigram guess). */
  minPrefix?: number;
  layout?: KeyboardLayout;
}

/** Line i's generator depends only on (seed, i): editing one word leaves every other line as it was. */
function lineSeed(seed: number, i: number): number {
  let h = Math.imul((seed >>> 0) ^ 0x9e3779b9, 0x85ebca6b) ^ Math.imul(i + 1, 0xc2b2ae35);
  h = Math.imul(h ^ (h >>> 16), 0x7feb352d);
  return (h ^ (h >>> 15)) >>> 0;
}

const r3 = (v: number) => Math.round(v * 1000) / 1000;

/** Touch-file lines (README format, coordinates to 3 decimals) for `words`, deterministic in `seed`. */
export function touchLines(words: readonly WordItem[], opts: TouchLinesOptions): TouchSample[] {
  const layout = opts.layout ?? KeyboardLayout.load();
  const pPrefix = opts.prefix ?? 0, minPrefix = opts.minPrefix ?? 2;
  if (opts.kind !== 'tap' && opts.kind !== 'glide') throw new Error(`touchLines: kind must be 'tap' or 'glide' (got ${JSON.stringify(opts.kind)})`);
  if (opts.kind === 'glide' && pPrefix > 0) throw new Error('touchLines: prefixes are for taps; nobody glides half a word');
  return words.map(({ id, word, context }, i) => {
    const rand = rng(lineSeed(opts.seed, i));
    const ctx = context.map((c) => c.toLowerCase());
    const full = word.toLowerCase();
    if (opts.kind === 'glide') {
      const { glide } = generateGlide(layout, full, rand, opts);
      return { line: { id, context: ctx, glide: glide.map(([x, y, t]) => [r3(x), r3(y), r3(t)] as GlidePoint) }, word: full, typed: full, events: [] };
    }
    const chars = [...full];
    let typed = full, isPrefix = false;
    if (pPrefix > 0 && chars.length > minPrefix && rand() < pPrefix) {
      typed = chars.slice(0, minPrefix + Math.floor(rand() * (chars.length - minPrefix))).join('');
      isPrefix = true;
    }
    const { taps, events, intended } = generateTaps(layout, typed, rand, opts);
    const line: TapLine = { id, context: ctx, taps: taps.map(([x, y]) => [r3(x), r3(y)] as Tap) };
    if (isPrefix) line.prefix = true;
    return { line, word: full, typed, events, keys: intended.join('') };
  });
}

/** The lines as a JSON Lines file. */
export function touchJsonl(samples: readonly TouchSample[]): string {
  return samples.map((s) => JSON.stringify(s.line) + '\n').join('');
}
