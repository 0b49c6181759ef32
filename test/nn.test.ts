import './setup.ts';
import { suite } from 'uvu';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { kiln, assert, randArray, randInts, expectClose, expectThrows } from './helpers.ts';
import { embeddingRef } from '../kernels/embedding.ts';
import { scatterAddRef } from '../kernels/gather.ts';

const { nn } = kiln;
const t = suite('nn');

function linearRef(x: ArrayLike<number>, w: ArrayLike<number>, b: ArrayLike<number> | null, rows: number, inF: number, outF: number): Float64Array {
  const y = new Float64Array(rows * outF);
  for (let r = 0; r < rows; r++)
    for (let o = 0; o < outF; o++) {
      let s = b ? b[o] : 0;
      for (let i = 0; i < inF; i++) s += x[r * inF + i] * w[o * inF + i];
      y[r * outF + o] = s;
    }
  return y;
}

function stats(a: ArrayLike<number>): { mean: number; variance: number; min: number; max: number } {
  let s = 0, s2 = 0, min = Infinity, max = -Infinity;
  for (let i = 0; i < a.length; i++) { s += a[i]; s2 += a[i] * a[i]; min = Math.min(min, a[i]); max = Math.max(max, a[i]); }
  const mean = s / a.length;
  return { mean, variance: s2 / a.length - mean * mean, min, max };
}

t('Linear: forward over leading axes, gradients of x, weight and bias', async () => {
  for (const [inF, outF, lead] of [[1, 1, [1]], [3, 17, [2, 5]], [129, 3, [17]], [17, 129, [3]]] as [number, number, number[]][]) {
    for (const bias of [true, false]) {
      const lin = new nn.Linear(inF, outF, { bias, seed: inF + outF });
      assert.equal([...lin.weight.shape], [outF, inF]);
      assert.is(lin.bias === null, !bias);
      const rows = lead.reduce((a, b) => a * b, 1);
      const xv = randArray(rows * inF, rows + inF);
      const dyv = randArray(rows * outF, rows + outF + 1);
      const x = kiln.tensor(xv, [...lead, inF]);
      const w = await lin.weight.data();
      const b = bias ? await lin.bias!.data() : null;
      const what = `Linear(${inF}, ${outF}${bias ? '' : ', no bias'}) on [${lead},${inF}]`;
      const y = lin.forward(x);
      assert.equal([...y.shape], [...lead, outF]);
      expectClose(await y.data(), linearRef(xv, w, b, rows, inF, outF), { rtol: 1e-4, atol: 1e-5 }, what);
      const params = lin.parameters();
      const gs = kiln.grads((xx: kiln.Tensor, ...ps: kiln.Tensor[]) => { void ps; return lin.forward(xx); })([x, ...params], kiln.tensor(dyv, [...lead, outF]));
      // dx = dy W, dW = dy^T x, db = sum_rows dy
      const dx = new Float64Array(rows * inF), dW = new Float64Array(outF * inF), db = new Float64Array(outF);
      for (let r = 0; r < rows; r++)
        for (let o = 0; o < outF; o++) {
          const g = dyv[r * outF + o];
          db[o] += g;
          for (let i = 0; i < inF; i++) { dx[r * inF + i] += g * w[o * inF + i]; dW[o * inF + i] += g * xv[r * inF + i]; }
        }
      expectClose(await gs[0].data(), dx, { rtol: 1e-4, atol: 1e-4 }, `${what} dx`);
      expectClose(await gs[1].data(), dW, { rtol: 1e-4, atol: 1e-4 }, `${what} dW`);
      if (bias) expectClose(await gs[2].data(), db, { rtol: 1e-4, atol: 1e-4 }, `${what} db`);
      kiln.dispose([x, y, ...gs]);
      lin.dispose();
    }
  }
});

t('init statistics follow torch: Linear U(+-1/sqrt(in)) (kaiming_uniform a=sqrt(5)), Embedding N(0, 1); seeds reproduce', async () => {
  const lin = new nn.Linear(129, 300, { seed: 1 });
  const bound = 1 / Math.sqrt(129);
  const w = stats(await lin.weight.data());
  assert.ok(w.min >= -bound && w.max <= bound, `weight in [-${bound}, ${bound}]: ${w.min}..${w.max}`);
  assert.ok(w.max > 0.95 * bound && w.min < -0.95 * bound, 'weight fills its range');
  assert.ok(Math.abs(w.mean) < 0.003, `weight mean ${w.mean}`);
  assert.ok(Math.abs(w.variance / (bound * bound / 3) - 1) < 0.03, `weight variance ${w.variance} vs bound^2/3 = ${bound * bound / 3}`);
  const b = stats(await lin.bias!.data());
  assert.ok(b.min >= -bound && b.max <= bound && b.max - b.min > bound, `bias ${b.min}..${b.max}`);
  const same = new nn.Linear(129, 300, { seed: 1 });
  assert.equal(Array.from(await same.weight.data()), Array.from(await lin.weight.data()));
  const other = new nn.Linear(129, 300, { seed: 2 });
  assert.not.equal(Array.from(await other.weight.data()).slice(0, 10), Array.from(await lin.weight.data()).slice(0, 10));
  const emb = new nn.Embedding(500, 64, { seed: 3, paddingIdx: 7 });
  const ev = await emb.weight.data();
  const e = stats(ev);
  assert.ok(Math.abs(e.mean) < 0.02 && Math.abs(e.variance - 1) < 0.03, `embedding mean ${e.mean} variance ${e.variance}`);
  assert.equal(Array.from(ev.slice(7 * 64, 8 * 64)), new Array(64).fill(0), 'padding row is zero');
  for (const m of [lin, same, other, emb]) m.dispose();
});

