import './setup.ts';
import { suite } from 'uvu';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { rm } from 'node:fs/promises';
import { kiln, assert, expectClose, expectThrows, randArray, AWKWARD } from './helpers.ts';
import { engine, observeTensors } from '../src/tensor.ts';
import { updateRef, stateNames, clipByGlobalNormRef, globalNormRef, axpyRef, axpyProgram, type UpdateKind, type UpdateVariant, type UpdateHyper } from '../kernels/optim.ts';
import { cubicInterpolate } from '../src/optim/line_search.ts';

const t = suite('optim');
const SIZES = [...AWKWARD, 1000];
const TOL = { rtol: 1e-5, atol: 2e-6 };

let nextName = 0;
const fresh = (init: kiln.Tensor | number[], name = `optim_v${++nextName}`) => {
  const x = Array.isArray(init) ? kiln.tensor(init) : init;
  const v = kiln.variable(x, true, name);
  if (Array.isArray(init)) x.dispose();
  return v;
};

interface Case {
  name: string;
  make: () => kiln.Optimizer;
  kind: UpdateKind;
  variant?: UpdateVariant;
  /** the reference's hyper-parameters at step t (written from PyTorch's formulas, not the optimizer's code) */
  hyper: (t: number) => UpdateHyper;
  init?: number;
}

const adamH = (lr: number, b1: number, b2: number, eps: number, t: number, wd = 0, decoupled = false): UpdateHyper => ({
  lr, beta1: b1, beta2: b2, eps, stepSize: lr / (1 - b1 ** t), bc2Sqrt: Math.sqrt(1 - b2 ** t),
  weightDecay: decoupled ? 0 : wd, decay: decoupled ? 1 - lr * wd : 1,
});

const CASES: Case[] = [
  { name: 'sgd', make: () => kiln.sgd(0.1), kind: 'sgd', hyper: () => ({ lr: 0.1 }) },
  { name: 'sgd weightDecay', make: () => kiln.sgd(0.05, { weightDecay: 0.3 }), kind: 'sgd', hyper: () => ({ lr: 0.05, weightDecay: 0.3 }) },
  { name: 'momentum', make: () => kiln.momentum(0.1, 0.9), kind: 'momentum', hyper: (t) => ({ lr: 0.1, momentum: 0.9, first: t === 1 }) },
  {
    name: 'momentum dampening+wd', make: () => kiln.momentum(0.1, 0.8, { dampening: 0.3, weightDecay: 0.01 }), kind: 'momentum',
    hyper: (t) => ({ lr: 0.1, momentum: 0.8, dampening: 0.3, weightDecay: 0.01, first: t === 1 }),
  },
  { name: 'nesterov', make: () => kiln.momentum(0.1, 0.9, true), kind: 'momentum', hyper: (t) => ({ lr: 0.1, momentum: 0.9, nesterov: true, first: t === 1 }) },
  { name: 'adam', make: () => kiln.adam(0.01), kind: 'adam', hyper: (t) => adamH(0.01, 0.9, 0.999, 1e-8, t) },
  { name: 'adam L2', make: () => kiln.adam(0.01, 0.8, 0.99, 1e-6, { weightDecay: 0.1 }), kind: 'adam', hyper: (t) => adamH(0.01, 0.8, 0.99, 1e-6, t, 0.1) },
  { name: 'amsgrad', make: () => kiln.adam(0.01, 0.9, 0.999, 1e-8, { amsgrad: true }), kind: 'adam', variant: { amsgrad: true }, hyper: (t) => adamH(0.01, 0.9, 0.999, 1e-8, t) },
  { name: 'adamw', make: () => kiln.adamw(0.01, 0.9, 0.999, 1e-8, 0.1), kind: 'adam', hyper: (t) => adamH(0.01, 0.9, 0.999, 1e-8, t, 0.1, true) },
  { name: 'rmsprop', make: () => kiln.rmsprop(0.01), kind: 'rmsprop', hyper: () => ({ lr: 0.01, alpha: 0.99, eps: 1e-8 }) },
  {
    name: 'rmsprop centered+momentum+wd', make: () => kiln.rmsprop(0.01, { rho: 0.9, centered: true, momentum: 0.5, weightDecay: 0.01 }),
    kind: 'rmsprop', variant: { centered: true, momentum: true }, hyper: () => ({ lr: 0.01, alpha: 0.9, eps: 1e-8, momentum: 0.5, weightDecay: 0.01 }),
  },
  { name: 'rmsprop momentum', make: () => kiln.rmsprop(0.01, { momentum: 0.9 }), kind: 'rmsprop', variant: { momentum: true }, hyper: () => ({ lr: 0.01, alpha: 0.99, eps: 1e-8, momentum: 0.9 }) },
  {
    name: 'adagrad', make: () => kiln.adagrad(0.1, { lrDecay: 0.1, initialAccumulatorValue: 0.1 }), kind: 'adagrad', init: 0.1,
    hyper: (t) => ({ lr: 0.1 / (1 + (t - 1) * 0.1), eps: 1e-10 }),
  },
];

