import './setup.ts';
import { suite } from 'uvu';
import { kiln, assert, randArray, expectClose, expectTensor, expectThrows, numel, type Tol } from './helpers.ts';
import { matMulConfig, matMulProgram, matMulRef, type MatMulKernel } from '../kernels/matmul.ts';
import { run } from '../src/ops/run.ts';

const t = suite('matmul');

// Inputs are uniform in [-1, 1]. A float32 sum of K products drifts from the float64 reference by
// about sqrt(K) * 2^-24 * |partial sums|: under 1e-5 for K <= 300 here. 1e-4 leaves 10x margin and
// still catches any indexing mistake, which moves a result by ~0.1 or more.
const TOL: Tol = { rtol: 1e-4, atol: 1e-4 };

const shapeA = (M: number, K: number, ta: boolean, batch: number[] = []) => [...batch, ...(ta ? [K, M] : [M, K])];
const shapeB = (K: number, N: number, tb: boolean, batch: number[] = []) => [...batch, ...(tb ? [N, K] : [K, N])];
const TRANSPOSES: [boolean, boolean][] = [[false, false], [true, false], [false, true], [true, true]];

let seed = 1;
async function check(M: number, K: number, N: number, ta: boolean, tb: boolean, aBatch: number[] = [], bBatch: number[] = []): Promise<void> {
  const as = shapeA(M, K, ta, aBatch);
  const bs = shapeB(K, N, tb, bBatch);
  const av = randArray(numel(as), seed++);
  const bv = randArray(numel(bs), seed++);
  const want = matMulRef(av, as, bv, bs, ta, tb);
  const c = kiln.tidy(() => kiln.matMul(kiln.tensor(av, as), kiln.tensor(bv, bs), ta, tb));
  await expectTensor(c, want.values, want.shape, TOL, `matMul ${JSON.stringify(as)} x ${JSON.stringify(bs)} tA=${ta} tB=${tb}`);
  c.dispose();
}

// Each distinct set of defines is a pipeline that lavapipe compiles at first use (1-3 s), so the
// shapes are chosen to reach every load path with few of them. Odd sizes take the scalar load
// paths, which serve all four transpose combinations through strides; multiples of 4 take the
// vec4 paths, whose transposed variants are separate code.
t('awkward sizes (1, 3, 17, 129), every transpose combination', async () => {
  for (const [M, K, N] of [[3, 17, 129], [17, 129, 1], [1, 1, 17], [17, 3, 129]]) {
    for (const [ta, tb] of TRANSPOSES) await check(M, K, N, ta, tb);
  }
  await check(129, 36, 28, false, false); // M = 129: vec4 A and B, 4 row groups
});

t('vec4 paths with partial tiles, every transpose combination', async () => {
  // K = 36: vec4 A (not transposed) and vec4 B along K (transposed); N = 27: scalar B otherwise.
  for (const [ta, tb] of TRANSPOSES) await check(20, 36, 27, ta, tb);
  await check(5, 3, 12, false, false); // scalar A, vec4 B along N, K tail
});

t('batched, with broadcast batch dims', async () => {
  await check(20, 36, 27, false, false, [2, 1, 3], [4, 1]);
  await check(17, 3, 129, true, true, [3], [1]);
  await check(3, 17, 129, false, true, [], [2, 2]);
  await check(129, 36, 28, false, false, [5], [5]);
  await check(17, 3, 1, false, true, [2], [3, 1]); // N = 1 runs as B^T A^T
  await check(1, 1, 17, false, false, [70000], []); // more workgroups than one dispatch dimension holds
});

t('one row and one column', async () => {
  await check(1, 129, 17, false, false);
  await check(17, 129, 1, true, false);
});

t('K = 0 gives zeros; zero-size M or N gives an empty result', async () => {
  await expectTensor(kiln.matMul(kiln.zeros([3, 0]), kiln.zeros([0, 5])), new Float32Array(15), [3, 5]);
  await expectTensor(kiln.matMul(kiln.zeros([2, 0, 4]), kiln.zeros([0, 5]), true), new Float32Array(40), [2, 4, 5]);
  await expectTensor(kiln.matMul(kiln.zeros([3, 4]), kiln.zeros([4, 0])), new Float32Array(0), [3, 0]);
  await expectTensor(kiln.matMul(kiln.zeros([0, 3, 4]), kiln.zeros([4, 2])), new Float32Array(0), [0, 3, 2]);
});

