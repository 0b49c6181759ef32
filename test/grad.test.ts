// The gradient API: bad input, documented edge cases, memory over a long training loop, and
// checkNumerics naming the op being differentiated.
import './setup.ts';
import { suite } from 'uvu';
import { kiln, assert, expectClose, expectThrows, settle } from './helpers.ts';
import { observeTensors } from '../src/tensor.ts';

const t = suite('grad: API');
type Tensor = kiln.Tensor;

async function values(x: Tensor): Promise<number[]> {
  return Array.from(await x.data());
}

/** fn must throw, create no lasting tensors, and leave the inputs alive */
async function expectCleanThrow(fn: () => unknown, inputs: Tensor[], ...patterns: RegExp[]): Promise<void> {
  const { leaked } = await observeTensors(() => expectThrows(fn, ...patterns));
  assert.is(leaked.length, 0, `the failed call left ${leaked.length} tensor(s) alive`);
  for (const x of inputs) assert.not.ok(x.isDisposed, 'inputs stay alive');
}

t('grad of a non-scalar without dy: a clear error naming the shape', async () => {
  const x = kiln.ones([3, 17]);
  await expectCleanThrow(() => kiln.grad((v) => kiln.mul(v, 2))(x), [x], /^kiln\.grad: /, /returned shape \[3,17\], not a scalar/, /pass dy/, /kiln\.sum/);
  await expectCleanThrow(() => kiln.grads((a, b) => kiln.add(a, b))([x, x]), [x], /^kiln\.grads: /, /\[3,17\]/);
  await expectCleanThrow(() => kiln.valueAndGrads((v) => kiln.exp(v))([x]), [x], /^kiln\.valueAndGrads: /, /\[3,17\]/);
  // a [1] or [1,1] result has one element: fine without dy
  const g = kiln.grad((v) => kiln.sum(v, 1, true))(kiln.ones([1, 4]));
  assert.equal(await values(g), [1, 1, 1, 1]);
  kiln.dispose([x, g]);
});

t('dy with the wrong shape is refused, naming both shapes', async () => {
  const x = kiln.ones([3, 17]);
  const dy = kiln.ones([17]);
  await expectCleanThrow(() => kiln.grad((v) => kiln.mul(v, 2))(x, dy), [x, dy], /kiln\.grad: dy has shape \[17\] but the function returned \[3,17\]/);
  const dy2 = kiln.ones([17, 3]);
  await expectCleanThrow(() => kiln.grads((v) => kiln.mul(v, 2))([x], dy2), [x, dy2], /dy has shape \[17,3\] but the function returned \[3,17\]/);
  await expectCleanThrow(() => kiln.grad((v) => kiln.mul(v, 2))(x, [1, 2] as unknown as Tensor), [x], /kiln\.grad: dy \(the upstream gradient\) must be a Tensor, got object/);
  const di = kiln.ones([3, 17], 'int32');
  await expectCleanThrow(() => kiln.grad((v) => kiln.mul(v, 2))(x, di), [x, di], /kiln\.grad: dy must be float32, got a int32 tensor \[3,17\]/);
  di.dispose();
  // the right dy weights the outputs
  const dy3 = kiln.tensor([1, 2, 3]);
  const g = kiln.grad((v) => kiln.square(v))(kiln.tensor([1, 1, -1]), dy3);
  assert.equal(await values(g), [2, 4, -6]);
  kiln.dispose([x, dy, dy2, dy3, g]);
});

t('differentiating with respect to an int32 (or bool) tensor is refused', async () => {
  const i = kiln.tensor([1, 2, 3], [3], 'int32');
  const f = kiln.ones([3]);
  await expectCleanThrow(() => kiln.grads((a, b) => kiln.sum(kiln.mul(a, kiln.cast(b, 'float32'))))([f, i]), [i, f],
    /kiln\.grads: cannot differentiate with respect to a int32 tensor \[3\] \(argument 1\); only float32 tensors have gradients/);
  const b = kiln.tensor([1, 0], [2], 'bool');
  await expectCleanThrow(() => kiln.grad((v) => kiln.sum(kiln.cast(v, 'float32')))(b), [b], /bool tensor \[2\]/);
  // ints used inside the function are fine: they are constants
  const g = kiln.grad((v) => kiln.sum(kiln.mul(v, kiln.cast(i, 'float32'))))(f);
  assert.equal(await values(g), [1, 2, 3]);
  kiln.dispose([i, f, b, g]);
});