for (const c of CASES) {
  t(`${c.name}: fused GPU update matches the float64 reference over 4 steps, sizes ${SIZES.join('/')}, state included`, async () => {
    const opt = c.make();
    const vars = SIZES.map((n, i) => fresh(kiln.tensor(randArray(n, 100 + i), [n])));
    const names = stateNames(c.kind, c.variant ?? {});
    const p = SIZES.map((n, i) => Float64Array.from(randArray(n, 100 + i)));
    const st = SIZES.map((n) => Object.fromEntries(names.map((s) => [s, new Float64Array(n).fill(c.init ?? 0)])));
    for (let step = 1; step <= 4; step++) {
      const gs = SIZES.map((n, i) => randArray(n, 1000 * step + i, -2, 2));
      const gt = gs.map((g) => kiln.tensor(g));
      opt.applyGradients(vars.map((v, i) => ({ variable: v, grad: gt[i] })));
      kiln.dispose(gt);
      SIZES.forEach((_, i) => updateRef(c.kind, c.variant ?? {}, c.hyper(step), p[i], gs[i], st[i]));
    }
    assert.is(opt.iterations, 4);
    const state = opt.state();
    for (let i = 0; i < SIZES.length; i++) {
      expectClose(await vars[i].data(), p[i], TOL, `${c.name} n=${SIZES[i]} p`);
      for (const s of names) expectClose(await state[`${vars[i].name}/${s}`].data(), st[i][s], TOL, `${c.name} n=${SIZES[i]} ${s}`);
      assert.equal(Array.from(await state[`${vars[i].name}/step`].data()), [4]);
    }
    opt.dispose();
    kiln.dispose(vars);
  });
}

t('hand-computed steps agree with PyTorch formulas (sgd, momentum, nesterov, adam, adamw, rmsprop, adagrad)', async () => {
  const run = async (opt: kiln.Optimizer, grads: number[]) => {
    const w = fresh([1]);
    const out: number[] = [];
    for (const g of grads) {
      const gt = kiln.tensor([g]);
      opt.applyGradients([{ variable: w, grad: gt }]);
      gt.dispose();
      out.push((await w.data())[0]);
    }
    w.dispose();
    opt.dispose();
    return out;
  };
  // p = 1, g = 0.5 then -1
  expectClose(await run(kiln.sgd(0.1), [0.5, -1]), [0.95, 1.05], TOL, 'sgd');
  // buf = 0.5 (first step: the gradient itself); buf = 0.9*0.5 - 1 = -0.55
  expectClose(await run(kiln.momentum(0.1, 0.9), [0.5, -1]), [0.95, 1.005], TOL, 'momentum');
  // nesterov: step = g + 0.9*buf: 0.95, then -1 + 0.9*(-0.55) = -1.495
  expectClose(await run(kiln.momentum(0.1, 0.9, { nesterov: true }), [0.5, -1]), [0.905, 1.0545], TOL, 'nesterov');
  // dampening 0.5: buf = 0.5, then 0.9*0.5 + 0.5*(-1) = -0.05
  expectClose(await run(kiln.momentum(0.1, 0.9, { dampening: 0.5 }), [0.5, -1]), [0.95, 0.955], TOL, 'dampening');
  // m = 0.05, v = 2.5e-4: step 1 moves by exactly lr; step 2: m = -0.055, v = 1.24975e-3
  expectClose(await run(kiln.adam(0.1), [0.5, -1]), [0.900000002, 0.9366103542405654], TOL, 'adam');
  // adamw: p *= 1 - lr*wd first
  expectClose(await run(kiln.adamw(0.1, 0.9, 0.999, 1e-8, 0.1), [0.5, -1]), [0.890000002, 0.9177103542205653], TOL, 'adamw');
  // sq = 0.0025: sqrt(sq) = 0.05, so the first step is lr * 0.5 / 0.05
  expectClose(await run(kiln.rmsprop(0.01), [0.5, -1]), [0.90000002, 0.9895323081911337], TOL, 'rmsprop');
  expectClose(await run(kiln.rmsprop(0.01, { centered: true }), [0.5, -1]), [0.899496238676095, 0.9891201823276711], TOL, 'rmsprop centered');
  // sum = 0.25, then 1.25
  expectClose(await run(kiln.adagrad(0.1), [0.5, -1]), [0.9, 0.9 + 0.1 / Math.sqrt(1.25)], TOL, 'adagrad');
});

