import './setup.ts';
import { suite } from 'uvu';
import { kiln, assert, randArray, randInts, expectClose, expectThrows } from './helpers.ts';
import { checkGrad } from './gradcheck.ts';
import { hsoftmaxRef, csrRef } from '../kernels/hsoftmax.ts';
import { classCsr } from '../src/ops/hsoftmax.ts';

const t = suite('hsoftmax');

/** Word classes: uneven, non-contiguous, every class non-empty when V >= C. */
function classesOf(v: number, c: number, seed: number): Int32Array {
  const wc = randInts(v, seed, 0, c);
  const r = kiln.rng(seed + 1);
  const order = Array.from({ length: v }, (_, i) => i).sort(() => r() - 0.5);
  for (let k = 0; k < Math.min(c, v); k++) wc[order[k]] = k;
  return wc;
}

interface Case { n: number; d: number; c: number; v: number }

function data({ n, d, c, v }: Case, seed: number) {
  return {
    h: randArray(n * d, seed, -1, 1), wc: randArray(c * d, seed + 1, -1, 1), bc: randArray(c, seed + 2, -1, 1),
    ww: randArray(v * d, seed + 3, -1, 1), bw: randArray(v, seed + 4, -1, 1),
    cls: classesOf(v, c, seed + 5), tg: randInts(n, seed + 6, 0, v),
  };
}

const CASES: Case[] = [
  { n: 1, d: 1, c: 1, v: 1 }, { n: 64, d: 3, c: 3, v: 3 }, { n: 1, d: 129, c: 3, v: 17 }, { n: 64, d: 3, c: 17, v: 129 },
  { n: 64, d: 129, c: 17, v: 1000 }, { n: 3, d: 4, c: 17, v: 17 }, { n: 64, d: 8, c: 1, v: 129 }, { n: 5, d: 3, c: 17, v: 3 },
];

t('loss and full logp match the float64 reference; exp(logp) sums to 1 over V (all classes non-empty)', async () => {
  for (const cs of CASES) {
    const { n, d, c, v } = cs;
    const x = data(cs, n * 7 + d * 3 + c + v);
    const want = hsoftmaxRef(x.h, x.wc, x.bc, x.ww, x.bw, x.cls, x.tg, cs);
    const r = kiln.tidy(() => kiln.hierarchicalSoftmax(kiln.tensor(x.h, [n, d]), kiln.tensor(x.wc, [c, d]), kiln.tensor(x.bc, [c]),
      kiln.tensor(x.ww, [v, d]), kiln.tensor(x.bw, [v]), kiln.tensor(x.cls, [v], 'int32'), kiln.tensor(x.tg, [n], 'int32'), { full: true }));
    const what = `N ${n} D ${d} C ${c} V ${v}`;
    assert.equal([...r.loss.shape], [n]);
    assert.equal([...r.logp!.shape], [n, v]);
    expectClose(await r.loss.data(), want.loss, { rtol: 1e-4, atol: 1e-4 }, `loss ${what}`);
    const lp = await r.logp!.data();
    expectClose(lp, want.logp, { rtol: 1e-4, atol: 1e-4 }, `logp ${what}`);
    for (let i = 0; i < n && v >= c; i++) {
      let s = 0;
      for (let w = 0; w < v; w++) s += Math.exp(lp[i * v + w]);
      assert.ok(Math.abs(s - 1) < 1e-4, `${what}: row ${i} of exp(logp) sums to ${s}`);
    }
    kiln.dispose([r.loss, r.logp!]);
  }
});

t('class CSR lists word ids per class in order (cached per wordClass tensor)', async () => {
  const cls = classesOf(129, 17, 5);
  const wc = kiln.tensor(cls, [129], 'int32');
  const a = classCsr(wc, 17);
  assert.is(classCsr(wc, 17), a, 'cached');
  assert.equal(Array.from(await a.data()), Array.from(csrRef(cls, 17)));
  wc.dispose();
});

