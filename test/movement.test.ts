import './setup.ts';
import { suite } from 'uvu';
import { kiln, assert, randArray, randInts, expectClose, expectTensor, expectThrows, numel } from './helpers.ts';
import { transposeRef, copyRef } from '../kernels/copy.ts';
import { padRef, type PadMode } from '../kernels/pad.ts';
import { gatherRef, scatterAddRef } from '../kernels/gather.ts';
import { contiguousStrides } from '../src/ops/util.ts';
import { engine } from '../src/tensor.ts';

const t = suite('movement');

t('reshape is free and checks sizes', async () => {
  const x = kiln.tensor(randArray(24, 1), [2, 3, 4]);
  const before = kiln.memory().buffersCreated;
  const y = kiln.reshape(x, [4, -1]);
  assert.equal([...y.shape], [4, 6]);
  assert.is(kiln.memory().buffersCreated, before);
  expectClose(await y.data(), await x.data());
  expectThrows(() => kiln.reshape(x, [5, 5]), /kiln\.reshape/, /\[2,3,4\]/, /\[5,5\]/);
  assert.equal([...kiln.expandDims(x, 1).shape], [2, 1, 3, 4]);
  assert.equal([...kiln.squeeze(kiln.zeros([1, 3, 1])).shape], [3]);
});

t('transpose over random permutations and awkward shapes', async () => {
  const cases: [number[], number[]][] = [
    [[3, 17], [1, 0]], [[129, 3], [1, 0]], [[2, 3, 4], [2, 0, 1]], [[1, 17, 3], [0, 2, 1]],
    [[2, 3, 4, 5], [3, 1, 2, 0]], [[64, 64], [1, 0]], [[2, 1, 3, 1, 2], [4, 3, 2, 1, 0]],
  ];
  for (const [shape, perm] of cases) {
    const x = randArray(numel(shape), shape.length);
    const y = kiln.transpose(kiln.tensor(x, shape), perm);
    await expectTensor(y, transposeRef(x, shape, perm), perm.map((p) => shape[p]), { atol: 0, rtol: 0 }, `transpose ${shape} ${perm}`);
  }
  const i = kiln.transpose(kiln.tensor([1, 2, 3, 4, 5, 6], [2, 3], 'int32'));
  assert.equal([...await i.data()], [1, 4, 2, 5, 3, 6]);
});

t('slice, concat and stack', async () => {
  const shape = [3, 17, 5];
  const x = randArray(numel(shape), 3);
  const xt = kiln.tensor(x, shape);
  const s = kiln.slice(xt, [1, 2, 0], [2, 14, -1]);
  const want = new Float64Array(2 * 14 * 5);
  const st = contiguousStrides(shape);
  copyRef(x, [2, 14, 5], st, 1 * st[0] + 2 * st[1], want, contiguousStrides([2, 14, 5]), 0);
  await expectTensor(s, want, [2, 14, 5], { atol: 0 }, 'slice');
  const a = kiln.tensor([[1, 2], [3, 4]]);
  const b = kiln.tensor([[5], [6]]);
  await expectTensor(kiln.concat([a, b], 1), [1, 2, 5, 3, 4, 6], [2, 3]);
  await expectTensor(kiln.concat([a, kiln.tensor([[7, 8]])], 0), [1, 2, 3, 4, 7, 8], [3, 2]);
  await expectTensor(kiln.stack([kiln.tensor([1, 2]), kiln.tensor([3, 4])], 1), [1, 3, 2, 4], [2, 2]);
  expectThrows(() => kiln.slice(xt, [0, 10, 0], [1, 10, 1]), /kiln\.slice/, /axis 1/, /\[3,17,5\]/);
  expectThrows(() => kiln.concat([a, kiln.zeros([3, 3])], 1), /kiln\.concat/, /\[2,2\]/, /\[3,3\]/);
});