t('Embedding: lookup of any id shape, scatter-add gradient, padding row gets none', async () => {
  const emb = new nn.Embedding(17, 3, { paddingIdx: -1, seed: 4 });
  assert.is(emb.paddingIdx, 16);
  const ids = randInts(2 * 129, 5, 0, 17);
  ids[0] = 16;
  const idT = kiln.tensor(ids, [2, 129], 'int32');
  const table = await emb.weight.data();
  const y = emb.forward(idT);
  assert.equal([...y.shape], [2, 129, 3]);
  expectClose(await y.data(), embeddingRef(table, ids, 17, 3), { rtol: 0, atol: 0 });
  const dy = randArray(2 * 129 * 3, 6);
  const { grads } = kiln.variableGrads(() => kiln.sum(kiln.mul(emb.forward(idT), kiln.tensor(dy, [2, 129, 3]))), emb.parameters());
  const want = scatterAddRef(dy, ids, 17, 3);
  want.fill(0, 16 * 3);
  expectClose(await grads[emb.weight.name].data(), want, { rtol: 1e-5, atol: 1e-5 });
  kiln.dispose([idT, y, ...Object.values(grads)]);
  emb.dispose();
});

t('Dropout: inverted scaling in train mode, identity in eval, seeded masks, gradient through the same mask', async () => {
  const n = 129 * 17;
  const x = kiln.tensor(randArray(n, 8, 0.5, 1.5), [129, 17]);
  const xv = await x.data();
  for (const p of [0.1, 0.5, 0.9]) {
    const d = new nn.Dropout(p, { seed: 11 });
    const y = await d.forward(x).data();
    let zeros = 0;
    for (let i = 0; i < n; i++) {
      if (y[i] === 0) zeros++;
      else assert.ok(Math.abs(y[i] - xv[i] / (1 - p)) < 1e-5 * Math.abs(y[i]), `kept values are scaled by 1/(1-p): ${y[i]} vs ${xv[i] / (1 - p)}`);
    }
    assert.ok(Math.abs(zeros / n - p) < 0.03, `p ${p}: ${zeros}/${n} dropped`);
    const again = new nn.Dropout(p, { seed: 11 });
    assert.equal(Array.from(await again.forward(x).data()), Array.from(y), 'same seed, same mask');
    assert.not.equal(Array.from(await again.forward(x).data()), Array.from(y), 'the next call draws a new mask');
    // gradient: the mask of that call, scaled
    const m = new nn.Dropout(p, { seed: 12 });
    const [g] = kiln.grads((xx: kiln.Tensor) => m.forward(xx))([x], kiln.onesLike(x));
    const ref = new nn.Dropout(p, { seed: 12 });
    const yr = await ref.forward(x).data();
    const gv = await g.data();
    for (let i = 0; i < n; i++) assert.ok(yr[i] === 0 ? gv[i] === 0 : Math.abs(gv[i] - 1 / (1 - p)) < 1e-5, `grad ${i}: ${gv[i]} (forward ${yr[i]})`);
    d.eval();
    assert.is(d.forward(x), x, 'eval mode is the identity');
    g.dispose();
  }
  expectThrows(() => new nn.Dropout(1.5), /nn\.Dropout/, /probability/);
  x.dispose();
});

class Mlp extends nn.Module {
  fc1 = this.module('fc1', new nn.Linear(2, 8, { seed: 21 }));
  drop = this.module('drop', new nn.Dropout(0.5, { seed: 22 }));
  fc2 = this.module('fc2', new nn.Linear(8, 1, { seed: 23 }));
  scale = this.param('scale', () => kiln.ones([1]));
  override forward(x: kiln.Tensor): kiln.Tensor {
    return kiln.tidy(() => kiln.mul(this.fc2.forward(this.drop.forward(kiln.tanh(this.fc1.forward(x)))), this.scale));
  }
}

