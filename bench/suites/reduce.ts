// Reductions: a full sum of 1e6 values, and row (last-axis) and column reductions of a
// 1024x1024 matrix. Bytes: the input read plus the output written.
import { bytesOf, type Suite } from './suite.ts';

const M = [1024, 1024];
const ROW = [1024];

export const reduce: Suite[] = [
  {
    name: 'sum_1e6',
    needs: ['sum'],
    // positive values: the total is far from 0, so the relative check is meaningful
    inputs: [{ shape: [1e6], min: 0, max: 1 }],
    work: { bytes: bytesOf([1e6], []) },
    kiln: (k, [x]) => k.sum(x),
    tfjs: (tf, [x]) => tf.sum(x),
    // 1e6 float32 additions: the summation order shows in the 4th digit
    tol: 1e-3,
  },
  {
    name: 'sum_rows_1024x1024',
    needs: ['sum'],
    inputs: [{ shape: M }],
    work: { bytes: bytesOf(M, ROW) },
    kiln: (k, [x]) => k.sum(x, -1),
    tfjs: (tf, [x]) => tf.sum(x, -1),
  },
  {
    name: 'sum_cols_1024x1024',
    needs: ['sum'],
    inputs: [{ shape: M }],
    work: { bytes: bytesOf(M, ROW) },
    kiln: (k, [x]) => k.sum(x, 0),
    tfjs: (tf, [x]) => tf.sum(x, 0),
  },
  {
    name: 'max_rows_1024x1024',
    needs: ['max'],
    inputs: [{ shape: M }],
    work: { bytes: bytesOf(M, ROW) },
    kiln: (k, [x]) => k.max(x, -1),
    tfjs: (tf, [x]) => tf.max(x, -1),
    tol: 0,
  },
  {
    name: 'argmax_rows_1024x1024',
    needs: ['argMax'],
    inputs: [{ shape: M }],
    work: { bytes: bytesOf(M, ROW) },
    kiln: (k, [x]) => k.argMax(x, -1),
    tfjs: (tf, [x]) => tf.argMax(x, -1),
    tol: 0,
  },
  {
    name: 'logsumexp_rows_1024x1024',
    needs: ['logSumExp'],
    inputs: [{ shape: M }],
    work: { bytes: bytesOf(M, ROW) },
    kiln: (k, [x]) => k.logSumExp(x, -1),
    tfjs: (tf, [x]) => tf.logSumExp(x, -1),
  },
];