t('the function must return a Tensor; errors inside it propagate and leave nothing behind', async () => {
  const x = kiln.ones([2]);
  await expectCleanThrow(() => kiln.grad(() => 3 as unknown as Tensor)(x), [x], /kiln\.grad: the function must return a Tensor/, /got number/);
  await expectCleanThrow(() => kiln.grads((v) => { kiln.exp(v); return null as unknown as Tensor; })([x]), [x], /got null/);
  await expectCleanThrow(() => kiln.grad((v) => [kiln.sum(v)] as unknown as Tensor)(x), [x], /must return a Tensor \(the value to differentiate\), got object/);
  await expectCleanThrow(() => kiln.grad((v) => kiln.sum(kiln.matMul(v, v)))(x), [x], /kiln\.matMul/);
  await expectCleanThrow(() => kiln.grad(() => { throw new Error('boom'); })(x), [x], /^boom$/);
  await expectCleanThrow(() => kiln.grads((v) => v)([3 as unknown as Tensor]), [], /kiln\.grads: argument 0 must be a Tensor, got number/);
  // after a failure nothing is still being recorded: a later gradient is right
  const g = kiln.grad((v) => kiln.sum(kiln.square(v)))(kiln.tensor([1, 2]));
  assert.equal(await values(g), [2, 4]);
  const d = kiln.tensor([1]);
  d.dispose();
  expectThrows(() => kiln.grad((v) => kiln.sum(v))(d), /was disposed/);
  kiln.dispose([x, g]);
});

t('a tensor the result does not depend on gets a zero gradient (PyTorch); variableGrads omits it (tfjs)', async () => {
  const x = kiln.tensor([1, 2, 3]);
  const unused = kiln.tensor([[5, 6]]);
  const [gx, gu] = kiln.grads((a) => kiln.sum(kiln.square(a)))([x, unused]);
  assert.equal(await values(gx), [2, 4, 6]);
  assert.equal([...gu.shape], [1, 2]);
  assert.equal(await values(gu), [0, 0]);
  // only through an int cast or noGrad: no gradient either
  const [gc] = kiln.grads((a) => kiln.sum(kiln.cast(kiln.cast(a, 'int32'), 'float32')))([x]);
  assert.equal(await values(gc), [0, 0, 0]);
  const w = kiln.variable(kiln.tensor([2, 3]), true, 'gradapi_w');
  const v = kiln.variable(kiln.tensor([[1], [1]]), true, 'gradapi_unused');
  // variableGrads as tfjs: an unused variable has no entry, and an optimizer leaves it alone
  await settle();
  const before = kiln.memory().numTensors;
  const { value, grads } = kiln.variableGrads(() => kiln.sum(kiln.mul(w, w)), [w, v]);
  assert.equal(await values(value), [13]);
  assert.equal(await values(grads.gradapi_w), [4, 6]);
  assert.equal(Object.keys(grads), ['gradapi_w']);
  assert.is(kiln.memory().numTensors, before + 2, 'the unused zeros were disposed');
  kiln.dispose([value, grads.gradapi_w]);
  const opt = kiln.adam(0.1, 0.9, 0.999, 1e-8, { weightDecay: 0.5 });
  for (let i = 0; i < 3; i++) opt.minimize(() => kiln.sum(kiln.mul(w, w)));
  assert.equal(await values(v), [1, 1]);
  opt.dispose();
  expectThrows(() => kiln.variableGrads(() => kiln.sum(x), [v]), /variableGrads/, /does not depend on any of the 1 variable/, /gradapi_unused/);
  assert.is(kiln.memory().numTensors, before, 'the error leaves nothing behind');
  kiln.dispose([x, unused, gx, gu, gc, w, v]);
});

t('the same tensor twice in xs gets the whole gradient at both places (PyTorch)', async () => {
  const x = kiln.tensor([1, -2, 3]);
  const [a, b] = kiln.grads((p, q) => kiln.sum(kiln.mul(p, q)))([x, x]);
  assert.equal(await values(a), [2, -4, 6]);
  assert.equal(await values(b), [2, -4, 6]);
  a.dispose();
  assert.equal(await values(b), [2, -4, 6], 'each gradient is disposed on its own');
  kiln.dispose([x, b]);
});

