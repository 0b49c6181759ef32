// What a benchmark suite is: one op at one size (or one model), written once for kiln and once
// for tfjs-core, fed the same input values. bench/run.ts times both sides, interleaved round by
// round, and checks they agree.
import type * as tfc from '@tensorflow/tfjs-core';
import type * as tfl from '@tensorflow/tfjs-layers';
import type * as tfconv from '@tensorflow/tfjs-converter';
import type { Tensor } from '../../src/index.ts';

/** tfjs-core with tfjs-webgpu, plus the two model loaders (one bundle, one tfjs-core: bench/tfjs.ts) */
export type TF = typeof tfc & Pick<typeof tfl, 'loadLayersModel'> & Pick<typeof tfconv, 'loadGraphModel'>;
export type TFTensor = tfc.Tensor;

/**
 * The kiln ops the suites call, with tfjs's signatures. Looked up at run time, so a suite whose
 * op is not exported yet is skipped with the reason instead of failing the whole run.
 */
export interface KilnOps {
  matMul(a: Tensor, b: Tensor, transposeA?: boolean, transposeB?: boolean): Tensor;
  softmax(x: Tensor, axis?: number): Tensor;
  logSoftmax(x: Tensor, axis?: number): Tensor;
  sum(x: Tensor, axis?: number | number[], keepDims?: boolean): Tensor;
  mean(x: Tensor, axis?: number | number[], keepDims?: boolean): Tensor;
  max(x: Tensor, axis?: number | number[], keepDims?: boolean): Tensor;
  min(x: Tensor, axis?: number | number[], keepDims?: boolean): Tensor;
  argMax(x: Tensor, axis?: number): Tensor;
  logSumExp(x: Tensor, axis?: number | number[], keepDims?: boolean): Tensor;
  add(a: Tensor, b: Tensor): Tensor;
  mul(a: Tensor, b: Tensor | number): Tensor;
  relu(x: Tensor): Tensor;
  sigmoid(x: Tensor): Tensor;
  sub(a: Tensor, b: Tensor | number): Tensor;
  grads(f: (...xs: Tensor[]) => Tensor): (xs: Tensor[], dy?: Tensor) => Tensor[];
  softmaxCrossEntropy(labels: Tensor, logits: Tensor): Tensor;
}

export interface Input {
  shape: number[];
  /** values are uniform in [min, max); default [-1, 1) */
  min?: number;
  max?: number;
}

/** How many interleaved rounds a suite gets (bench/README.md). */
export interface Sampling {
  /** timed rounds at least (each: one batch of kiln runs and one of tfjs runs) */
  rounds: number;
  /** seconds: after `rounds`, keep adding rounds until the timed rounds have lasted this long (41 at most) */
  maxTime: number;
}

export interface Suite {
  /** stable name, tracked across commits: <op>_<size> */
  name: string;
  /** kiln exports the suite calls */
  needs: (keyof KilnOps)[];
  inputs: Input[];
  /**
   * per run: floating-point operations (reported as GFLOP/s) or bytes read + written (GB/s); read
   * once the sides are set up, so a model suite may count its own in setup
   */
  work: { flops: number } | { bytes: number };
  /** one run; several outputs (a model's heads) are compared concatenated, in order */
  kiln(k: KilnOps, x: Tensor[]): Tensor | Tensor[];
  tfjs(tf: TF, x: TFTensor[]): TFTensor | TFTensor[];
  /** full-run rounds; default { rounds: 9, maxTime: 2 }; --quick: 3 rounds */
  sampling?: Sampling;
  /**
   * untimed warm-up rounds before timing, at least 2 (the first runs each side once and reads the
   * output back: shader compiles, the check; the second sizes each side's batch); default 2
   */
  warmup?: number;
  /** largest accepted |kiln - tfjs| / max|tfjs|; default 1e-4 (exact for integer outputs) */
  tol?: number;
  /** instead of `tol`: largest accepted max |kiln - tfjs| (absolute; the row prints the measured value) */
  tolAbs?: number;
  /**
   * Untimed per-side setup before that side's first run (e.g. a model's weights, built once): the
   * promise's result is called when the side is done, to free what setup made.
   */
  setup?: { kiln?(): Promise<() => void>; tfjs?(tf: TF): Promise<() => void> };
  /** set when the tfjs side is not run for this suite (too slow here): the row says why */
  tfjsSkip?: string;
}

export const F32 = 4;

/** Bytes of float32 data in tensors of these shapes. */
export function bytesOf(...shapes: number[][]): number {
  let n = 0;
  for (const s of shapes) n += s.reduce((a, b) => a * b, 1) * F32;
  return n;
}

/** Deterministic uniform values (mulberry32), the same for both libraries. */
export function uniform(n: number, min: number, max: number, seed: number): Float32Array {
  let s = seed >>> 0;
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    out[i] = min + (max - min) * (((t ^ (t >>> 14)) >>> 0) / 4294967296);
  }
  return out;
}