t('learning-rate schedules: values, and a new rate per step compiles nothing', async () => {
  const { schedules } = kiln;
  assert.is(schedules.constant(0.3)(99), 0.3);
  expectClose([0, 5, 10, 15].map(kiln.exponentialDecay(1, 10, 0.5)), [1, 2 ** -0.5, 0.5, 2 ** -1.5], TOL, 'exponentialDecay');
  expectClose([0, 5, 10, 15].map(kiln.exponentialDecay(1, 10, 0.5, true)), [1, 1, 0.5, 0.5], TOL, 'staircase');
  expectClose([0, 2, 3, 7].map(kiln.stepDecay(1, 3, 0.1)), [1, 1, 0.1, 0.01], TOL, 'stepDecay');
  expectClose([0, 10, 11, 20, 21, 99].map(kiln.piecewiseConstant([10, 20], [1, 0.5, 0.1])), [1, 1, 0.5, 0.5, 0.1, 0.1], TOL, 'piecewiseConstant');
  const cos = kiln.cosineDecay(1, 100, { warmupSteps: 10, alpha: 0.1 });
  expectClose([0, 5, 10, 60, 110, 500].map(cos), [0, 0.5, 1, 0.55, 0.1, 0.1], TOL, 'cosineDecay');
  expectThrows(() => kiln.piecewiseConstant([1, 2], [1]), /piecewiseConstant/, /one more value/);

  // sgd with a step schedule: 1, 1, 0.1, 0.1 (the schedule sees 0, 1, 2, 3)
  const w = fresh([0]);
  const opt = kiln.sgd(kiln.stepDecay(1, 2, 0.1));
  const g = kiln.tensor([1]);
  opt.applyGradients([{ variable: w, grad: g }]); // compiles the pipeline
  const compiled = engine().stats.pipelinesCompiled;
  for (let i = 0; i < 3; i++) opt.applyGradients([{ variable: w, grad: g }]);
  expectClose(await w.data(), [-2.2], TOL, 'scheduled sgd');
  assert.is(engine().stats.pipelinesCompiled, compiled, 'changing the learning rate compiled a pipeline');
  expectClose([opt.currentLearningRate], [0.01], TOL, 'currentLearningRate');
  const bad = kiln.sgd(() => NaN);
  expectThrows(() => bad.applyGradients([{ variable: w, grad: g }]), /learning rate at step 0 is NaN/);
  kiln.dispose([w, g]);
});

