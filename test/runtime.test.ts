import './setup.ts';
import { suite } from 'uvu';
import { kiln, assert, expectClose, expectThrows, randArray } from './helpers.ts';
import { engine, observeTensors } from '../src/tensor.ts';
import { sizeClass } from '../src/gpu/buffer_pool.ts';
import { preprocess } from '../src/gpu/shader.ts';
import { checkNumericsRef } from '../kernels/check_numerics.ts';

const t = suite('runtime');

async function settleGc(): Promise<void> {
  const gc = (globalThis as { gc?: () => void }).gc;
  for (let i = 0; i < 3; i++) {
    gc?.();
    await new Promise((r) => setTimeout(r, 5));
  }
  await kiln.sync();
}

t('tensor(): shapes, dtypes and value round trips', async () => {
  const a = kiln.tensor([[1, 2, 3], [4, 5, 6]]);
  assert.equal([...a.shape], [2, 3]);
  assert.is(a.dtype, 'float32');
  assert.equal(await a.array(), [[1, 2, 3], [4, 5, 6]]);
  const i = kiln.tensor(new Int32Array([-1, 2]), [2]);
  assert.is(i.dtype, 'int32');
  assert.equal([...await i.data()], [-1, 2]);
  const u = kiln.tensor([4000000000], [1], 'uint32');
  assert.equal([...await u.data()], [4000000000]);
  const s = kiln.scalar(3);
  assert.equal([...s.shape], []);
  assert.equal(await s.array(), 3);
  assert.equal([...await kiln.range(0, 5, 2).data()], [0, 2, 4]);
  assert.equal([...await kiln.zeros([0, 3]).data()], []);
  expectThrows(() => kiln.tensor([1, 2, 3], [2, 2]), /kiln\.tensor/, /3 values/, /\[2,2\]/);
  expectThrows(() => kiln.tensor([1], [1], 'float64' as never), /unknown dtype/);
});

t('tidy disposes intermediates, keeps results and kept tensors, nests', async () => {
  // Checked through isDisposed rather than counts: the GC safety net may reclaim other tests'
  // dropped tensors at any moment.
  let kept: kiln.Tensor | null = null;
  const seen: kiln.Tensor[] = [];
  const out = kiln.tidy(() => {
    const a = kiln.ones([4]);
    kept = kiln.keep(kiln.add(a, 1));
    const inner = kiln.tidy(() => {
      const t1 = kiln.add(a, 2);
      seen.push(t1);
      return kiln.mul(t1, 3);
    });
    seen.push(a, inner);
    return { y: kiln.add(inner, a), list: [kiln.neg(a)] };
  });
  assert.ok(seen.every((t) => t.isDisposed), 'intermediates disposed');
  assert.ok(!out.y.isDisposed && !out.list[0].isDisposed && !kept!.isDisposed, 'results and kept tensors live');
  assert.equal([...await out.y.data()], [10, 10, 10, 10]);
  assert.equal([...await kept!.data()], [2, 2, 2, 2]);
  kiln.dispose([out.y, out.list, kept!]);
  assert.ok(out.y.isDisposed && out.list[0].isDisposed && kept!.isDisposed);
  assert.throws(() => kiln.tidy(() => Promise.resolve(1)), /synchronous/);
});

t('a disposed tensor cannot be used or read', async () => {
  const a = kiln.ones([2]);
  a.dispose();
  a.dispose(); // idempotent
  assert.ok(a.isDisposed);
  expectThrows(() => kiln.add(a, 1), /disposed/, /\[2\]/);
  try { await a.data(); assert.unreachable('data() of a disposed tensor'); } catch (e) { assert.match((e as Error).message, /disposed/); }
});

