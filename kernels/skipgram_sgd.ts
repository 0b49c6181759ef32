// Skip-gram negative-sampling training step over a list of (context, centre) pairs
// (shaders/skipgram_sgd.wgsl): word2vec's inner loop with SGD written into W_in / W_out in place.
// The CPU reference below runs the same pairs in the same order with the same random numbers.
import { grid, Uniforms, type Program } from '../src/gpu/runtime.ts';
import { memo } from '../src/gpu/memo.ts';

export const SGD_WG = 64;
/** Lanes that run together take pairs this far apart in the list (see the shader). */
export const SGD_SPREAD = 64;

export interface SkipGramSgdDims { n: number; d: number; v: number; k: number }

export const skipGramSgdProgram = memo((n: number, d: number, v: number, k: number, noise: number, seed: number, lr: number): Program => {
  const vec4 = d % 4 === 0;
  return {
    shader: 'skipgram_sgd', label: 'skipGramSgd',
    defines: { VEC4: vec4, DV: vec4 ? d / 4 : d },
    workgroups: grid(n, SGD_WG),
    uniforms: new Uniforms().u32(n, n / SGD_SPREAD, SGD_SPREAD, v, k, noise, seed >>> 0).f32(lr),
  };
}, 64);

/** The shader's PCG hash (32-bit). */
export function pcg(v: number): number {
  const s = (Math.imul(v >>> 0, 747796405) + 2891336453) >>> 0;
  const w = Math.imul(((s >>> ((s >>> 28) + 4)) ^ s) >>> 0, 277803737) >>> 0;
  return ((w >>> 22) ^ w) >>> 0;
}

/** Thread t's pair index: lanes that run together take pairs SGD_SPREAD apart. */
export function sgdPairOf(t: number, n: number): number {
  const l = n / SGD_SPREAD;
  return (t % l) * SGD_SPREAD + Math.floor(t / l);
}

/** The noise words pair p draws (before skipping draws equal to its centre word). */
export function sgdNoiseDraws(p: number, seed: number, k: number, noise: ArrayLike<number>): number[] {
  let st = pcg((seed ^ pcg(p)) >>> 0);
  const out: number[] = [];
  for (let q = 0; q < k; q++) { st = pcg(st); out.push(noise[st % noise.length]); }
  return out;
}

const logsig = (x: number) => -(Math.max(-x, 0) + Math.log1p(Math.exp(-Math.abs(x))));
const sigmoid = (x: number) => 1 / (1 + Math.exp(-x));

/**
 * CPU reference on float32 tables updated in place: pairs (int32 [n, 2]: context, centre) in thread
 * order, each fully before the next. Equal to the GPU (up to rounding) when no two pairs that run
 * at once touch the same row. Returns the per-thread loss.
 */
export function skipGramSgdRef(pairs: Int32Array, noise: Int32Array, win: Float32Array, wout: Float32Array, dims: SkipGramSgdDims, seed: number, lr: number): Float64Array {
  const { n, d, v, k } = dims;
  const valid = (i: number) => i >= 0 && i < v;
  const loss = new Float64Array(n);
  const e = new Float64Array(d);
  for (let t = 0; t < n; t++) {
    const p = sgdPairOf(t, n);
    const c = pairs[2 * p];
    const w = pairs[2 * p + 1];
    if (!valid(c) || !valid(w)) continue;
    const co = c * d;
    e.fill(0);
    const targets: [number, number][] = [[w, 1], ...sgdNoiseDraws(p, seed, k, noise).filter((x) => x !== w && valid(x)).map((x): [number, number] => [x, 0])];
    for (const [tg, label] of targets) {
      const to = tg * d;
      let s = 0;
      for (let j = 0; j < d; j++) s += win[co + j] * wout[to + j];
      const a = lr * (label - sigmoid(s));
      for (let j = 0; j < d; j++) {
        e[j] += a * wout[to + j];
        wout[to + j] += a * win[co + j];
      }
      loss[t] -= logsig(label ? s : -s);
    }
    for (let j = 0; j < d; j++) win[co + j] += e[j];
  }
  return loss;
}