t('clipByGlobalNorm matches the reference (awkward sizes, clipped and not), without a readback', async () => {
  const arrs = SIZES.map((n, i) => randArray(n, 7 + i));
  const gs = arrs.map((a) => kiln.tensor(a));
  const norm = globalNormRef(arrs);
  for (const maxNorm of [norm / 3, norm * 2]) {
    const submits = engine().stats.submits;
    const r = kiln.clipByGlobalNorm(gs, maxNorm);
    assert.is(engine().stats.submits, submits, 'clipByGlobalNorm submitted work (waited on the CPU)');
    const ref = clipByGlobalNormRef(arrs, maxNorm);
    expectClose(await r.globalNorm.data(), [ref.norm], TOL, 'norm');
    assert.equal([...r.globalNorm.shape], []);
    for (let i = 0; i < gs.length; i++) expectClose(await r.grads[i].data(), ref.clipped[i], TOL, `clipped n=${SIZES[i]}`);
    kiln.dispose(r);
  }
  // record form, a zero-size tensor, and globalNorm alone
  const rec = kiln.clipByGlobalNorm({ a: gs[0], b: gs[4], e: kiln.zeros([0]) }, 1);
  assert.equal(Object.keys(rec.grads), ['a', 'b', 'e']);
  const ref = clipByGlobalNormRef([arrs[0], arrs[4]], 1);
  expectClose(await rec.grads.b.data(), ref.clipped[1], TOL, 'record form');
  const n = kiln.globalNorm(gs);
  expectClose(await n.data(), [norm], TOL, 'globalNorm');
  expectThrows(() => kiln.clipByGlobalNorm(gs, -1), /clipByGlobalNorm/, /maxNorm/);
  expectThrows(() => kiln.clipByGlobalNorm([kiln.tensor([1], [1], 'int32')], 1), /float32/);
  kiln.dispose([gs, rec, n]);
});

t('globalNorm of a 4M-element tensor (more items than partial-sum threads)', async () => {
  const n = (1 << 22) + 3;
  const a = randArray(n, 77);
  const x = kiln.tensor(a);
  const norm = kiln.globalNorm([x, x]);
  expectClose(await norm.data(), [globalNormRef([a, a])], { rtol: 1e-5 }, 'norm');
  kiln.dispose([x, norm]);
});

t('axpy kernel (L-BFGS steps): variables as slices of flat vectors, in place and from x0', async () => {
  const total = SIZES.reduce((s, n) => s + n, 0);
  const d = randArray(total, 3);
  const x0 = randArray(total, 4);
  const dt = kiln.tensor(d);
  const x0t = kiln.tensor(x0);
  for (const from of [false, true]) {
    const ps = SIZES.map((n, i) => kiln.tensor(randArray(n, 40 + i)));
    const refs = SIZES.map((n, i) => Float64Array.from(randArray(n, 40 + i)));
    let off = 0;
    SIZES.forEach((n, i) => {
      engine().dispatch(axpyProgram(n, off, -0.75, from), from ? [dt.buffer, x0t.buffer] : [dt.buffer], [ps[i].buffer]);
      axpyRef(refs[i], d, off, -0.75, from ? x0 : undefined);
      off += n;
    });
    for (let i = 0; i < SIZES.length; i++) expectClose(await ps[i].data(), refs[i], TOL, `axpy from=${from} n=${SIZES[i]}`);
    kiln.dispose(ps);
  }
  kiln.dispose([dt, x0t]);
});

t('clipNorm option: gradients scaled on the GPU before the fused update', async () => {
  const arrs = [randArray(17, 1, -3, 3), randArray(1000, 2, -3, 3)];
  const vars = arrs.map((_, i) => fresh(kiln.zeros([arrs[i].length])));
  const opt = kiln.adam(0.01, 0.9, 0.999, 1e-8, { clipNorm: 1 });
  const p = arrs.map((a) => new Float64Array(a.length));
  const st = arrs.map((a) => ({ m: new Float64Array(a.length), v: new Float64Array(a.length) }));
  for (let step = 1; step <= 3; step++) {
    const gs = arrs.map((a) => a.map((x) => x * step));
    const gt = gs.map((g) => kiln.tensor(g));
    const submits = engine().stats.submits;
    opt.applyGradients(vars.map((v, i) => ({ variable: v, grad: gt[i] })));
    assert.is(engine().stats.submits, submits, 'the update waited on the CPU');
    kiln.dispose(gt);
    const norm = globalNormRef(gs);
    gs.forEach((g, i) => updateRef('adam', { clip: true }, { ...adamH(0.01, 0.9, 0.999, 1e-8, step), maxNorm: 1 }, p[i], g, st[i], norm));
  }
  for (let i = 0; i < vars.length; i++) expectClose(await vars[i].data(), p[i], TOL, `clipped adam ${i}`);
  opt.dispose();
  kiln.dispose(vars);
});

