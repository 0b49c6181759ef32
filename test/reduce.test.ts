import './setup.ts';
import { suite } from 'uvu';
import { kiln, assert, randArray, expectClose, expectThrows, numel } from './helpers.ts';
import { reduceRef, type ReduceOp } from '../kernels/reduce.ts';
import { transposeRef } from '../kernels/copy.ts';
import { engine } from '../src/tensor.ts';

const t = suite('reduce');

const OPS: [ReduceOp, (x: kiln.Tensor, axis?: number | number[], keep?: boolean) => kiln.Tensor][] = [
  ['sum', kiln.sum], ['mean', kiln.mean], ['max', kiln.max], ['min', kiln.min], ['logsumexp', kiln.logSumExp], ['prod', kiln.prod],
];

/** Reference over arbitrary axes: move them last, then reduce rows. */
function ref(op: ReduceOp, x: Float32Array, shape: number[], axes: number[]): Float64Array {
  const kept = shape.map((_, i) => i).filter((i) => !axes.includes(i));
  const tx = transposeRef(x, shape, [...kept, ...axes]);
  const len = numel(axes.map((a) => shape[a]));
  return reduceRef(op, tx, tx.length / Math.max(len, 1), len, 1);
}

const CASES: [number[], number[] | undefined][] = [
  [[17], undefined], [[3, 129], [1]], [[3, 129], [0]], [[129, 3], [0]], [[2, 3, 17], [1]], [[2, 3, 17], [0, 2]],
  [[4, 5, 6], [0, 1]], [[1], [0]], [[1, 1, 1], undefined], [[5, 1000], [1]], [[1000, 5], [0]], [[3, 4], []],
];

/** Run `body` once per row strategy: thread-per-row (software adapters) and workgroup tree (GPUs). */
async function bothPaths(body: (path: string) => Promise<void>): Promise<void> {
  const tuning = engine().tuning;
  const saved = tuning.threadRows;
  try {
    for (const threadRows of [true, false]) {
      tuning.threadRows = threadRows;
      await body(threadRows ? 'thread rows' : 'workgroup rows');
    }
  } finally {
    tuning.threadRows = saved;
  }
}

t('sum/mean/max/min/logSumExp/prod over awkward shapes and axis sets', () => bothPaths(async (path) => {
  for (const [op, fn] of OPS) {
    for (const [shape, axes] of CASES) {
      const x = randArray(numel(shape), numel(shape) + shape.length, op === 'prod' ? 0.9 : -2, op === 'prod' ? 1.1 : 2);
      const y = kiln.tidy(() => fn(kiln.tensor(x, shape), axes));
      const ax = axes ?? shape.map((_, i) => i);
      expectClose(await y.data(), ref(op, x, shape, ax), { rtol: 2e-5, atol: 1e-5 }, `${path}: ${op} ${JSON.stringify(shape)} axes ${JSON.stringify(axes)}`);
      assert.equal([...y.shape], shape.filter((_, i) => !ax.includes(i)), `${op} shape`);
      y.dispose();
    }
  }
}));

t('keepDims keeps reduced axes as 1', async () => {
  const y = kiln.sum(kiln.tensor(randArray(24, 1), [2, 3, 4]), [1], true);
  assert.equal([...y.shape], [2, 1, 4]);
});

t('large reductions of 1e6 elements (split into chunks) stay accurate', () => bothPaths(async (path) => {
  const n = 1_000_000;
  const x = randArray(n, 99, 0, 1);
  for (const [op, fn] of OPS.slice(0, 5)) {
    const y = kiln.tidy(() => fn(kiln.tensor(x, [n])));
    expectClose(await y.data(), reduceRef(op, x, 1, n, 1), { rtol: 1e-5, atol: 1e-6 }, `${path}: ${op} 1e6`);
    y.dispose();
  }
  const xm = kiln.tensor(x, [4, 250000]);
  expectClose(await kiln.sum(xm, 1).data(), reduceRef('sum', x, 4, 250000, 1), { rtol: 1e-5 }, 'rows of 250000');
  expectClose(await kiln.sum(xm, 0).data(), reduceRef('sum', x, 1, 4, 250000), { rtol: 1e-5 }, 'columns');
  const am = await kiln.argMax(kiln.tensor(x, [n])).data();
  assert.is(am[0], reduceRef('argmax', x, 1, n, 1)[0]);
  const odd = randArray(999_999, 98); // not a multiple of 4: scalar loads
  expectClose(await kiln.sum(kiln.tensor(odd)).data(), reduceRef('sum', odd, 1, odd.length, 1), { rtol: 1e-5 }, `${path}: sum 999999`);
}));

t('argMax/argMin: first index on ties, int32 output, any axis', () => bothPaths(async () => {
  const x = kiln.tensor([[1, 5, 5, 2], [7, 7, 0, 0], [3, 1, 3, 1]]);
  const a1 = kiln.argMax(x, 1);
  assert.is(a1.dtype, 'int32');
  assert.equal([...await a1.data()], [1, 0, 0]);
  assert.equal([...await kiln.argMin(x, 1).data()], [0, 2, 1]);
  assert.equal([...await kiln.argMax(x, 0).data()], [1, 1, 0, 0]);
  assert.equal([...await kiln.argMax(x, -1).data()], [1, 0, 0]);
  const big = randArray(3 * 40000, 5);
  const got = await kiln.argMax(kiln.tensor(big, [3, 40000]), 1).data();
  assert.equal([...got], [...reduceRef('argmax', big, 3, 40000, 1)]);
}));

t('NaN propagates through max, like PyTorch', async () => {
  const y = await kiln.max(kiln.tensor([1, NaN, 3]), 0).data();
  assert.ok(Number.isNaN(y[0]));
  assert.is((await kiln.argMax(kiln.tensor([1, NaN, 3]))).toString().length > 0, true);
  assert.equal([...await kiln.argMax(kiln.tensor([1, NaN, 3])).data()], [1]);
});

t('logSumExp is stable for |x| ~ 100 and -inf rows', async () => {
  expectClose(await kiln.logSumExp(kiln.tensor([[100, 100], [-100, -100]]), 1).data(), [100 + Math.LN2, -100 + Math.LN2], { rtol: 1e-6 });
  const y = await kiln.logSumExp(kiln.tensor([-Infinity, -Infinity])).data();
  assert.is(y[0], -Infinity);
});

t('bad axes and dtypes are reported', () => {
  expectThrows(() => kiln.sum(kiln.zeros([2, 3]), 2), /kiln\.sum/, /axis 2/, /\[2,3\]/);
  expectThrows(() => kiln.sum(kiln.zeros([2, 3]), [1, -1]), /repeated axis/);
  expectThrows(() => kiln.max(kiln.zeros([2], 'int32')), /kiln\.max/, /int32/);
  expectThrows(() => kiln.argMax(kiln.zeros([0, 3]), 0), /argMax/, /empty/);
});

t.run();
