import './setup.ts';
import { suite } from 'uvu';
import { kiln, assert, randArray, randInts, expectClose, expectThrows } from './helpers.ts';
import { softmaxXentRef } from '../kernels/softmax_xent.ts';

const t = suite('losses');

t('softmaxCrossEntropy (sparse ids and dense labels): loss and logits gradient vs float64 reference', async () => {
  for (const [rows, C] of [[1, 1], [3, 17], [129, 3], [4, 1000]]) {
    const x = randArray(rows * C, rows * C, -8, 8);
    const ids = randInts(rows, rows + 1, 0, C);
    const dense = new Float32Array(rows * C);
    const r = kiln.rng(rows);
    for (let i = 0; i < rows; i++) { let s = 0; for (let c = 0; c < C; c++) { dense[i * C + c] = r(); s += dense[i * C + c]; } for (let c = 0; c < C; c++) dense[i * C + c] /= s; }
    for (const sparse of [true, false]) {
      const labels = sparse ? kiln.tensor(ids, [rows], 'int32') : kiln.tensor(dense, [rows, C]);
      const ref = softmaxXentRef(x, sparse ? ids : dense, rows, C, sparse);
      const logits = kiln.tensor(x, [rows, C]);
      const none = kiln.softmaxCrossEntropy(labels, logits, { reduction: 'none' });
      expectClose(await none.data(), ref.loss, { rtol: 1e-5, atol: 1e-5 }, `loss ${rows}x${C} sparse=${sparse}`);
      const { value, grads } = kiln.valueAndGrads((l) => kiln.softmaxCrossEntropy(labels, l))([logits]);
      expectClose(await value.data(), [ref.loss.reduce((a, b) => a + b, 0) / rows], { rtol: 1e-5, atol: 1e-5 }, 'mean');
      expectClose(await grads[0].data(), ref.grad.map((g) => g / rows), { rtol: 1e-4, atol: 1e-6 }, `grad ${rows}x${C} sparse=${sparse}`);
      const s = kiln.softmaxCrossEntropy(labels, logits, { reduction: 'sum' });
      expectClose(await s.data(), [ref.loss.reduce((a, b) => a + b, 0)], { rtol: 1e-5, atol: 1e-4 }, 'sum');
      kiln.dispose([labels, logits, none, value, grads, s]);
    }
  }
});

t('softmaxCrossEntropy is stable for huge logits and gives NaN for an out-of-range id', async () => {
  const l = await kiln.softmaxCrossEntropy(kiln.tensor([0, 2], [2], 'int32'), kiln.tensor([[1000, -1000, 0], [0, 0, 1e4]]), { reduction: 'none' }).data();
  expectClose(l, [0, 0], { atol: 1e-6 });
  const bad = await kiln.softmaxCrossEntropy(kiln.tensor([3], [1], 'int32'), kiln.tensor([[1, 2, 3]]), { reduction: 'none' }).data();
  assert.ok(Number.isNaN(bad[0]));
});

t('sigmoidCrossEntropy and meanSquaredError match their formulas and gradients', async () => {
  const x = randArray(17, 3, -30, 30);
  const z = randArray(17, 4, 0, 1);
  const want = Array.from(x, (v, i) => Math.max(v, 0) - v * z[i] + Math.log1p(Math.exp(-Math.abs(v))));
  const X = kiln.tensor(x), Z = kiln.tensor(z);
  expectClose(await kiln.sigmoidCrossEntropy(Z, X, { reduction: 'none' }).data(), want, { rtol: 1e-5, atol: 1e-5 });
  const g = kiln.grad((l) => kiln.sigmoidCrossEntropy(Z, l, { reduction: 'sum' }))(X);
  expectClose(await g.data(), Array.from(x, (v, i) => 1 / (1 + Math.exp(-v)) - z[i]), { rtol: 1e-5, atol: 1e-6 });
  const p = randArray(17, 5);
  const mse = kiln.meanSquaredError(Z, kiln.tensor(p));
  expectClose(await mse.data(), [p.reduce((s, v, i) => s + (v - z[i]) ** 2, 0) / 17], { rtol: 1e-5 });
  const gm = kiln.grad((q) => kiln.meanSquaredError(Z, q))(kiln.tensor(p));
  expectClose(await gm.data(), Array.from(p, (v, i) => (2 * (v - z[i])) / 17), { rtol: 1e-5, atol: 1e-7 });
});

t('losses reject mismatched shapes and dtypes with the shapes in the message', () => {
  expectThrows(() => kiln.softmaxCrossEntropy(kiln.zeros([3], 'int32'), kiln.zeros([2, 5])), /softmaxCrossEntropy/, /\[3\]/, /\[2\]/);
  expectThrows(() => kiln.softmaxCrossEntropy(kiln.zeros([2, 4]), kiln.zeros([2, 5])), /\[2,4\]/, /\[2,5\]/);
  expectThrows(() => kiln.meanSquaredError(kiln.zeros([2]), kiln.zeros([3])), /meanSquaredError/);
  expectThrows(() => kiln.softmaxCrossEntropy(kiln.zeros([2], 'int32'), kiln.zeros([2, 5]), { reduction: 'avg' as never }), /reduction/);
});

t.run();
