// Pooling (NHWC): avgPool/maxPool against kernels/pool.ts's float64 reference for 'valid',
// 'same' and numeric padding, strides and awkward sizes; finite-difference gradients.
import './setup.ts';
import { suite } from 'uvu';
import { kiln, assert, expectClose, randArray } from './helpers.ts';
import { checkGrad } from './gradcheck.ts';
import { poolRef, type PoolMode } from '../kernels/pool.ts';
import { poolGeometry, type PoolPad, type AvgPoolOptions } from '../src/ops/pool.ts';

const t = suite('pool');
type P2 = number | [number, number];
const CASES: [number[], P2, P2, PoolPad][] = [
  [[2, 5, 7, 3], 2, 2, 'valid'],
  [[1, 5, 7, 3], 3, 2, 'same'],
  [[1, 6, 6, 4], [3, 2], [1, 2], 'same'],
  [[2, 5, 7, 8], 3, 2, 'same'],
  [[2, 4, 5, 17], 3, 1, 1],
  [[1, 3, 3, 2], 3, 3, 'valid'],
  [[1, 7, 4, 2], [2, 4], [3, 1], 'valid'],
];

t('avgPool / maxPool forward: valid, same (padding excluded), numeric pads, shapes as tf', async () => {
  for (const [shape, f, s, pad] of CASES) {
    const g = poolGeometry('test', shape, f, s, pad);
    const xv = randArray(shape.reduce((a, b) => a * b, 1), 5, -3, 3);
    for (const mode of ['avg', 'max'] as PoolMode[]) {
      const y = kiln.tidy(() => (mode === 'avg' ? kiln.avgPool : kiln.maxPool)(kiln.tensor(xv, shape), f, s, pad));
      assert.equal([...y.shape], [g.n, g.oh, g.ow, g.c]);
      expectClose(await y.data(), poolRef(mode, xv, g), { rtol: 1e-6, atol: 1e-6 }, `${mode} ${shape} f${f} s${s} ${pad}`);
      y.dispose();
    }
  }
  // tf: SAME on 5 with stride 2 gives 3 outputs; VALID with filter 3 gives 2
  assert.equal(poolGeometry('t', [1, 5, 5, 1], 3, 2, 'same').oh, 3);
  assert.equal(poolGeometry('t', [1, 5, 5, 1], 3, 2, 'valid').oh, 2);
  const y = kiln.tidy(() => kiln.avgPool(kiln.tensor([1, 2, 3, 4], [1, 2, 2, 1]), 2, 1, 'same'));
  assert.equal(Array.from(await y.data()), [2.5, 3, 3.5, 4]); // the edge windows average fewer cells
  y.dispose();
  // a NaN in a window makes its max NaN (as torch), on the scalar and the vec4 paths
  for (const C of [1, 4]) {
    const v = new Float32Array(4 * C).fill(1);
    v[C + (C - 1)] = NaN;
    const m = kiln.tidy(() => kiln.maxPool(kiln.tensor(v, [1, 2, 2, C]), [1, 2], 1, 'valid'));
    const got = await m.data();
    assert.ok(Number.isNaN(got[C - 1]) && got[C] === 1, `C=${C}: ${Array.from(got)}`);
    expectClose(got, poolRef('max', v, poolGeometry('t', [1, 2, 2, C], [1, 2], 1, 'valid')), { rtol: 0, atol: 0 }, `NaN C=${C}`);
    m.dispose();
  }
});

// [shape, filter, strides, pad, options]: dilations and PyTorch's count_include_pad
const OPT_CASES: [number[], P2, P2, PoolPad, AvgPoolOptions][] = [
  [[2, 9, 11, 3], 3, 1, 'valid', { dilations: 2 }],
  [[1, 17, 13, 4], 3, 2, 'same', { dilations: [2, 3] }],
  [[1, 7, 9, 5], [2, 3], [2, 1], 2, { dilations: [3, 2], countIncludePad: true }],
  [[2, 5, 7, 8], 3, 2, 'same', { countIncludePad: true }],
  [[1, 6, 5, 1], 3, 1, 1, { countIncludePad: true }],
  [[1, 3, 129, 4], [1, 3], [1, 2], 'same', { dilations: [1, 4], countIncludePad: true }],
];
const maxOpts = (o: AvgPoolOptions) => ({ dilations: o.dilations });