t('gradients (loss and logp) agree with finite differences', async () => {
  for (const cs of [{ n: 3, d: 3, c: 3, v: 7 }, { n: 4, d: 4, c: 2, v: 5 }, { n: 1, d: 1, c: 1, v: 1 }, { n: 6, d: 5, c: 4, v: 17 }]) {
    const { n, d, c, v } = cs;
    const cls = classesOf(v, c, n + v);
    const tg = randInts(n, n * v + 1, 0, v);
    const clsT = kiln.tensor(cls, [v], 'int32');
    const tgT = kiln.tensor(tg, [n], 'int32');
    const shapes = [[n, d], [c, d], [c], [v, d], [v]];
    for (const full of [false, true]) {
      await checkGrad(`hierarchicalSoftmax ${full ? 'logp' : 'loss'} N${n} D${d} C${c} V${v}`,
        (h, wc, bc, ww, bw) => {
          const r = kiln.hierarchicalSoftmax(h, wc, bc, ww, bw, clsT, tgT, { full });
          return full ? r.logp! : r.loss;
        },
        (h, wc, bc, ww, bw) => {
          const r = hsoftmaxRef(h, wc, bc, ww, bw, cls, tg, cs);
          return full ? r.logp : r.loss;
        },
        shapes, { rtol: 2e-3, atol: 2e-4, eps: 1e-4 });
    }
    kiln.dispose([clsT, tgT]);
  }
});

t('only the rows of the targets\' classes get a word-scorer gradient', async () => {
  const n = 4, d = 3, c = 5, v = 40;
  const cls = classesOf(v, c, 9);
  const tg = Int32Array.from([cls.indexOf(2), cls.indexOf(2), cls.indexOf(4), cls.indexOf(2)]);
  const [h, wc, bc, ww, bw] = [[n, d], [c, d], [c], [v, d], [v]].map((s, i) => kiln.tensor(randArray(s.reduce((a, b) => a * b, 1), 30 + i), s));
  const clsT = kiln.tensor(cls, [v], 'int32');
  const tgT = kiln.tensor(tg, [n], 'int32');
  const gs = kiln.grads((ww2: kiln.Tensor, bw2: kiln.Tensor) => kiln.sum(kiln.hierarchicalSoftmax(h, wc, bc, ww2, bw2, clsT, tgT).loss))([ww, bw]);
  const gw = await gs[0].data();
  const gb = await gs[1].data();
  for (let w = 0; w < v; w++) {
    const touched = cls[w] === 2 || cls[w] === 4;
    const rowNorm = Math.abs(gw[w * d]) + Math.abs(gw[w * d + 1]) + Math.abs(gw[w * d + 2]) + Math.abs(gb[w]);
    assert.is(rowNorm > 0, touched, `word ${w} (class ${cls[w]}): gradient row ${touched ? 'should not be' : 'should be'} zero`);
  }
  kiln.dispose([...gs, h, wc, bc, ww, bw, clsT, tgT]);
});

t('errors name the op and the shapes', () => {
  const z = (s: number[], dt: kiln.DType = 'float32') => kiln.zeros(s, dt);
  expectThrows(() => kiln.hierarchicalSoftmax(z([2, 3]), z([4, 2]), z([4]), z([5, 3]), z([5]), z([5], 'int32'), z([2], 'int32')), /hierarchicalSoftmax/, /D = 3/, /Wc \[4,2\]/);
  expectThrows(() => kiln.hierarchicalSoftmax(z([2, 3]), z([4, 3]), z([4]), z([5, 3]), z([5]), z([4], 'int32'), z([2], 'int32')), /wordClass must be int32 \[V\] = \[5\]/);
  expectThrows(() => kiln.hierarchicalSoftmax(z([2, 3]), z([4, 3]), z([4]), z([5, 3]), z([5]), z([5]), z([2], 'int32')), /wordClass/, /int32/);
  expectThrows(() => kiln.hierarchicalSoftmax(z([2, 3]), z([4, 3]), z([4]), z([5, 3]), z([5]), z([5], 'int32'), z([3], 'int32')), /targets must be int32 \[N\] = \[2\]/);
});

t('a target outside the vocabulary gives NaN, not a wrong number', async () => {
  const r = kiln.hierarchicalSoftmax(kiln.ones([2, 2]), kiln.ones([2, 2]), kiln.zeros([2]), kiln.ones([3, 2]), kiln.zeros([3]),
    kiln.tensor([0, 1, 1], [3], 'int32'), kiln.tensor([1, 7], [2], 'int32'));
  const l = await r.loss.data();
  assert.ok(Number.isFinite(l[0]) && Number.isNaN(l[1]), `loss ${Array.from(l)}`);
});

t.run();
