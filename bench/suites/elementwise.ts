// Elementwise ops over 1e6 float32 values (memory-bound: bytes = inputs read + output written).
import { bytesOf, type Suite } from './suite.ts';

const N = [1e6];
const M = [1024, 1024];
const ROW = [1024];

export const elementwise: Suite[] = [
  {
    name: 'add_1e6',
    needs: ['add'],
    inputs: [{ shape: N }, { shape: N }],
    work: { bytes: bytesOf(N, N, N) },
    kiln: (k, [a, b]) => k.add(a, b),
    tfjs: (tf, [a, b]) => tf.add(a, b),
  },
  {
    name: 'add_bcast_1024x1024_1024',
    needs: ['add'],
    inputs: [{ shape: M }, { shape: ROW }],
    work: { bytes: bytesOf(M, ROW, M) },
    kiln: (k, [a, b]) => k.add(a, b),
    tfjs: (tf, [a, b]) => tf.add(a, b),
  },
  {
    name: 'mul_1e6',
    needs: ['mul'],
    inputs: [{ shape: N }, { shape: N }],
    work: { bytes: bytesOf(N, N, N) },
    kiln: (k, [a, b]) => k.mul(a, b),
    tfjs: (tf, [a, b]) => tf.mul(a, b),
  },
  {
    name: 'relu_1e6',
    needs: ['relu'],
    inputs: [{ shape: N }],
    work: { bytes: bytesOf(N, N) },
    kiln: (k, [x]) => k.relu(x),
    tfjs: (tf, [x]) => tf.relu(x),
  },
  {
    name: 'sigmoid_1e6',
    needs: ['sigmoid'],
    inputs: [{ shape: N, min: -6, max: 6 }],
    work: { bytes: bytesOf(N, N) },
    kiln: (k, [x]) => k.sigmoid(x),
    tfjs: (tf, [x]) => tf.sigmoid(x),
  },
  {
    // Per-op cost of the library itself: 100 dependent adds on 64 values (the GPU work is tiny),
    // as in an unrolled recurrent step. Rate: bytes moved, but the ms per op is the point.
    name: 'add_chain_100x64',
    needs: ['add'],
    inputs: [{ shape: [64] }, { shape: [64] }],
    work: { bytes: 100 * bytesOf([64], [64], [64]) },
    kiln: (k, [a, b]) => { let v = a; for (let i = 0; i < 100; i++) v = k.add(v, b); return v; },
    tfjs: (tf, [a, b]) => { let v = a; for (let i = 0; i < 100; i++) v = tf.add(v, b); return v; },
    tol: 1e-3,
  },
];
