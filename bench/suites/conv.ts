// conv2d of ResNet/MobileNet-sized layers (NHWC, HWIO, SAME): 2*N*OH*OW*Cout*KH*KW*Cin flops.
//   conv2d3x3_56x56x64             implicit GEMM (shaders/conv2d.wgsl)
//   pointwise_conv2d_56x56x128     1x1 stride 1: one matMul over views of x and the filter
import type { Suite, KilnOps } from './suite.ts';
import type { Tensor } from '../../src/index.ts';

/** kiln's conv2d (not in KilnOps: looked up by name at run time like every suite op). */
type ConvOps = KilnOps & { conv2d(x: Tensor, f: Tensor, strides: number, pad: 'same' | 'valid'): Tensor };

const SIZES: { name: string; x: number[]; k: number; cout: number; s: number }[] = [
  { name: 'conv2d3x3_56x56x64', x: [1, 56, 56, 64], k: 3, cout: 64, s: 1 },
  { name: 'pointwise_conv2d_56x56x128', x: [1, 56, 56, 128], k: 1, cout: 128, s: 1 },
];

export const conv: Suite[] = SIZES.map(({ name, x, k, cout, s }) => {
  const [N, H, W, C] = x;
  const OH = Math.ceil(H / s), OW = Math.ceil(W / s);
  return {
    name,
    needs: ['conv2d' as keyof KilnOps],
    inputs: [{ shape: x }, { shape: [k, k, C, cout] }],
    work: { flops: 2 * N * OH * OW * cout * k * k * C },
    kiln: (kk, [a, f]) => (kk as ConvOps).conv2d(a, f, s, 'same'),
    tfjs: (tf, [a, f]) => tf.conv2d(a as Parameters<typeof tf.conv2d>[0], f as Parameters<typeof tf.conv2d>[1], s, 'same'),
    sampling: { rounds: 9, maxTime: 2 },
    // sums of up to 576 products of values in [-1, 1)
    tol: 1e-3,
  };
});
