import './setup.ts';
import { suite } from 'uvu';
import { kiln, assert, randArray, AWKWARD, expectThrows } from './helpers.ts';
import { binarizeRef } from '../kernels/binarize.ts';

const t = suite('binarize');

t('binarize: deterministic bits equal the CPU reference (x >= 0 -> +1) on awkward sizes', async () => {
  for (const n of [...AWKWARD, 1000, 4099]) {
    const x = randArray(n, n);
    if (n > 3) { x[0] = 0; x[1] = -0; x[2] = 1; x[3] = -1; }
    const y = kiln.binarize(kiln.tensor(x, [n]));
    assert.equal([...(await y.data())], [...binarizeRef(x)], `n=${n}`);
  }
});

t('binarize: stochastic bits equal the CPU reference bit for bit and have mean x', async () => {
  for (const n of [1, 17, 129, 5000]) {
    const x = randArray(n, 7 + n);
    for (const seed of [0, 1, 123456789, 0xffffffff]) {
      const y = await kiln.binarize(kiln.tensor(x, [n]), { stochastic: true, seed }).data();
      assert.equal([...y], [...binarizeRef(x, true, seed)], `n=${n} seed=${seed}`);
    }
  }
  // E[b] = x: 200k draws of a few fixed values, 4 standard errors
  const vals = [-0.9, -0.3, 0, 0.5, 0.95];
  const per = 40000;
  const x = new Float32Array(vals.length * per);
  vals.forEach((v, k) => x.fill(v, k * per, (k + 1) * per));
  const y = await kiln.binarize(kiln.tensor(x, [x.length]), { stochastic: true, seed: 99 }).data();
  vals.forEach((v, k) => {
    let s = 0;
    for (let i = k * per; i < (k + 1) * per; i++) s += y[i];
    const mean = s / per;
    const se = Math.sqrt((1 - v * v) / per);
    assert.ok(Math.abs(mean - v) < 4 * se + 1e-9, `x=${v}: mean of the bits ${mean}`);
  });
  // the two seeds give different bits; +-1 inputs are never flipped
  const a = await kiln.binarize(kiln.tensor(new Float32Array(256).fill(0), [256]), { stochastic: true, seed: 1 }).data();
  const b = await kiln.binarize(kiln.tensor(new Float32Array(256).fill(0), [256]), { stochastic: true, seed: 2 }).data();
  assert.ok(a.some((v, i) => v !== b[i]));
  const e = await kiln.binarize(kiln.tensor([1, -1, 1, -1], [4]), { stochastic: true, seed: 5 }).data();
  assert.equal([...e], [1, -1, 1, -1]);
});

t('binarize: the gradient passes straight through', async () => {
  const x = kiln.tensor(randArray(17 * 3, 4), [17, 3]);
  const w = kiln.tensor(randArray(17 * 3, 5), [17, 3]);
  for (const opts of [{}, { stochastic: true, seed: 3 }]) {
    const g = kiln.grad((v: kiln.Tensor) => kiln.sum(kiln.mul(kiln.binarize(v, opts), w)))(x);
    assert.equal([...(await g.data())], [...(await w.data())]);
  }
});

t('binarize: errors name the op and the fix', () => {
  expectThrows(() => kiln.binarize(kiln.tensor([1, 2], [2], 'int32')), /binarize/, /float32/);
  expectThrows(() => kiln.binarize(kiln.tensor([0.5], [1]), { stochastic: true }), /binarize/, /seed/);
  expectThrows(() => kiln.binarize(kiln.tensor([0.5], [1]), { stochastic: true, seed: -1 }), /seed/);
});

t.run();
