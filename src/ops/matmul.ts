// Matrix multiply (tf.matMul): batched, with numpy broadcasting of the batch dims.
import { Tensor, engine, fmtShape } from '../tensor.ts';
import { matMulConfig, matMulProgram, preferredKernel, type MatMulKernel } from '../../kernels/matmul.ts';
import { assertTensor, fail } from './util.ts';
import { run } from './run.ts';
import { zeros } from './creation.ts';
import { recordMatMul } from './matmul.grad.ts';

const OP = 'matMul';
let KERNEL: MatMulKernel | null = null;
let KERNEL_ENGINE: unknown = null;

function kernelFor(): MatMulKernel {
  const e = engine();
  if (KERNEL_ENGINE !== e) {
    KERNEL = preferredKernel(e);
    KERNEL_ENGINE = e;
  }
  return KERNEL!;
}

/**
 * a [..., M, K] · b [..., K, N] -> [..., M, N], float32. With transposeA, a is read as
 * [..., K, M]; with transposeB, b as [..., N, K] (no transposed copy is made). Batch dims
 * broadcast as in numpy; both inputs need rank 2 or more.
 */
export function matMul(a: Tensor, b: Tensor, transposeA = false, transposeB = false): Tensor {
  assertTensor(OP, 'a', a);
  assertTensor(OP, 'b', b);
  const desc = `a ${fmtShape(a.shape)}${transposeA ? ' (transposeA)' : ''} and b ${fmtShape(b.shape)}${transposeB ? ' (transposeB)' : ''}`;
  if (a.rank < 2 || b.rank < 2) {
    fail(OP, `${desc}: both inputs need rank 2 or more ([..., M, K] and [..., K, N]); reshape a vector to [1, K] or [K, 1] first`);
  }
  if (a.dtype !== 'float32' || b.dtype !== 'float32') {
    fail(OP, `${desc}: dtypes are ${a.dtype} and ${b.dtype}; matMul takes float32 only. Use kiln.cast(x, 'float32') first`);
  }
  const ra = a.rank;
  const rb = b.rank;
  const M = transposeA ? a.shape[ra - 1] : a.shape[ra - 2];
  const Ka = transposeA ? a.shape[ra - 2] : a.shape[ra - 1];
  const Kb = transposeB ? b.shape[rb - 1] : b.shape[rb - 2];
  const N = transposeB ? b.shape[rb - 2] : b.shape[rb - 1];
  if (Ka !== Kb) {
    fail(OP, `${desc}: inner dimensions differ (${Ka} vs ${Kb}); expected a [..., M, K]${transposeA ? ' read as [..., K, M]' : ''} and b [..., K, N]${transposeB ? ' read as [..., N, K]' : ''} with the same K`);
  }
  const aBatch = a.shape.slice(0, -2);
  const bBatch = b.shape.slice(0, -2);
  const r = Math.max(aBatch.length, bBatch.length);
  const batch: number[] = [];
  for (let i = 0; i < r; i++) {
    const x = aBatch[aBatch.length - r + i] ?? 1;
    const y = bBatch[bBatch.length - r + i] ?? 1;
    if (x !== y && x !== 1 && y !== 1) {
      fail(OP, `${desc}: batch dimensions ${fmtShape(aBatch)} and ${fmtShape(bBatch)} cannot be broadcast (${x} vs ${y}); each must match or be 1`);
    }
    batch.push(x === 1 ? y : x);
  }
  const outShape = [...batch, M, N];
  // K = 0: every output is an empty sum. (Zero-size outputs need no dispatch: run() skips them.)
  if (Ka === 0) return recordMatMul(a, b, transposeA, transposeB, zeros(outShape));
  const kind = kernelFor();
  if (N === 1 && M > 1) {
    // Matrix x column vector: compute C^T = B^T A^T instead, which has the same memory layout
    // ([1, M] vs [M, 1]) and puts the long side across the tile's wide dimension (2x faster).
    const d = { M: 1, N: M, K: Ka, transposeA: !transposeB, transposeB: !transposeA, aBatch: bBatch, bBatch: aBatch, batch };
    return recordMatMul(a, b, transposeA, transposeB, run(matMulProgram(d, matMulConfig(1, M, kind)), [b, a], outShape, 'float32'));
  }
  const prog = matMulProgram({ M, N, K: Ka, transposeA, transposeB, aBatch, bBatch, batch }, matMulConfig(M, N, kind));
  return recordMatMul(a, b, transposeA, transposeB, run(prog, [a, b], outShape, 'float32'));
}