t('Module: dotted names, numParameters, train/eval through submodules, Sequential, dispose', async () => {
  const before = kiln.variables().length;
  const m = new Mlp();
  assert.equal(m.namedParameters().map(([n]) => n), ['scale', 'fc1.weight', 'fc1.bias', 'fc2.weight', 'fc2.bias']);
  assert.is(m.numParameters(), 1 + 16 + 8 + 8 + 1);
  assert.equal(m.namedModules().map(([n]) => n), ['', 'fc1', 'drop', 'fc2']);
  m.eval();
  assert.ok(m.modules().every((x) => !x.training));
  m.train();
  assert.ok(m.drop.training);
  const seq = new nn.Sequential(new nn.Linear(3, 4, { seed: 1 }), new nn.Dropout(0.2, { seed: 2 }), new nn.Linear(4, 2, { bias: false, seed: 3 }));
  assert.equal(Object.keys(seq.stateDict()), ['0.weight', '0.bias', '2.weight']);
  assert.is(seq.length, 3);
  seq.eval();
  const x = kiln.tensor(randArray(15, 4), [5, 3]);
  const y = seq.forward(x) as kiln.Tensor;
  const l0 = seq.at(0) as InstanceType<typeof nn.Linear>, l2 = seq.at(2) as InstanceType<typeof nn.Linear>;
  const h = linearRef(await x.data(), await l0.weight.data(), await l0.bias!.data(), 5, 3, 4);
  expectClose(await y.data(), linearRef(h, await l2.weight.data(), null, 5, 4, 2), { rtol: 1e-4, atol: 1e-5 });
  expectThrows(() => seq.forward(kiln.zeros([2, 5])), /nn\.Linear/, /inFeatures = 3/);
  kiln.dispose([x, y]);
  m.dispose();
  seq.dispose();
  assert.is(kiln.variables().length, before, 'dispose frees every parameter');
});

t('stateDict round-trips through safetensors bytes and a checkpoint file; strict loading', async () => {
  const a = new Mlp();
  const b = new nn.Sequential(new nn.Linear(2, 8, { seed: 99 }));
  const bytes = await kiln.saveTensors(a.stateDict());
  const c = new Mlp();
  const three = kiln.fill([1], 3);
  c.scale.assign(three);
  three.dispose();
  assert.equal(Array.from(await c.scale.data()), [3]);
  const loaded = kiln.loadTensors(bytes);
  const r = c.loadStateDict(loaded);
  assert.equal(r.loaded.length, 5);
  for (const [n, v] of a.namedParameters()) assert.equal(Array.from(await c.stateDict()[n].data()), Array.from(await v.data()), n);
  kiln.dispose(Object.values(loaded));
  // a checkpoint file keyed by the dotted names
  const dir = mkdtempSync(join(tmpdir(), 'kiln-nn-'));
  try {
    const path = join(dir, 'm.safetensors');
    await kiln.saveCheckpoint(path, { variables: a.stateDict() });
    const d = new Mlp();
    await kiln.loadCheckpoint(path, { variables: d.stateDict() });
    expectClose(await d.fc2.weight.data(), await a.fc2.weight.data(), { rtol: 0, atol: 0 });
    d.dispose();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  // strict: missing / unexpected / mismatched keys are errors and nothing is assigned
  const partial = kiln.loadTensors(await kiln.saveTensors(b.stateDict()));
  expectThrows(() => c.loadStateDict(partial), /nn\.Mlp\.loadStateDict/, /missing keys: scale, fc1\.weight/, /unexpected keys: 0\.weight, 0\.bias|unexpected keys: 0\.bias, 0\.weight/);
  expectThrows(() => c.loadStateDict({ 'fc2.weight': partial['0.weight'] }, { strict: false }), /mismatch/, /fc2\.weight: module \[1,8\] float32, state \[8,2\]/);
  const renamed = { 'fc1.weight': partial['0.weight'], 'fc1.bias': partial['0.bias'] };
  expectThrows(() => c.loadStateDict(renamed), /missing keys: scale, fc2\.weight, fc2\.bias/);
  const res = c.loadStateDict(renamed, { strict: false });
  assert.equal(res.loaded, ['fc1.weight', 'fc1.bias']);
  assert.equal(res.missing, ['scale', 'fc2.weight', 'fc2.bias']);
  kiln.dispose(Object.values(partial));
  for (const m of [a, b, c]) m.dispose();
});

t('a small model trains: Linear regression with SGD, loss falls 20x, no tensor left behind per step', async () => {
  const lin = new nn.Linear(3, 1, { seed: 5 });
  const x = kiln.tensor(randArray(64 * 3, 6), [64, 3]);
  const yTrue = kiln.tidy(() => kiln.add(kiln.matMul(x, kiln.tensor([0.5, -1, 2], [3, 1])), 0.3));
  const opt = kiln.sgd(0.5);
  const lossOf = () => kiln.mean(kiln.square(kiln.sub(lin.forward(x), yTrue)));
  const first = (await (kiln.tidy(lossOf)).data())[0];
  opt.minimize(lossOf, false, lin.parameters());
  const live = kiln.memory().numTensors;
  for (let i = 1; i < 60; i++) opt.minimize(lossOf, false, lin.parameters());
  assert.is(kiln.memory().numTensors, live, 'memory stays flat over training steps');
  const last = (await (kiln.tidy(lossOf)).data())[0];
  assert.ok(last < first / 20, `loss ${first} -> ${last}`);
  kiln.dispose([x, yTrue]);
  opt.dispose();
  lin.dispose();
});

t.run();