t('applyGradients: gradients by name (variableGrads form); variables sharing storage keep tensors immutable', async () => {
  const w = fresh([1, 2, 3], 'optim_named_w');
  const other = kiln.tensor([5, 5, 5]);
  w.assign(other); // w and `other` share storage now
  const view = kiln.reshape(w, [3, 1]);
  const opt = kiln.sgd(1);
  const g = kiln.tensor([1, 1, 1]);
  opt.applyGradients({ optim_named_w: g });
  assert.equal(Array.from(await w.data()), [4, 4, 4]);
  assert.equal(Array.from(await other.data()), [5, 5, 5], 'the assigned tensor changed');
  assert.equal(Array.from(await view.data()), [5, 5, 5], 'a reshaped view changed');
  // the variable as its own gradient: p -= lr * p
  opt.applyGradients([{ variable: w, grad: w }]);
  assert.equal(Array.from(await w.data()), [0, 0, 0]);
  kiln.dispose([w, other, view, g]);
});

t('applyGradients: clear errors', async () => {
  const w = fresh([1, 2, 3], 'optim_err_w');
  const opt = kiln.adam();
  expectThrows(() => opt.applyGradients({ no_such_var: kiln.zeros([3]) }), /adam\.applyGradients/, /no live variable is named 'no_such_var'/);
  expectThrows(() => opt.applyGradients({ optim_err_w: kiln.zeros([2]) }), /gradient of 'optim_err_w' is \[2\] float32/, /\[3\] float32/);
  expectThrows(() => opt.applyGradients([{ variable: kiln.zeros([3]) as kiln.Variable, grad: kiln.zeros([3]) }]), /plain Tensor/);
  expectThrows(() => kiln.adam(0.1, 1.5), /adam/, /beta1 must be in \[0, 1\)/);
  expectThrows(() => kiln.momentum(0.1, 0, true), /Nesterov/);
  expectThrows(() => kiln.sgd(-1), /sgd/, /learning rate/);
  expectThrows(() => kiln.rmsprop(0.1, { alpha: 0.9, rho: 0.8 }), /alpha.*rho/);
  // the state is for one shape; a variable of the same name with another shape is refused
  const g = kiln.zeros([3]);
  opt.applyGradients({ optim_err_w: g });
  w.dispose();
  const w2 = fresh([1, 2], 'optim_err_w');
  const g2 = kiln.zeros([2]);
  expectThrows(() => opt.applyGradients({ optim_err_w: g2 }), /state of 'optim_err_w' is for shape \[3\]/);
  opt.dispose();
  kiln.dispose([w2, g, g2]);
});

