// Square float32 matmul, C = A·B: 2·n³ flops per run.
import type { Suite, Sampling } from './suite.ts';

// tfjs-webgpu needs ~10 s for one 2048³ product on lavapipe: the big sizes get few samples.
const SAMPLING: Record<number, Sampling> = {
  256: { min: 20, maxTime: 2 },
  512: { min: 10, maxTime: 2 },
  1024: { min: 5, maxTime: 1 },
  2048: { min: 3, maxTime: 0 },
};

export const matmul: Suite[] = [256, 512, 1024, 2048].map((n) => ({
  name: `matmul_${n}`,
  needs: ['matMul'],
  inputs: [{ shape: [n, n] }, { shape: [n, n] }],
  work: { flops: 2 * n * n * n },
  kiln: (k, [a, b]) => k.matMul(a, b),
  tfjs: (tf, [a, b]) => tf.matMul(a, b),
  sampling: SAMPLING[n],
  warmup: n >= 2048 ? 1 : 2,
  // sums of n products of values in [-1, 1): rounding differs with the summation order
  tol: 1e-3,
}));
