// Square float32 matmul, C = A·B: 2·n³ flops per run.
import type { Suite, Sampling } from './suite.ts';

// tfjs-webgpu needs ~7-10 s for one 2048³ product on lavapipe: the big sizes get few rounds.
const SAMPLING: Record<number, Sampling> = {
  256: { rounds: 9, maxTime: 2 },
  512: { rounds: 9, maxTime: 2 },
  1024: { rounds: 7, maxTime: 0 },
  2048: { rounds: 5, maxTime: 0 },
};

export const matmul: Suite[] = [256, 512, 1024, 2048].map((n) => ({
  name: `matmul_${n}`,
  needs: ['matMul'],
  inputs: [{ shape: [n, n] }, { shape: [n, n] }],
  work: { flops: 2 * n * n * n },
  kiln: (k, [a, b]) => k.matMul(a, b),
  tfjs: (tf, [a, b]) => tf.matMul(a, b),
  sampling: SAMPLING[n],
  // sums of n products of values in [-1, 1): rounding differs with the summation order
  tol: 1e-3,
}));