t('state()/loadState(): names, round trip into a fresh optimizer, and equal continuation', async () => {
  const init = randArray(129, 5);
  const a = fresh(kiln.tensor(init), 'optim_st_a');
  const b = fresh(kiln.tensor(init), 'optim_st_b');
  const grads = [1, 2, 3, 4].map((s) => kiln.tensor(randArray(129, 50 + s)));
  const optA = kiln.adam(0.01, 0.9, 0.999, 1e-8, { amsgrad: true });
  for (let i = 0; i < 3; i++) optA.applyGradients([{ variable: a, grad: grads[i] }]);
  const st = optA.state();
  assert.equal(Object.keys(st).sort(), ['iterations', 'optim_st_a/m', 'optim_st_a/step', 'optim_st_a/v', 'optim_st_a/vmax']);
  // move the state over to variable b's name, as a checkpoint of another run would
  const moved: Record<string, kiln.Tensor> = {};
  for (const [k, v] of Object.entries(st)) moved[k.replace('optim_st_a', 'optim_st_b')] = v;
  const optB = kiln.adam(0.01, 0.9, 0.999, 1e-8, { amsgrad: true });
  await optB.loadState(moved); // kept tensors (optA's) are copied, not shared
  b.assign(a); // shares a's storage: the update below must copy it first
  assert.is(optB.iterations, 3);
  optA.applyGradients([{ variable: a, grad: grads[3] }]);
  optB.applyGradients([{ variable: b, grad: grads[3] }]);
  expectClose(await b.data(), await a.data(), { rtol: 0, atol: 0 }, 'continued');
  const sb = optB.state();
  expectClose(await sb['optim_st_b/v'].data(), await optA.state()['optim_st_a/v'].data(), { rtol: 0, atol: 0 }, 'v');
  try { await optB.loadState({ 'x/bogus': grads[0] }); assert.unreachable('bogus name'); } catch (e) { assert.match((e as Error).message, /unexpected state 'x\/bogus'/); }
  try { await optB.loadState({ 'optim_st_b/step': kiln.scalar(1, 'int32') }); assert.unreachable('missing m/v'); } catch (e) { assert.match((e as Error).message, /missing 'optim_st_b\/m', 'optim_st_b\/v', 'optim_st_b\/vmax'/); }
  // getWeights / setWeights (tfjs's form)
  const list = await optA.getWeights();
  assert.ok(list.some((w) => w.name === 'optim_st_a/m'));
  const optC = kiln.adam(0.01, 0.9, 0.999, 1e-8, { amsgrad: true });
  await optC.setWeights(list);
  assert.is(optC.iterations, 4);
  kiln.dispose([a, b, grads]);
  optA.dispose();
  optB.dispose();
  optC.dispose();
});

t('checkpoint round trip: saveCheckpoint/loadCheckpoint carry the optimizer state', async () => {
  const path = join(tmpdir(), `kiln-optim-${process.pid}.safetensors`);
  const w = fresh(kiln.tensor(randArray(17, 9)), 'optim_ck_w');
  const g = kiln.tensor(randArray(17, 10));
  const opt = kiln.rmsprop(0.01, { centered: true, momentum: 0.9 });
  opt.applyGradients({ optim_ck_w: g });
  opt.applyGradients({ optim_ck_w: g });
  await kiln.saveCheckpoint(path, { variables: [w], optimizer: opt });
  opt.applyGradients({ optim_ck_w: g });
  const want = await w.data();
  const opt2 = kiln.rmsprop(0.01, { centered: true, momentum: 0.9 });
  const res = await kiln.loadCheckpoint(path, { variables: [w], optimizer: opt2 });
  assert.equal(res.optimizerState.sort(), ['iterations', 'optim_ck_w/buf', 'optim_ck_w/ga', 'optim_ck_w/sq', 'optim_ck_w/step']);
  opt2.applyGradients({ optim_ck_w: g });
  expectClose(await w.data(), want, { rtol: 0, atol: 0 }, 'resumed from the checkpoint');
  opt.dispose();
  opt2.dispose();
  kiln.dispose([w, g]);
  await rm(path, { force: true });
});

t('memory: 1000 optimizer steps (adam + clipNorm) leave nothing behind', async () => {
  const vars = [fresh(kiln.tensor(randArray(129, 1))), fresh(kiln.tensor(randArray(1000, 2)))];
  const grads = vars.map((v, i) => kiln.tensor(randArray(v.size, 3 + i)));
  const opt = kiln.adam(0.001, 0.9, 0.999, 1e-8, { clipNorm: 1 });
  const pairs = vars.map((v, i) => ({ variable: v, grad: grads[i] }));
  opt.applyGradients(pairs); // state created
  await vars[0].data();
  const m0 = kiln.memory();
  const { leaked } = await observeTensors(async () => {
    for (let i = 0; i < 1000; i++) opt.applyGradients(pairs);
    await vars[0].data();
  });
  const m1 = kiln.memory();
  assert.equal(leaked.map(String), [], 'tensors left behind');
  assert.ok(m1.numTensors <= m0.numTensors, `live tensors grew from ${m0.numTensors} to ${m1.numTensors}`);
  assert.ok(m1.buffersCreated - m0.buffersCreated < 8, `created ${m1.buffersCreated - m0.buffersCreated} buffers`);
  const before = kiln.memory().numTensors;
  opt.dispose(); // m and v of two variables
  assert.ok(kiln.memory().numTensors <= before - 4, 'dispose() freed the state');
  kiln.dispose([vars, grads]);
});