t('256 x 300 x 200', async () => {
  await check(256, 300, 200, false, false);
});

t('the tiled (shared-memory) kernel matches too', async () => {
  const kind: MatMulKernel = 'tiled';
  // Scalar loads (odd sizes) in all four combinations; the vec4 loaders of A and B are
  // independent, so no-transpose and both-transposed reach every one of them.
  const cases: [number, number, number, boolean, boolean][] = [
    ...TRANSPOSES.map(([ta, tb]) => [17, 129, 3, ta, tb] as [number, number, number, boolean, boolean]),
    [20, 36, 28, false, false], [20, 36, 28, true, true],
  ];
  for (const [M, K, N, ta, tb] of cases) {
    const batch = [2];
    const as = shapeA(M, K, ta, batch);
    const bs = shapeB(K, N, tb, []);
    const av = randArray(numel(as), seed++);
    const bv = randArray(numel(bs), seed++);
    const want = matMulRef(av, as, bv, bs, ta, tb);
    const c = kiln.tidy(() => {
      const a = kiln.tensor(av, as);
      const b = kiln.tensor(bv, bs);
      const p = matMulProgram({ M, N, K, transposeA: ta, transposeB: tb, aBatch: batch, bBatch: [], batch }, matMulConfig(M, N, kind));
      return run(p, [a, b], want.shape, 'float32');
    });
    expectClose(await c.data(), want.values, TOL, `tiled ${M}x${K}x${N} tA=${ta} tB=${tb}`);
    c.dispose();
  }
});

t('matMul matches a hand-computed product', async () => {
  const a = kiln.tensor([[1, 2, 3], [4, 5, 6]]);
  const b = kiln.tensor([[7, 8], [9, 10], [11, 12]]);
  await expectTensor(kiln.matMul(a, b), [58, 64, 139, 154], [2, 2]);
  await expectTensor(kiln.matMul(b, a, true, true), [58, 139, 64, 154], [2, 2]);
});

t('bad input names the op, both shapes and what was expected', () => {
  expectThrows(() => kiln.matMul(kiln.zeros([2, 3]), kiln.zeros([4, 5])), /kiln\.matMul/, /\[2,3\]/, /\[4,5\]/, /inner dimensions/, /3 vs 4/);
  expectThrows(() => kiln.matMul(kiln.zeros([3, 2]), kiln.zeros([2, 5]), true), /kiln\.matMul/, /transposeA/, /\[3,2\]/, /3 vs 2/);
  expectThrows(() => kiln.matMul(kiln.zeros([3]), kiln.zeros([3, 5])), /kiln\.matMul/, /\[3\]/, /\[3,5\]/, /rank 2/, /reshape/);
  expectThrows(() => kiln.matMul(kiln.zeros([2, 3], 'int32'), kiln.zeros([3, 5])), /kiln\.matMul/, /int32/, /float32/, /cast/);
  expectThrows(() => kiln.matMul(kiln.zeros([2, 4, 3]), kiln.zeros([3, 3, 5])), /kiln\.matMul/, /\[2,4,3\]/, /\[3,3,5\]/, /broadcast/);
  expectThrows(() => kiln.matMul([[1]] as unknown as kiln.Tensor, kiln.zeros([1, 1])), /kiln\.matMul/, /Tensor/);
  const d = kiln.zeros([2, 2]);
  d.dispose();
  expectThrows(() => kiln.matMul(d, kiln.zeros([2, 2])), /matMul/, /disposed/);
});

t('matMulRef follows the definition', () => {
  const r = matMulRef([1, 2, 3, 4], [2, 2], [5, 6, 7, 8], [2, 2], false, true);
  assert.equal([...r.values], [17, 23, 39, 53]);
  assert.equal(r.shape, [2, 2]);
});

t.run();