t('pad: constant, reflect (edge excluded) and symmetric', async () => {
  const modes: PadMode[] = ['constant', 'reflect', 'symmetric'];
  const cases: [number[], [number, number][]][] = [
    [[5], [[2, 3]]], [[3, 4], [[1, 2], [3, 0]]], [[2, 17, 3], [[0, 0], [4, 1], [2, 2]]], [[1, 4, 4, 3], [[0, 0], [1, 1], [1, 1], [0, 0]]],
  ];
  for (const mode of modes) {
    for (const [shape, pads] of cases) {
      const x = randArray(numel(shape), 5);
      const outShape = shape.map((d, i) => d + pads[i][0] + pads[i][1]);
      const y = kiln.pad(kiln.tensor(x, shape), pads, 0.5, mode);
      await expectTensor(y, padRef(x, shape, pads.map((p) => p[0]), outShape, mode, 0.5), outShape, { atol: 0 }, `${mode} ${shape}`);
    }
  }
  await expectTensor(kiln.pad(kiln.tensor([1, 2, 3]), [[2, 2]], 0, 'reflect'), [3, 2, 1, 2, 3, 2, 1], [7]);
  expectThrows(() => kiln.pad(kiln.zeros([3]), [[3, 0]], 0, 'reflect'), /kiln\.pad/, /smaller than the axis/);
});

t('gather (embedding lookup) and unsortedSegmentSum (its gradient)', async () => {
  const V = 129, D = 17;
  const table = randArray(V * D, 7);
  const ids = randInts(50, 8, 0, V);
  ids[3] = ids[4] = ids[5];
  const y = kiln.gather(kiln.tensor(table, [V, D]), kiln.tensor(ids, [5, 10], 'int32'));
  await expectTensor(y, gatherRef(table, 1, V, ids, D), [5, 10, D], { atol: 0 }, 'gather axis 0');
  const x3 = randArray(2 * 7 * 3, 9);
  const idx = [6, 0, 0, 3];
  await expectTensor(kiln.gather(kiln.tensor(x3, [2, 7, 3]), kiln.tensor(idx, [4], 'int32'), 1), gatherRef(x3, 2, 7, idx, 3), [2, 4, 3], { atol: 0 }, 'gather axis 1');
  const upd = randArray(50 * D, 10);
  const s = kiln.unsortedSegmentSum(kiln.tensor(upd, [50, D]), kiln.tensor(ids, [50], 'int32'), V);
  await expectTensor(s, scatterAddRef(upd, ids, V, D), [V, D], { rtol: 1e-5, atol: 1e-6 }, 'scatter add');
  const si = kiln.scatterAdd(kiln.tensor([1, 2, 3], [3], 'int32'), kiln.tensor([0, 0, 2], [3], 'int32'), 3);
  assert.equal([...await si.data()], [3, 0, 3]);
  expectThrows(() => kiln.gather(kiln.zeros([3]), kiln.zeros([2])), /kiln\.gather/, /indices/, /int32/);
});

t('broadcastTo materialises', async () => {
  await expectTensor(kiln.broadcastTo(kiln.tensor([1, 2]), [3, 2]), [1, 2, 1, 2, 1, 2], [3, 2]);
});

t('reflect-pad gradients reuse their index map: no upload after the first step', async () => {
  const x = kiln.tensor(randArray(2 * 5 * 5 * 3, 17), [2, 5, 5, 3]);
  const f = (v: kiln.Tensor) => kiln.sum(kiln.mul(kiln.pad(v, [[0, 0], [2, 2], [2, 2], [0, 0]], 0, 'reflect'), 0.5));
  const g1 = kiln.grad(f)(x);
  const u0 = engine().stats.uploads;
  const g2 = kiln.grad(f)(x);
  assert.is(engine().stats.uploads, u0);
  expectClose(await g2.data(), await g1.data(), { atol: 0 });
  kiln.dispose([x, g1, g2]);
});

t.run();