t('minimize (variableGrads end to end): adam fits sum((w - target)^2); tfjs positional form', async () => {
  const target = kiln.tensor(randArray(17, 21, -3, 3));
  const w = fresh(kiln.zeros([17]));
  const opt = kiln.adam(0.1);
  const loss = () => kiln.sum(kiln.square(kiln.sub(w, target)));
  const first = opt.minimize(loss, { returnCost: true, varList: [w] })!;
  assert.ok((await first.data())[0] > 1);
  first.dispose();
  const { leaked } = await observeTensors(() => {
    for (let i = 0; i < 300; i++) opt.minimize(loss, false, [w]);
  });
  assert.equal(leaked.map(String), []);
  const last = opt.minimize(loss, true, [w])!;
  assert.ok((await last.data())[0] < 1e-4, `loss ${(await last.data())[0]}`);
  expectClose(await w.data(), await target.data(), { rtol: 1e-3, atol: 1e-3 }, 'w -> target');
  opt.dispose();
  kiln.dispose([target, w, last]);
});

t('kiln.fit drives an optimizer through minimize(f, true)', async () => {
  const w = fresh([0, 0], 'optim_fit_w');
  const target = kiln.tensor([1, -2]);
  const r = await kiln.fit({ steps: 60, logEvery: 30, progress: false, optimizer: kiln.momentum(0.1, 0.5), loss: () => kiln.sum(kiln.square(kiln.sub(w, target))) });
  assert.ok(r.finalLoss < 1e-3, `final loss ${r.finalLoss}`);
  kiln.dispose([w, target]);
});

t('checkNumerics names the optimizer and variable whose update made NaN/Inf', async () => {
  const w = fresh([1, 2], 'optim_nan_w');
  const g = kiln.tensor([1, NaN]);
  const opt = kiln.adam(0.1);
  kiln.setDebug({ checkNumerics: true });
  try {
    opt.applyGradients({ optim_nan_w: g });
    await w.data();
    assert.unreachable('no NaN reported');
  } catch (e) {
    assert.match((e as Error).message, /kiln\.adam\(optim_nan_w\)\[2\] produced NaN or Inf/);
  } finally {
    kiln.setDebug({ checkNumerics: false });
  }
  opt.dispose();
  kiln.dispose([w, g]);
});

// ---- L-BFGS ----

const rosenbrock = (x: kiln.Tensor, y: kiln.Tensor) => kiln.add(kiln.square(kiln.sub(1, x)), kiln.mul(100, kiln.square(kiln.sub(y, kiln.square(x)))));

t('cubicInterpolate: exact minimiser of a cubic, midpoint without a real one', () => {
  // f = (x - 1)^2 at 0 and 3: f 1, 4; f' -2, 4 -> minimum at 1
  expectClose([cubicInterpolate(0, 1, -2, 3, 4, 4)], [1], { atol: 1e-12 }, 'quadratic');
  expectClose([cubicInterpolate(0, 1, -2, 3, 4, 4, [2, 5])], [2], { atol: 1e-12 }, 'clamped');
  // d1 = g1 + g2 - 3 (f1 - f2) / (x1 - x2) = 0, d1^2 - g1 g2 < 0: no real minimiser
  assert.is(cubicInterpolate(0, 0, 1, 1, 2 / 3, 1), 0.5);
});