t('memory stays flat over 10,000 iterations of ops', async () => {
  const x = kiln.tensor(randArray(1024, 1), [32, 32]);
  const run = (n: number) => {
    for (let i = 0; i < n; i++) {
      kiln.tidy(() => { kiln.sum(kiln.relu(kiln.add(kiln.mul(x, 1.0001), i % 7)), 1); });
    }
  };
  run(1000); // several full batches, so the pool reaches its steady state
  await settleGc(); // let tensors other tests dropped be reclaimed first, so counts are stable
  const m0 = kiln.memory();
  run(10_000);
  const y = kiln.tidy(() => kiln.sum(x));
  await y.data();
  y.dispose();
  const m1 = kiln.memory(); // no GC settling here: it could hide a leak
  assert.is(m1.numTensors, m0.numTensors, 'live tensors');
  assert.is(m1.numBytes, m0.numBytes, 'live bytes');
  assert.ok(m1.allocatedBytes <= m0.allocatedBytes + 64 * 1024, `GPU bytes grew from ${m0.allocatedBytes} to ${m1.allocatedBytes}`);
  assert.ok(m1.buffersCreated - m0.buffersCreated < 16, `created ${m1.buffersCreated - m0.buffersCreated} new buffers`);
  x.dispose();
});

t('dropped tensors are reclaimed by the FinalizationRegistry safety net', async () => {
  const gc = (globalThis as { gc?: () => void }).gc;
  if (!gc) { assert.unreachable('run the tests with node --expose-gc (npm test does)'); return; }
  const before = kiln.memory().numTensors;
  (() => { for (let i = 0; i < 50; i++) kiln.ones([16]); })();
  assert.is(kiln.memory().numTensors, before + 50);
  for (let i = 0; i < 20 && kiln.memory().numTensors > before; i++) {
    gc();
    await new Promise((r) => setTimeout(r, 10));
  }
  // other garbage from earlier tests may be reclaimed too, hence <=
  assert.ok(kiln.memory().numTensors <= before, `${kiln.memory().numTensors - before} dropped tensors were not reclaimed`);
});

t('dispatches are batched: one submit per readback', async () => {
  const x = kiln.ones([64]);
  await x.data();
  const s0 = engine().stats.submits;
  const d0 = engine().stats.dispatches;
  const y = kiln.tidy(() => {
    let v = x;
    for (let i = 0; i < 100; i++) v = kiln.add(v, 1);
    return v;
  });
  assert.is(engine().stats.submits, s0, 'no submit before readback');
  assert.equal([...await y.data()].slice(0, 2), [101, 101]);
  assert.is(engine().stats.dispatches - d0, 100);
  assert.is(engine().stats.submits - s0, 1);
  kiln.dispose([x, y]);
});

t('numbers as operands are cached scalars: no upload per call', async () => {
  const x = kiln.ones([8]);
  kiln.tidy(() => kiln.mul(kiln.add(x, 0.25), 3));
  const u0 = engine().stats.uploads;
  const y = kiln.tidy(() => {
    let v = x;
    for (let i = 0; i < 10; i++) v = kiln.mul(kiln.add(v, 0.25), 3);
    return v;
  });
  assert.is(engine().stats.uploads, u0);
  let want = 1;
  for (let i = 0; i < 10; i++) want = (want + 0.25) * 3;
  expectClose(await y.data(), new Array(8).fill(want), { rtol: 1e-6 });
  kiln.dispose([x, y]);
});

t('pool: size classes waste at most 12.5% and buffers are reused', () => {
  for (const b of [1, 4, 100, 256, 257, 4096, 4097, 10000, 1 << 20, (1 << 20) + 1, 123456789]) {
    const c = sizeClass(b);
    assert.ok(c >= b && (b <= 4096 ? c - b < 256 : c <= b * 1.125 + 1), `sizeClass(${b}) = ${c}`);
  }
});