t('noGrad, tidy inside the function, identity functions, and inputs stay alive', async () => {
  const x = kiln.tensor([1, 2, 3]);
  // noGrad: a constant to the gradient
  const g1 = kiln.grad((v) => kiln.sum(kiln.add(kiln.mul(v, 2), kiln.noGrad(() => kiln.square(v)))))(x);
  assert.equal(await values(g1), [2, 2, 2]);
  // tidy inside f must not free what the backward pass needs
  const g2 = kiln.grad((v) => kiln.tidy(() => kiln.sum(kiln.exp(kiln.mul(kiln.tidy(() => kiln.sin(v)), 1)))))(x);
  const xv = [1, 2, 3];
  expectClose(await g2.data(), xv.map((q) => Math.exp(Math.sin(q)) * Math.cos(q)), { rtol: 1e-5 });
  // f = identity: the gradient is dy (ones for a scalar)
  const s = kiln.scalar(4);
  const g3 = kiln.grad((v) => v)(s);
  assert.equal(await values(g3), [1]);
  const dy = kiln.tensor([7, 8, 9]);
  const g4 = kiln.grad((v) => v)(x, dy);
  assert.equal(await values(g4), [7, 8, 9]);
  // f returning its input (or a variable): the value is a handle of its own
  const r = kiln.valueAndGrads((v) => v)([s]);
  r.value.dispose();
  kiln.dispose(r.grads);
  assert.not.ok(s.isDisposed, 'disposing the value leaves the input alive');
  const wv = kiln.variable(kiln.scalar(3), true, 'gradapi_ret');
  const vg = kiln.variableGrads(() => wv, [wv]);
  vg.value.dispose();
  assert.equal(await values(wv), [3]);
  assert.equal(await values(vg.grads.gradapi_ret), [1]);
  kiln.dispose([wv, vg.grads.gradapi_ret]);
  // valueAndGrad returns a live value; grads never dispose their inputs
  const { value, grad } = kiln.valueAndGrad((v) => kiln.sum(kiln.square(v)))(x);
  assert.equal(await values(value), [14]);
  assert.equal(await values(grad), [2, 4, 6]);
  assert.not.ok(x.isDisposed || dy.isDisposed);
  kiln.dispose([x, s, dy, g1, g2, g3, g4, value, grad]);
});

t('a gradient function leaves only its results: no leaks across every op family', async () => {
  const { leaked } = await observeTensors(async () => {
    const x = kiln.randomUniform([3, 5], -1, 1, 'float32', 1);
    const w = kiln.randomUniform([5, 4], -1, 1, 'float32', 2);
    const ids = kiln.tensor([0, 2, 2], [3], 'int32');
    const f = (a: Tensor, b: Tensor) => {
      const h = kiln.relu(kiln.matMul(a, b));
      const p = kiln.pad(kiln.transpose(h), [[1, 1], [0, 2]], 0, 'reflect');
      const c = kiln.concat([kiln.gather(p, ids), kiln.slice(p, [1, 0], [2, -1])], 0);
      return kiln.add(kiln.logSumExp(kiln.logSoftmax(c), 1), kiln.max(kiln.where(kiln.greater(c, 0), c, kiln.mul(c, 0.1)), 1));
    };
    const dy = kiln.ones([5]);
    const gs = kiln.grads(f)([x, w], dy);
    await Promise.all(gs.map((g) => g.data()));
    kiln.dispose([x, w, ids, dy, ...gs]);
  });
  assert.is(leaked.length, 0, `leaked: ${leaked.join(', ')}`);
});