t('lbfgs: Rosenbrock from (-1.5, 2) converges to (1, 1) with strong-Wolfe (analytic gradients)', async () => {
  const x = fresh([-1.5], 'optim_rb_x');
  const y = fresh([2], 'optim_rb_y');
  const opt = kiln.lbfgs({ maxIter: 200, varList: [x, y] });
  const l0 = await opt.minimizeValueAndGrads(() => {
    // d/dx = -2(1 - x) - 400 x (y - x^2), d/dy = 200 (y - x^2)
    const r = kiln.sub(y, kiln.square(x));
    const gx = kiln.sub(kiln.mul(-2, kiln.sub(1, x)), kiln.mul(400, kiln.mul(x, r)));
    const gy = kiln.mul(200, r);
    const value = rosenbrock(x, y);
    r.dispose();
    return { value, grads: { optim_rb_x: gx, optim_rb_y: gy } };
  });
  expectClose([l0], [2.5 ** 2 + 100 * (2 - 2.25) ** 2], { rtol: 1e-6 }, 'initial loss');
  expectClose(await x.data(), [1], { atol: 1e-3 }, 'x');
  expectClose(await y.data(), [1], { atol: 2e-3 }, 'y');
  assert.ok(opt.nIter < 100, `${opt.nIter} iterations`);
  opt.dispose();
  kiln.dispose([x, y]);
});

t('lbfgs: Rosenbrock through variableGrads; state carries over between minimize() calls; no leaks', async () => {
  const x = fresh([-1.2], 'optim_rb2_x');
  const y = fresh([1], 'optim_rb2_y');
  const opt = kiln.lbfgs({ maxIter: 15, historySize: 5, varList: [x, y] });
  const { leaked } = await observeTensors(async () => {
    let loss = Infinity;
    for (let call = 0; call < 20 && loss > 1e-10; call++) loss = await opt.minimize(() => rosenbrock(x, y));
  });
  expectClose(await x.data(), [1], { atol: 1e-3 }, 'x');
  expectClose(await y.data(), [1], { atol: 2e-3 }, 'y');
  // what remains is the optimizer's own state, freed by dispose()
  const st = opt.state();
  assert.ok(st.d && st.prev_flat_grad && st['old_dirs/0'], 'state names');
  assert.ok(Object.keys(st).filter((k) => k.startsWith('old_dirs/')).length <= 5, 'history bounded by historySize');
  opt.dispose();
  assert.equal(leaked.filter((t) => !t.isDisposed).map(String), []);
  kiln.dispose([x, y]);
});

t('lbfgs: a 64-dimensional quadratic converges in few iterations; lineSearch none', async () => {
  const n = 64;
  const scales = kiln.tensor(Float32Array.from({ length: n }, (_, i) => 1 + (i % 8)));
  const target = kiln.tensor(randArray(n, 31, -2, 2));
  const w = fresh(kiln.zeros([n]), 'optim_q_w');
  const u = fresh(kiln.zeros([3, 5]), 'optim_q_u'); // a second variable (offsets in the flat vector)
  const uTarget = kiln.tensor(randArray(15, 32), [3, 5]);
  const loss = () => kiln.add(kiln.sum(kiln.mul(scales, kiln.square(kiln.sub(w, target)))), kiln.sum(kiln.square(kiln.sub(u, uTarget))));
  const opt = kiln.lbfgs({ maxIter: 50, varList: [w, u] });
  await opt.minimize(loss);
  expectClose(await w.data(), await target.data(), { atol: 1e-4 }, 'w');
  expectClose(await u.data(), await uTarget.data(), { atol: 1e-4 }, 'u');
  assert.ok(opt.nIter <= 30, `${opt.nIter} iterations`);
  opt.dispose();

  const w2 = fresh(kiln.zeros([n]), 'optim_q_w2');
  const fixed = kiln.lbfgs({ lineSearch: 'none', lr: 1, maxIter: 100, varList: [w2] });
  await fixed.minimize(() => kiln.sum(kiln.mul(scales, kiln.square(kiln.sub(w2, target)))));
  expectClose(await w2.data(), await target.data(), { atol: 1e-3 }, 'fixed step');
  fixed.dispose();
  expectThrows(() => kiln.lbfgs({ lineSearch: 'armijo' as 'none' }), /lineSearch/);
  kiln.dispose([scales, target, w, u, uTarget, w2]);
});

t.run();
