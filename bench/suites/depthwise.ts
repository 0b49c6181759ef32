// Depthwise 3x3 convolutions of MobileNet v1's first blocks (NHWC, SAME, multiplier 1):
// 2*N*OH*OW*C*9 flops per run (memory-bound: x and y dominate the traffic).
import type { Suite, KilnOps } from './suite.ts';
import type { Tensor } from '../../src/index.ts';

/** kiln's depthwiseConv2d (not in KilnOps: looked up by name at run time like every suite op). */
type DwOps = KilnOps & { depthwiseConv2d(x: Tensor, f: Tensor, strides: number, pad: 'same' | 'valid'): Tensor };

const SIZES: { name: string; x: number[]; s: number }[] = [
  { name: 'depthwise3x3_s1_112x112x32', x: [1, 112, 112, 32], s: 1 },
  { name: 'depthwise3x3_s2_112x112x64', x: [1, 112, 112, 64], s: 2 },
];

export const depthwise: Suite[] = SIZES.map(({ name, x, s }) => {
  const [N, H, W, C] = x;
  const OH = Math.ceil(H / s), OW = Math.ceil(W / s);
  return {
    name,
    needs: ['depthwiseConv2d' as keyof KilnOps],
    inputs: [{ shape: x }, { shape: [3, 3, C, 1] }],
    work: { flops: 2 * N * OH * OW * C * 9 },
    kiln: (k, [a, f]) => (k as DwOps).depthwiseConv2d(a, f, s, 'same'),
    tfjs: (tf, [a, f]) => tf.depthwiseConv2d(a as Parameters<typeof tf.depthwiseConv2d>[0], f as Parameters<typeof tf.depthwiseConv2d>[1], s, 'same'),
    sampling: { rounds: 9, maxTime: 2 },
  };
});