t('10,000 steps of variableGrads + a manual update keep memory flat', async () => {
  // a tiny model (10 dispatches a step): fit w in sum((x*w - y)^2), so w -> y/x
  const x = kiln.tensor([0.5, -1, 2, 1.5]);
  const y = kiln.tensor([1, 2, -1, 0.5]);
  const w = kiln.variable(kiln.zeros([4]), true, 'gradloop_w');
  const loss = () => kiln.sum(kiln.square(kiln.sub(kiln.mul(x, w), y)));
  const step = (keepLoss = false) => kiln.tidy(() => {
    const { value, grads } = kiln.variableGrads(loss, [w]);
    w.assign(kiln.sub(w, kiln.mul(grads.gradloop_w, 0.1)));
    return keepLoss ? value : undefined;
  });
  for (let i = 0; i < 100; i++) step();
  await kiln.sync();
  await settle();
  const before = kiln.memory();
  const t0 = performance.now();
  let last = NaN;
  const { leaked } = await observeTensors(async () => {
    for (let i = 0; i < 10_000; i++) step();
    const l = step(true)!;
    last = (await l.data())[0];
    l.dispose();
  });
  const ms = performance.now() - t0;
  const after = kiln.memory();
  assert.is(leaked.length, 0, `leaked ${leaked.length}: ${leaked.slice(0, 5).join(', ')}`);
  // (the GC may reclaim other tests' dropped tensors meanwhile: counts can only drop)
  assert.ok(after.numTensors <= before.numTensors, `numTensors ${before.numTensors} -> ${after.numTensors}`);
  assert.ok(after.numBytes <= before.numBytes, `numBytes ${before.numBytes} -> ${after.numBytes}`);
  assert.ok(after.allocatedBytes - before.allocatedBytes <= 64 * 1024, `the pool grew from ${before.allocatedBytes} to ${after.allocatedBytes} bytes`);
  assert.ok(last < 1e-10, `the loop trains: final loss ${last}`);
  expectClose(await w.data(), [2, -2, -0.5, 1 / 3], { rtol: 1e-5 });
  assert.ok(ms < 30_000, `10,000 steps took ${ms.toFixed(0)} ms`);
  kiln.dispose([x, y, w]);
});

t('checkNumerics names the op being differentiated when the backward pass makes NaN/Inf', async () => {
  kiln.setDebug({ checkNumerics: true });
  try {
    // sqrt at 0: the forward is fine (0), the derivative 0.5/sqrt(0) is Inf
    const x = kiln.tensor([0, 1, 4]);
    const g = kiln.grad((v) => kiln.sum(kiln.sqrt(v)))(x);
    let msg = '';
    await g.data().catch((e: Error) => { msg = e.message; });
    assert.match(msg, /^gradient of kiln\.sqrt: kiln\.sqrt_grad\[3\] produced NaN or Inf/);
    g.dispose();
    // a rule made of other ops names the op it differentiates, then the op that failed:
    // mul's rule is dy * b, which overflows here while the forward 4x does not
    const y = kiln.tensor([1, 2, 3]);
    const big = kiln.tensor([3e38, 1, 1]);
    const g2 = kiln.grad((v) => kiln.mul(v, 4))(y, big);
    msg = '';
    await g2.data().catch((e: Error) => { msg = e.message; });
    assert.match(msg, /^gradient of kiln\.mul: kiln\.mul\[3\] produced NaN or Inf/);
    kiln.dispose([g2, big]);
    // a NaN in the forward pass is named without the prefix, and the prefix does not outlive backprop
    const z = kiln.tensor([-1, 1]);
    const g3 = kiln.grad((v) => kiln.sum(kiln.log(v)))(z);
    msg = '';
    await g3.data().catch((e: Error) => { msg = e.message; });
    assert.match(msg, /^kiln\.log\[2\] produced NaN or Inf/);
    const after = kiln.sqrt(kiln.tensor([-1]));
    msg = '';
    await after.data().catch((e: Error) => { msg = e.message; });
    assert.match(msg, /^kiln\.sqrt\[1\] produced NaN or Inf/);
    // finite gradients pass the checks
    const ok = kiln.grad((v) => kiln.sum(kiln.sqrt(v)))(kiln.tensor([1, 4]));
    assert.equal(await values(ok), [0.5, 0.25]);
    kiln.dispose([x, y, z, g3, after, ok]);
  } finally {
    kiln.setDebug({ checkNumerics: false });
  }
});

t('a result reached only through non-differentiable ops says which ones', async () => {
  const x = kiln.tensor([1, -2, 3]);
  expectThrows(() => kiln.grad((v) => kiln.sum(kiln.cast(kiln.argMax(v, 0), 'float32')))(x), /not differentiable/, /kiln\.argMax/);
  expectThrows(() => kiln.grad((v) => kiln.sum(kiln.cast(kiln.greater(v, 0), 'float32')))(x), /kiln\.greater/);
  // a mask times x still has a gradient: the mask path is simply constant
  const g = kiln.grad((v) => kiln.sum(kiln.mul(kiln.cast(kiln.greater(v, 0), 'float32'), v)))(x);
  assert.equal([...await g.data()], [1, 0, 1]);
  // a loss that ignores x entirely: zeros, as documented
  const z = kiln.grad(() => kiln.sum(kiln.ones([2])))(x);
  assert.equal([...await z.data()], [0, 0, 0]);
  kiln.dispose([x, g, z]);
});

t.run();
