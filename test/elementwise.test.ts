import './setup.ts';
import { suite } from 'uvu';
import { kiln, assert, AWKWARD, randArray, expectClose, expectTensor, expectThrows, numel } from './helpers.ts';
import { unaryRef, UNARY_FLOAT_OPS, type UnaryOp } from '../kernels/unary.ts';
import { unaryGradProgram, unaryGradRef, UNARY_GRAD_OPS } from '../kernels/unary_grad.ts';
import { fillRef } from '../kernels/fill.ts';
import { run } from '../src/ops/run.ts';
import { binaryRef, type BinaryOp } from '../kernels/binary.ts';

const t = suite('elementwise');

const UNARY: [UnaryOp, (x: kiln.Tensor) => kiln.Tensor, number, number][] = [
  ['neg', kiln.neg, -3, 3], ['abs', kiln.abs, -3, 3], ['square', kiln.square, -3, 3],
  ['exp', kiln.exp, -5, 5], ['log', kiln.log, 0.01, 10], ['sqrt', kiln.sqrt, 0, 10],
  ['rsqrt', kiln.rsqrt, 0.01, 10], ['reciprocal', kiln.reciprocal, 0.5, 4], ['relu', kiln.relu, -3, 3],
  ['relu6', kiln.relu6, -3, 9], ['sigmoid', kiln.sigmoid, -40, 40], ['tanh', kiln.tanh, -40, 40],
  ['softplus', kiln.softplus, -30, 30], ['sign', kiln.sign, -2, 2], ['floor', kiln.floor, -5, 5],
  ['ceil', kiln.ceil, -5, 5], ['sin', kiln.sin, -3, 3], ['cos', kiln.cos, -3, 3],
];

t('unary ops match the float64 reference on awkward sizes (scalar and vec4 paths)', async () => {
  for (const [name, fn, lo, hi] of UNARY) {
    for (const n of [...AWKWARD, 4, 1000]) {
      const x = randArray(n, n * 7 + name.length, lo, hi);
      const y = kiln.tidy(() => fn(kiln.tensor(x, [n])));
      expectClose(await y.data(), unaryRef(name, x), { rtol: 2e-6, atol: 2e-6 }, `${name} n=${n}`);
      y.dispose();
    }
  }
});

t('sigmoid and tanh stay finite and exact at |x| = 30..1000', async () => {
  const x = [-1000, -88, -30, 30, 88, 1000];
  expectClose(await kiln.sigmoid(kiln.tensor(x)).data(), unaryRef('sigmoid', x), { atol: 1e-7 }, 'sigmoid');
  expectClose(await kiln.tanh(kiln.tensor(x)).data(), [-1, -1, -1, 1, 1, 1], { atol: 0 }, 'tanh');
});

t('clipByValue, leakyRelu, cast and clone', async () => {
  await expectTensor(kiln.clipByValue(kiln.tensor([-2, 0.5, 7]), -1, 1), [-1, 0.5, 1], [3]);
  await expectTensor(kiln.leakyRelu(kiln.tensor([-2, 3]), 0.1), [-0.2, 3], [2], { rtol: 1e-6 });
  await expectTensor(kiln.cast(kiln.tensor([1.7, -2.5, 3]), 'int32'), [1, -2, 3], [3]);
  const b = kiln.cast(kiln.tensor([0, 2, -1]), 'bool');
  assert.is(b.dtype, 'bool');
  assert.equal([...await b.data()], [0, 1, 1]);
  await expectTensor(kiln.cast(kiln.tensor([3, 4], [2], 'int32'), 'float32'), [3, 4], [2]);
  await expectTensor(kiln.clone(kiln.tensor([5, 6, 7, 8])), [5, 6, 7, 8], [4]);
});

const BIN: [BinaryOp, (a: kiln.Tensor, b: kiln.Tensor) => kiln.Tensor][] = [
  ['add', kiln.add], ['sub', kiln.sub], ['mul', kiln.mul], ['div', kiln.div], ['maximum', kiln.maximum],
  ['minimum', kiln.minimum], ['squaredDifference', kiln.squaredDifference], ['greater', kiln.greater],
  ['lessEqual', kiln.lessEqual], ['equal', kiln.equal],
];

const BCAST: [number[], number[]][] = [
  [[17], [17]], [[3, 129], [129]], [[3, 1, 5], [1, 17, 1]], [[1], [2, 3, 4]], [[2, 3, 4, 5], [3, 1, 5]],
  [[129, 3], [129, 1]], [[], [3]], [[2, 1, 3, 1, 2, 1, 2], [1, 2, 1, 3, 1, 2, 1]],
  // row path (last dimension a multiple of 4, >= 16): row vectors, column vectors, scalars, rank 3
  [[3, 16], [16]], [[5, 32], [5, 1]], [[20], []], [[], [20]], [[2, 3, 64], [3, 1]], [[2, 3, 64], [2, 1, 64]],
  [[70000, 16], [16]],
];