t('shader template: #if/#else/#endif, negation and {{NAME}}', () => {
  const src = '#if A\na {{X}}\n#else\nnot a\n#endif\n#if !B\nno b\n#endif';
  assert.is(preprocess(src, { A: true, X: 'f32' }), 'a f32\nno b');
  assert.is(preprocess(src, { A: false, B: 1, X: 1 }), 'not a');
  assert.throws(() => preprocess('{{Y}}', {}), /no value for \{\{Y\}\}/);
  assert.throws(() => preprocess('#if A\n', {}), /unterminated/);
});

t('profile() reports per-kernel GPU times via timestamp queries', async () => {
  const info = await kiln.backendInfo();
  if (!info.features.timestampQuery) {
    await kiln.profile(() => 0).then(() => assert.unreachable('profile without timestamp-query must throw'), (e) => assert.match(e.message, /timestamp-query/));
    return;
  }
  const x = kiln.tensor(randArray(4096, 3), [64, 64]);
  const p = await kiln.profile(async () => {
    const y = kiln.tidy(() => kiln.softmax(kiln.exp(x)));
    const d = await y.data();
    y.dispose();
    return d.length;
  });
  assert.is(p.result, 4096);
  assert.equal(p.kernels.map((k) => k.kernel), ['exp', 'softmax']);
  for (const k of p.kernels) assert.ok(k.ms >= 0 && k.ms < 10_000, `${k.kernel}: ${k.ms} ms`);
  assert.ok(p.byKernel.length === 2 && p.totalMs >= 0);
  x.dispose();
});

t('warmup() compiles the pipelines a function uses ahead of time and frees its tensors', async () => {
  const f = () => kiln.logSoftmax(kiln.clipByValue(kiln.ones([3, 7]), -1, 0.5));
  const { result: n, leaked } = await observeTensors(() => kiln.warmup(f));
  assert.ok(n >= 2, `touched ${n} pipelines`);
  assert.is(leaked.length, 0);
  const compiled = engine().stats.pipelinesCompiled;
  const y = kiln.tidy(f);
  await y.data();
  y.dispose();
  assert.is(engine().stats.pipelinesCompiled, compiled, 'the real run compiled nothing new');
});

t('checkNumerics debug mode names the first op that produced NaN/Inf', async () => {
  kiln.setDebug({ checkNumerics: true });
  try {
    const x = kiln.tensor([1, 0, 4]);
    const ok = kiln.tidy(() => kiln.sqrt(kiln.add(x, 1)));
    await ok.data(); // clean: no error
    const bad = kiln.tidy(() => kiln.mul(kiln.sum(kiln.log(kiln.sub(x, 1))), 2));
    let msg = '';
    try { await bad.data(); } catch (e) { msg = (e as Error).message; }
    assert.match(msg, /kiln\.log\[3\] produced NaN or Inf/);
    await ok.data(); // the flag was reset
    // the first offending op in order is the one reported, as the CPU reference says
    const a = kiln.tidy(() => kiln.add(kiln.div(x, 0), kiln.sqrt(kiln.neg(x))));
    let msg2 = '';
    try { await a.data(); } catch (e) { msg2 = (e as Error).message; }
    assert.is(checkNumericsRef([[1, Infinity, Infinity], [-1, NaN, NaN]]), 0);
    assert.match(msg2, /kiln\.div\[3\] produced NaN or Inf/);
    kiln.dispose([x, ok, bad, a]);
  } finally {
    kiln.setDebug({ checkNumerics: false });
  }
});

t('a lost device gives a clear error, and ready() recovers', async () => {
  const x = kiln.ones([4]);
  engine().device.destroy();
  await new Promise((r) => setTimeout(r, 50));
  expectThrows(() => kiln.add(x, 1), /device was lost/, /ready\(\)/);
  await kiln.ready();
  const y = kiln.add(kiln.ones([4]), 1);
  expectClose(await y.data(), [2, 2, 2, 2]);
  // a tensor of the lost device is refused by name, not handed to the new device
  expectThrows(() => kiln.add(x, 1), /kiln: add:/, /made on a GPU device that was lost/, /make the tensor again/);
  y.dispose();
});

t.run();