t('pool options: dilations (both pools) and countIncludePad (avgPool) vs the reference and by hand', async () => {
  for (const [shape, f, s, pad, o] of OPT_CASES) {
    const xv = randArray(shape.reduce((a, b) => a * b, 1), 7, -3, 3);
    for (const mode of ['avg', 'max'] as PoolMode[]) {
      const opts = mode === 'avg' ? o : maxOpts(o);
      const g = poolGeometry('test', shape, f, s, pad, opts);
      const y = kiln.tidy(() => (mode === 'avg' ? kiln.avgPool(kiln.tensor(xv, shape), f, s, pad, opts) : kiln.maxPool(kiln.tensor(xv, shape), f, s, pad, opts)));
      assert.equal([...y.shape], [g.n, g.oh, g.ow, g.c]);
      expectClose(await y.data(), poolRef(mode, xv, g), { rtol: 1e-6, atol: 1e-6 }, `${mode} ${shape} f${f} s${s} ${pad} ${JSON.stringify(opts)}`);
      y.dispose();
    }
  }
  // output sizes use the dilated extent: 3 taps 2 apart span 5 cells
  assert.is(poolGeometry('t', [1, 9, 9, 1], 3, 1, 'valid', { dilations: 2 }).oh, 5);
  assert.is(poolGeometry('t', [1, 9, 9, 1], 3, 2, 'same', { dilations: 2 }).pt, 2);
  // by hand: torch.nn.MaxPool2d((1, 2), 1, dilation=(1, 2)) on a row [5, 1, 2, 9, 3] gives [5, 9, 3]
  const m = kiln.tidy(() => kiln.maxPool(kiln.tensor([5, 1, 2, 9, 3], [1, 1, 5, 1]), [1, 2], 1, 'valid', { dilations: [1, 2] }));
  assert.equal(Array.from(await m.data()), [5, 9, 3]);
  // by hand: 2x2 windows, pad 1, on [[1, 2], [3, 4]]: the corner window holds one cell
  const x = () => kiln.tensor([1, 2, 3, 4], [1, 2, 2, 1]);
  const tfAvg = kiln.tidy(() => kiln.avgPool(x(), 2, 1, 1));
  const torchAvg = kiln.tidy(() => kiln.avgPool(x(), 2, 1, 1, { countIncludePad: true }));
  assert.equal(Array.from(await tfAvg.data()), [1, 1.5, 2, 2, 2.5, 3, 3, 3.5, 4]);
  assert.equal(Array.from(await torchAvg.data()), [0.25, 0.75, 0.5, 1, 2.5, 1.5, 0.75, 1.75, 1]);
  kiln.dispose([m, tfAvg, torchAvg]);
});

t('pool option gradients: dilated windows, count_include_pad divisor', async () => {
  const small: [number[], P2, P2, PoolPad, AvgPoolOptions][] = [
    [[1, 6, 5, 2], 2, 1, 'valid', { dilations: 2 }],
    [[1, 7, 6, 4], 3, 2, 'same', { dilations: [2, 1], countIncludePad: true }],
    [[1, 4, 5, 3], [2, 3], 1, 1, { dilations: [1, 2], countIncludePad: true }],
  ];
  for (const [shape, f, s, pad, o] of small) {
    for (const mode of ['avg', 'max'] as PoolMode[]) {
      const opts = mode === 'avg' ? o : maxOpts(o);
      const g = poolGeometry('test', shape, f, s, pad, opts);
      await checkGrad(`${mode}Pool ${shape} f${f} s${s} ${pad} ${JSON.stringify(opts)}`,
        (x) => (mode === 'avg' ? kiln.avgPool(x, f, s, pad, opts) : kiln.maxPool(x, f, s, pad, opts)), (x) => poolRef(mode, x, g), [shape]);
    }
  }
});

t('pooling gradients (avg: dy / cells; max: to the window maximum)', async () => {
  for (const [k, [shape, f, s, pad]] of CASES.slice(0, 5).entries()) {
    const small = [1, Math.min(shape[1], 5), Math.min(shape[2], 5), k % 2 ? 4 : 2]; // 4: the vec4 kernels
    const g = poolGeometry('test', small, f, s, pad);
    for (const mode of ['avg', 'max'] as PoolMode[]) {
      await checkGrad(`${mode}Pool ${small} f${f} s${s} ${pad}`, (x) => (mode === 'avg' ? kiln.avgPool : kiln.maxPool)(x, f, s, pad),
        (x) => poolRef(mode, x, g), [small]);
    }
  }
});

t('globalAvgPool is the mean over H, W', async () => {
  const xv = randArray(2 * 3 * 4 * 5, 6);
  const y = kiln.tidy(() => kiln.globalAvgPool(kiln.tensor(xv, [2, 3, 4, 5])));
  assert.equal([...y.shape], [2, 5]);
  const g = poolGeometry('t', [2, 3, 4, 5], [3, 4], 1, 'valid');
  expectClose(await y.data(), poolRef('avg', xv, g), { rtol: 1e-5, atol: 1e-6 });
  const k = kiln.tidy(() => kiln.globalAvgPool(kiln.tensor(xv, [2, 3, 4, 5]), true));
  assert.equal([...k.shape], [2, 1, 1, 5]);
  kiln.dispose([y, k]);
  await checkGrad('globalAvgPool', (x) => kiln.globalAvgPool(x), (x) => poolRef('avg', x, poolGeometry('t', [1, 3, 2, 2], [3, 2], 1, 'valid')), [[1, 3, 2, 2]]);
});

t('errors', () => kiln.tidy(() => {
  const x = kiln.zeros([1, 4, 4, 2]);
  assert.throws(() => kiln.maxPool(kiln.zeros([4, 4]), 2, 2, 'valid'), /kiln\.maxPool: x must be NHWC/);
  assert.throws(() => kiln.avgPool(x, 0, 1, 'valid'), /filterSize must be a positive integer/);
  assert.throws(() => kiln.avgPool(x, 2, 1, 'full' as PoolPad), /pad must be 'valid', 'same' or a non-negative integer/);
  assert.throws(() => kiln.maxPool(x, 5, 1, 'valid'), /does not fit/);
  assert.throws(() => kiln.maxPool(x, 2, 1, 'valid', { dilations: 4 }), /dilated to \[5, 5\] by dilations \[4, 4\]\) does not fit/);
  assert.throws(() => kiln.maxPool(x, 2, 1, 'valid', { dilations: 0 }), /dilations must be a positive integer/);
  assert.throws(() => kiln.maxPool(x, 2, 1, 'valid', { countIncludePad: true } as object), /countIncludePad is an avgPool option/);
  assert.throws(() => kiln.avgPool(x, 2, 1, 'valid', { countIncludePad: 1 as unknown as boolean }), /countIncludePad must be true or false/);
  assert.throws(() => kiln.avgPool(x, 2, 1, 2, { dilations: 1 }), /pad 2 must be smaller than the filter/);
}));

t.run();