t('binary ops with broadcasting match the reference', async () => {
  for (const [name, fn] of BIN) {
    for (const [sa, sb] of BCAST) {
      const a = randArray(numel(sa), 11, -2, 2);
      const b = randArray(numel(sb), 12, 0.5, 2);
      if (name === 'equal') for (let i = 0; i < Math.min(a.length, b.length); i += 2) a[i] = b[i];
      const y = kiln.tidy(() => fn(kiln.tensor(a, sa), kiln.tensor(b, sb)));
      const outShape = [...y.shape];
      expectClose(await y.data(), binaryRef(name, a, sa, b, sb, outShape), { rtol: 1e-6, atol: 1e-7 }, `${name} ${JSON.stringify(sa)} ${JSON.stringify(sb)}`);
      y.dispose();
    }
  }
});

t('pow follows PyTorch on negative bases and zero exponents', async () => {
  const a = [-2, -2, 0, 2, -8, 0, 3, 0, 0];
  const b = [2, 3, 0, 0.5, 1 / 3, 2, -1, -1, -0.5];
  expectClose(await kiln.pow(kiln.tensor(a), kiln.tensor(b)).data(), [4, -8, 1, Math.SQRT2, NaN, 0, 1 / 3, Infinity, Infinity], { rtol: 1e-6 }, 'pow');
});

t('maximum/minimum propagate NaN like PyTorch', async () => {
  for (const n of [3, 4]) {
    const a = kiln.tensor([NaN, 1, 2, 5].slice(0, n));
    const b = kiln.tensor([0, NaN, 3, 4].slice(0, n));
    const mx = await kiln.maximum(a, b).data();
    const mn = await kiln.minimum(a, b).data();
    assert.ok(Number.isNaN(mx[0]) && Number.isNaN(mx[1]) && mx[2] === 3, `maximum n=${n}`);
    assert.ok(Number.isNaN(mn[0]) && Number.isNaN(mn[1]) && mn[2] === 2, `minimum n=${n}`);
  }
});

t('integer arithmetic stays integer', async () => {
  const a = kiln.tensor([7, -7, 9], [3], 'int32');
  const b = kiln.tensor([2, 2, 3], [3], 'int32');
  const q = kiln.div(a, b);
  assert.is(q.dtype, 'int32');
  assert.equal([...await q.data()], [3, -3, 3]);
  assert.equal([...await kiln.mul(a, 2).data()], [14, -14, 18]);
});

t('where broadcasts condition and both branches', async () => {
  const x = kiln.tensor([[1, -2, 3], [-4, 5, -6]]);
  const y = kiln.where(kiln.greater(x, 0), x, kiln.tensor([10, 20, 30]));
  await expectTensor(y, [1, 20, 3, 10, 5, 30], [2, 3]);
  await expectTensor(kiln.where(kiln.tensor([1, 0], [2, 1], 'bool'), 1, 0), [1, 0], [2, 1]);
});

t('bad input names the op, the shapes and the fix', () => {
  expectThrows(() => kiln.add(kiln.zeros([2, 3]), kiln.zeros([4])), /kiln\.add/, /\[2,3\]/, /\[4\]/, /broadcast/);
  expectThrows(() => kiln.add(kiln.zeros([2]), kiln.zeros([2], 'int32')), /kiln\.add/, /float32/, /int32/, /cast/);
  expectThrows(() => kiln.exp(kiln.zeros([2], 'int32')), /kiln\.exp/, /int32/, /float32/);
  const d = kiln.zeros([3]);
  d.dispose();
  expectThrows(() => kiln.relu(d), /kiln\.relu|relu/, /disposed/);
  expectThrows(() => kiln.where(kiln.zeros([2]), 1, 2), /where/, /bool/);
});

t('fill and the fused unary backward kernel match their float64 references on awkward sizes', async () => {
  for (const n of [...AWKWARD, 4, 1000]) {
    for (const [v, dt] of [[2.5, 'float32'], [-7, 'int32'], [1, 'bool']] as const) {
      const f = kiln.fill([n], v, dt);
      expectClose(await f.data(), fillRef(n, dt === 'bool' ? 1 : v), { atol: 0 }, `fill ${dt} n=${n}`);
      f.dispose();
    }
    for (const op of UNARY_GRAD_OPS) {
      const lo = ['log', 'sqrt', 'rsqrt', 'reciprocal'].includes(op) ? 0.2 : -3;
      const x = randArray(n, n + op.length, lo, 3);
      const p = op === 'clamp' ? { alpha: -1, beta: 1 } : op === 'leakyRelu' ? { alpha: 0.1 } : {};
      const y = unaryRef(op, x, p);
      const dy = randArray(n, n * 3 + 1);
      const got = kiln.tidy(() => run(unaryGradProgram(op, n, p), [kiln.tensor(x), kiln.tensor(Float32Array.from(y)), kiln.tensor(dy)], [n], 'float32'));
      expectClose(await got.data(), unaryGradRef(op, x, Float32Array.from(y), dy, p), { rtol: 1e-5, atol: 1e-6 }, `${op}_grad n=${n}`);
      got.dispose();
    }
  }
});

t.run();
