import './setup.ts';
import { suite } from 'uvu';
import { readFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { kiln, assert, randArray, randInts, expectClose, expectThrows } from './helpers.ts';
import { checkGrad } from './gradcheck.ts';
import { ctcRef, ctcReduceRef, ctcTuning, type CtcReduction } from '../kernels/ctc.ts';
import { softmaxRef } from '../kernels/softmax.ts';
import { engine, observeTensors } from '../src/tensor.ts';

const t = suite('ctc');

const GOLDEN = join(fileURLToPath(new URL('.', import.meta.url)), 'golden', 'ctc.json');

/** Run `fn` once with each kernel path forced. */
async function eachPath(fn: (path: string) => Promise<void>, paths: readonly ('thread' | 'workgroup')[] = ['thread', 'workgroup']): Promise<void> {
  const saved = ctcTuning.path;
  try {
    for (const path of paths) {
      ctcTuning.path = path;
      await fn(path);
    }
  } finally {
    ctcTuning.path = saved;
  }
}

/** Random log-softmaxed [T, N, C] values (float32) and targets with the given lengths. */
function problem(T: number, N: number, C: number, seed: number, tls: number[], blank = 0, repeats = false) {
  const lp = Float32Array.from(softmaxRef(randArray(T * N * C, seed, -3, 3), T * N, C, true));
  const labelsOf = (n: number) => {
    const r = randInts(tls[n], seed * 31 + n, 0, C - 1);
    return Array.from(r, (v, i) => {
      let c = v >= blank ? v + 1 : v; // any class but the blank
      if (repeats && i > 0 && i % 2 === 1) c = Array.from(r)[i - 1] >= blank ? Array.from(r)[i - 1] + 1 : Array.from(r)[i - 1];
      return c;
    });
  };
  const labels = tls.map((_, n) => labelsOf(n));
  return { lp, labels };
}

const padded = (labels: number[][]) => {
  const smax = Math.max(0, ...labels.map((l) => l.length));
  const a = new Int32Array(labels.length * smax);
  labels.forEach((l, n) => l.forEach((v, i) => { a[n * smax + i] = v; }));
  return { data: a, smax };
};

async function gpuLoss(lp: Float32Array, T: number, N: number, C: number, labels: number[][], il: number[], o: { layout: 'padded' | 'concat' | 'arrays'; reduction: CtcReduction; zeroInfinity?: boolean; blank?: number }) {
  return kiln.tidy(() => {
    const x = kiln.tensor(lp, [T, N, C]);
    const tls = labels.map((l) => l.length);
    let tg: kiln.Tensor | number[][];
    if (o.layout === 'arrays') tg = labels;
    else if (o.layout === 'concat') tg = kiln.tensor(Int32Array.from(labels.flat()), [tls.reduce((a, b) => a + b, 0)], 'int32');
    else { const p = padded(labels); tg = kiln.tensor(p.data, [N, p.smax], 'int32'); }
    const ilT = o.layout === 'arrays' ? il : kiln.tensor(Int32Array.from(il), [N], 'int32');
    const tlT = o.layout === 'arrays' ? tls : kiln.tensor(Int32Array.from(tls), [N], 'int32');
    return kiln.ctcLoss(x, tg, ilT, tlT, { reduction: o.reduction, zeroInfinity: o.zeroInfinity, blank: o.blank });
  });
}

t('loss matches the float64 reference: awkward T, N, C, target lengths 0/1/max, repeats, layouts, reductions', async () => {
  let k = 0;
  for (const [T, N, C] of [[1, 1, 2], [3, 3, 3], [17, 3, 30], [129, 64, 30], [17, 64, 2], [129, 1, 3]]) {
    const rr = kiln.rng(T * 7 + N);
    const smaxFeasible = Math.floor(T / 2); // room for any repeats
    // lengths 0, 1, T/2 (room for repeats), T (feasible only without adjacent repeats), random
    const tls = Array.from({ length: N }, (_, n) => (n === 0 ? 0 : n === 1 ? Math.min(1, T) : n === 2 ? smaxFeasible : n === 3 ? T : Math.floor(rr() * (smaxFeasible + 1))));
    const il = Array.from({ length: N }, (_, n) => (n % 4 === 3 && n > 3 ? Math.min(T, Math.max(tls[n] * 2, Math.floor(rr() * T))) : T));
    for (const repeats of [false, true]) {
      const { lp, labels } = problem(T, N, C, 100 + k++, tls, 0, repeats);
      const ref = ctcRef(lp, T, N, C, labels, il);
      await eachPath(async (path) => {
        for (const layout of ['padded', 'concat', 'arrays'] as const) {
          for (const reduction of ['none', 'sum', 'mean'] as const) {
            const y = await gpuLoss(lp, T, N, C, labels, il, { layout, reduction });
            const want = ctcReduceRef(ref.nll, tls, reduction);
            expectClose(await y.data(), typeof want === 'number' ? [want] : want, { rtol: 2e-5, atol: 1e-4 }, `${path}: T${T} N${N} C${C} ${layout} ${reduction} repeats=${repeats}`);
            assert.equal([...y.shape], reduction === 'none' ? [N] : []);
            y.dispose();
          }
        }
      }, T * N > 1000 ? ['thread'] : undefined); // the large shapes: workgroup path in the gamma test
    }
  }
});

t('blank other than 0', async () => {
  const [T, N, C] = [9, 3, 5];
  const { lp, labels } = problem(T, N, C, 7, [2, 3, 1], 4);
  const ref = ctcRef(lp, T, N, C, labels, [9, 9, 5], 4);
  const y = await gpuLoss(lp, T, N, C, labels, [9, 9, 5], { layout: 'padded', reduction: 'none', blank: 4 });
  expectClose(await y.data(), ref.nll, { rtol: 2e-5, atol: 1e-4 }, 'blank 4');
  y.dispose();
});

t('impossible alignments: +Infinity by default, 0 (and no gradient) with zeroInfinity', async () => {
  // sequence 0: 3 frames for labels [1, 1] (needs 3: 1 blank 1) fits; sequence 1: 3 frames for
  // [1, 1, 2] (needs 4) does not; sequence 2: 2 frames for 3 labels does not
  const [T, N, C] = [3, 3, 3];
  const lp = Float32Array.from(softmaxRef(randArray(T * N * C, 3), T * N, C, true));
  const labels = [[1, 1], [1, 1, 2], [2, 1, 2]];
  const il = [3, 3, 2];
  const ref = ctcRef(lp, T, N, C, labels, il);
  assert.ok(Number.isFinite(ref.nll[0]) && ref.nll[1] === Infinity && ref.nll[2] === Infinity);
  for (const layout of ['padded', 'concat'] as const) {
    const y = await gpuLoss(lp, T, N, C, labels, il, { layout, reduction: 'none' });
    expectClose(await y.data(), ref.nll, { rtol: 2e-5, atol: 1e-4 }, `inf ${layout}`);
    y.dispose();
    const z = await gpuLoss(lp, T, N, C, labels, il, { layout, reduction: 'none', zeroInfinity: true });
    expectClose(await z.data(), [ref.nll[0], 0, 0], { rtol: 2e-5, atol: 1e-4 }, `zeroInfinity ${layout}`);
    z.dispose();
    const s = await gpuLoss(lp, T, N, C, labels, il, { layout, reduction: 'mean' });
    assert.is((await s.data())[0], Infinity);
    s.dispose();
  }
  // gradient: the feasible sequence's exact gradient, nothing from the others
  for (const zeroInfinity of [false, true]) await eachPath(async (path) => {
    const x = kiln.tensor(lp, [T, N, C]);
    const p = padded(labels);
    const tg = kiln.tensor(p.data, [N, p.smax], 'int32');
    const [g] = kiln.grads((a: kiln.Tensor) => kiln.ctcLoss(a, tg, il, labels.map((l) => l.length), { reduction: 'sum', zeroInfinity }))([x]);
    expectClose(await g.data(), ref.grad, { rtol: 1e-4, atol: 1e-5 }, `${path}: grad zeroInfinity=${zeroInfinity}`);
    kiln.dispose([x, tg, g]);
  });
});

t('checkNumerics: +Infinity CTC loss is not flagged; invalid labels in a tensor are', async () => {
  const e = engine();
  const saved = e.checkNumerics;
  e.checkNumerics = true;
  try {
    const lp = kiln.logSoftmax(kiln.tensor(randArray(2 * 1 * 3, 9), [2, 1, 3]));
    const y = kiln.ctcLoss(lp, kiln.tensor([1, 2, 1], [1, 3], 'int32'), [2], [3]);
    assert.is((await y.data())[0], Infinity);
    const bad = kiln.ctcLoss(lp, kiln.tensor([7], [1, 1], 'int32'), kiln.tensor([2], [1], 'int32'), kiln.tensor([1], [1], 'int32'));
    let msg = '';
    try { await bad.data(); } catch (err) { msg = (err as Error).message; }
    assert.match(msg, /ctcLoss/);
    assert.match(msg, /NaN/);
    kiln.dispose([lp, y, bad]);
  } finally {
    e.checkNumerics = saved;
  }
  // values in tensors are checked by the kernel: each invalid sequence alone gets NaN, on both paths
  await eachPath(async (path) => {
    const [T, N, C] = [4, 5, 3];
    const lpv = Float32Array.from(softmaxRef(randArray(T * N * C, 2), T * N, C, true));
    const x = kiln.tensor(lpv, [T, N, C]);
    const i32 = (v: number[], shape = [v.length]) => kiln.tensor(Int32Array.from(v), shape, 'int32');
    // padded: ok, input length > T, negative target length, target length > S_max, blank label
    const tg = i32([1, 2, 1, 2, 1, 2, 1, 2, 0, 2], [N, 2]);
    const y = kiln.ctcLoss(x, tg, i32([4, 5, 4, 4, 4]), i32([2, 2, -1, 3, 1]), { reduction: 'none' });
    const v = await y.data();
    const ref = ctcRef(lpv, T, N, C, [[1, 2], [], [], [], []], [4, 4, 4, 4, 4]).nll[0];
    expectClose([v[0]], [ref], { rtol: 2e-5, atol: 1e-4 }, `${path}: the valid sequence`);
    assert.ok([1, 2, 3, 4].every((n) => Number.isNaN(v[n])), `${path}: ${v}`);
    // concatenated: lengths summing past the labels
    const z = kiln.ctcLoss(x, i32([1, 2, 1]), i32([4, 4, 4, 4, 4]), i32([2, 0, 0, 0, 2]), { reduction: 'none' });
    const w = await z.data();
    assert.ok(Number.isFinite(w[0]) && Number.isFinite(w[1]) && Number.isNaN(w[4]), `${path}: ${w}`);
    kiln.dispose([x, tg, y, z]);
  });
  // without the debug mode, the invalid sequence's loss is NaN (documented)
  const lp = kiln.tensor(randArray(3, 9), [1, 1, 3]);
  const bad = kiln.ctcLoss(lp, kiln.tensor([0], [1, 1], 'int32'), kiln.tensor([1], [1], 'int32'), kiln.tensor([1], [1], 'int32'), { reduction: 'none' });
  assert.ok(Number.isNaN((await bad.data())[0]));
  kiln.dispose([lp, bad]);
});

t('errors name the op, the shapes and the fix', () => {
  const lp = kiln.zeros([4, 2, 5]);
  const tg = kiln.tensor([1, 2, 3, 4], [2, 2], 'int32');
  expectThrows(() => kiln.ctcLoss(kiln.zeros([4, 5]), tg, [4, 4], [2, 2]), /kiln\.ctcLoss/, /\[T, N, C\]/);
  expectThrows(() => kiln.ctcLoss(lp, tg, [4, 5], [2, 2]), /inputLengths\[1\] is 5/, /<= T/);
  expectThrows(() => kiln.ctcLoss(lp, tg, [4, -1], [2, 2]), /inputLengths\[1\] is -1/);
  expectThrows(() => kiln.ctcLoss(lp, tg, [4], [2, 2]), /inputLengths has 1 values; expected 2/);
  expectThrows(() => kiln.ctcLoss(lp, tg, [4, 4], [3, 2]), /targetLengths\[0\] is 3/, /\[2, 2\]|2 columns/);
  expectThrows(() => kiln.ctcLoss(lp, [[1, 5], [2]], [4, 4], [2, 1]), /targets\[0\]\[1\] is 5/, /\[0, 5\)/);
  expectThrows(() => kiln.ctcLoss(lp, [[1, 0], [2]], [4, 4], [2, 1]), /blank/);
  expectThrows(() => kiln.ctcLoss(lp, [1, 2, 3], [4, 4], [2, 2]), /sum to 4/, /3 concatenated/);
  expectThrows(() => kiln.ctcLoss(lp, tg, [4, 4], [2, 2], { blank: 5 }), /blank 5/);
  expectThrows(() => kiln.ctcLoss(lp, tg, [4, 4], [2, 2], { reduction: 'avg' as 'sum' }), /reduction/);
  expectThrows(() => kiln.ctcLoss(lp, kiln.zeros([2, 2]), [4, 4], [2, 2]), /targets/, /float32/, /int32/);
  expectThrows(() => kiln.ctcLoss(lp, kiln.tensor([1, 2, 3], [3, 1], 'int32'), [4, 4], [1, 1]), /one row per sequence/);
  kiln.dispose([lp, tg]);
});

t('golden (torch): loss and grads.logits through logSoftmax; aux.grad_log_probs_exact directly', async () => {
  assert.ok(existsSync(GOLDEN), `golden vectors expected at ${GOLDEN}`);
  const file = JSON.parse(readFileSync(GOLDEN, 'utf8')) as { cases: { name: string; params: Record<string, unknown>; inputs: Record<string, { shape: number[]; data: number[] }>; outputs: Record<string, { data: number[] }>; upstream: Record<string, { data: number[] }>; grads: Record<string, { data: number[] }>; aux: Record<string, { shape: number[]; data: number[] }>; tolerance: { rtol: number; atol: number } }[] };
  assert.ok(file.cases.length >= 3);
  for (const c of file.cases) {
    const [T, N, C] = c.inputs.logits.shape;
    const tol = c.tolerance;
    const il = c.inputs.input_lengths.data, tls = c.inputs.target_lengths.data;
    const dy = kiln.tensor(c.upstream.loss.data[0]);
    for (const layout of ['targets', 'targets_concat']) {
      const tgIn = c.inputs[layout];
      const tg = kiln.tensor(Int32Array.from(tgIn.data), tgIn.shape, 'int32');
      const ilT = kiln.tensor(Int32Array.from(il), [N], 'int32'), tlT = kiln.tensor(Int32Array.from(tls), [N], 'int32');
      const logits = kiln.tensor(c.inputs.logits.data, [T, N, C]);
      const f = (x: kiln.Tensor) => kiln.ctcLoss(kiln.logSoftmax(x), tg, ilT, tlT, { reduction: c.params.reduction as CtcReduction, blank: c.params.blank as number });
      const { value, grads } = kiln.valueAndGrads(f)([logits], dy);
      expectClose(await value.data(), c.outputs.loss.data, tol, `${c.name} ${layout} loss`);
      expectClose(await grads[0].data(), c.grads.logits.data, tol, `${c.name} ${layout} grads.logits`);
      // the true partial derivative w.r.t. the log-probs (never torch's folded variant)
      const lp = kiln.tensor(c.aux.log_probs.data, [T, N, C]);
      const [glp] = kiln.grads((x: kiln.Tensor) => kiln.ctcLoss(x, tg, ilT, tlT, { reduction: 'sum' }))([lp], dy);
      expectClose(await glp.data(), c.aux.grad_log_probs_exact.data, tol, `${c.name} ${layout} aux.grad_log_probs_exact`);
      const torchVariant = c.aux.grad_log_probs_torch.data;
      const exact = c.aux.grad_log_probs_exact.data;
      assert.ok(torchVariant.some((v, i) => Math.abs(v - exact[i]) > 1e-2), 'the two gradient variants differ (the test can tell them apart)');
      kiln.dispose([tg, ilT, tlT, logits, value, grads, lp, glp]);
    }
    dy.dispose();
  }
});

t('gradients by finite differences: ctcLoss alone and through logSoftmax, every reduction', async () => {
  for (const [T, N, C, tls, il] of [[5, 2, 3, [2, 1], [5, 3]], [7, 3, 4, [3, 0, 2], [7, 7, 4]], [1, 1, 2, [1], [1]]] as [number, number, number, number[], number[]][]) {
    const { labels } = problem(T, N, C, T * 13 + C, tls, 0, true);
    const p = padded(labels);
    const tg = kiln.tensor(p.data, [N, p.smax], 'int32');
    try {
      for (const reduction of ['none', 'sum', 'mean'] as const) {
        const red = (nll: Float64Array) => { const r = ctcReduceRef(nll, tls, reduction); return typeof r === 'number' ? Float64Array.of(r) : r; };
        await checkGrad(`ctc T${T} ${reduction}`, (x) => kiln.ctcLoss(x, tg, il, tls, { reduction }),
          (x) => red(ctcRef(x, T, N, C, labels, il).nll), [[T, N, C]], { lo: -2.5, hi: 0, rtol: 2e-3, atol: 2e-4 });
        await checkGrad(`logSoftmax->ctc T${T} ${reduction}`, (x) => kiln.ctcLoss(kiln.logSoftmax(x), tg, il, tls, { reduction }),
          (x) => red(ctcRef(softmaxRef(x, T * N, C, true), T, N, C, labels, il).nll), [[T, N, C]], { lo: -2, hi: 2, rtol: 2e-3, atol: 2e-4 });
      }
    } finally {
      tg.dispose();
    }
  }
});

t('GPU gradient matches the reference gamma on larger shapes (T 129, N 64, C 30; concatenated targets)', async () => {
  const [T, N, C] = [129, 64, 30];
  const tls = Array.from({ length: N }, (_, n) => [0, 1, 60, 20][n % 4]);
  const il = Array.from({ length: N }, (_, n) => (n % 3 === 0 ? T : 121));
  const { lp, labels } = problem(T, N, C, 77, tls, 0, true);
  const ref = ctcRef(lp, T, N, C, labels, il);
  const x = kiln.tensor(lp, [T, N, C]);
  const tg = kiln.tensor(Int32Array.from(labels.flat()), [tls.reduce((a, b) => a + b, 0)], 'int32');
  const dy = kiln.tensor(randArray(N, 5), [N]);
  const d = await dy.data();
  const want = ref.grad.map((v, i) => v * d[Math.floor(i / C) % N]);
  await eachPath(async (path) => {
    const [g] = kiln.grads((a: kiln.Tensor) => kiln.ctcLoss(a, tg, il, tls, { reduction: 'none' }))([x], dy);
    expectClose(await g.data(), want, { rtol: 1e-3, atol: 1e-5 }, `${path}: gamma`);
    g.dispose();
  });
  kiln.dispose([x, tg, dy]);
});

t('a training step leaves no tensors behind', async () => {
  const [T, N, C] = [6, 2, 4];
  const x = kiln.tensor(randArray(T * N * C, 4), [T, N, C]);
  const step = () => kiln.tidy(() => {
    const { value, grads } = kiln.valueAndGrads((a: kiln.Tensor) => kiln.ctcLoss(kiln.logSoftmax(a), [[1, 2], [3]], [6, 5], [2, 1]))([x]);
    kiln.dispose(grads);
    return value;
  });
  step().dispose();
  const { leaked } = await observeTensors(async () => {
    for (let i = 0; i < 3; i++) step().dispose();
    kiln.ctcLoss(x, [1, 2, 3], [6, 5], [2, 1]).dispose();
    kiln.ctcLoss(x, [[1, 2], [3]], [6, 5], [2, 1], { reduction: 'none' }).dispose();
  });
  assert.is(leaked.length, 0, `leaked ${leaked.join(', ')}`);
  x.dispose();
});

t('training free logits with ctcLoss and adam learns the targets (greedy and beam decoding agree)', async () => {
  const [T, N, C] = [12, 3, 5];
  const targets = [[1, 2, 2, 3], [4], [3, 1, 3]];
  const il = [12, 9, 10];
  const w = kiln.variable(kiln.tensor(randArray(T * N * C, 8, -0.1, 0.1), [T, N, C]), true, 'ctc_logits');
  const opt = kiln.adam(0.1);
  let first = 0, last = 0;
  for (let step = 0; step < 60; step++) {
    const loss = opt.minimize(() => kiln.ctcLoss(kiln.logSoftmax(w), targets, il, targets.map((l) => l.length)), true);
    const v = (await loss!.data())[0];
    if (step === 0) first = v;
    last = v;
    loss!.dispose();
  }
  assert.ok(last < first * 0.1, `loss ${first} -> ${last}`);
  const lp = kiln.logSoftmax(w);
  assert.equal(await kiln.ctcGreedyDecode(lp, il), targets);
  const beams = await kiln.ctcBeamSearch(lp, il, { beamWidth: 8 });
  assert.equal(beams.map((b) => b[0].labels), targets);
  kiln.dispose([lp, w]);
  opt.dispose();
});

// ---- decoding -----------------------------------------------------------------------------------

/** Every alignment of a [T, C] log-prob matrix, collapsed: exact log p(labels) per labeling. */
function bruteForce(lp: ArrayLike<number>, base: number, stride: number, T: number, C: number, blank: number): Map<string, number> {
  const out = new Map<string, number>();
  const idx = new Array<number>(T).fill(0);
  for (;;) {
    let logp = 0;
    const labels: number[] = [];
    let prev = -1;
    for (let t = 0; t < T; t++) {
      const c = idx[t];
      logp += lp[base + t * stride + c];
      if (c !== blank && c !== prev) labels.push(c);
      prev = c;
    }
    const k = labels.join(',');
    out.set(k, Math.log(Math.exp(out.get(k) ?? -Infinity) + Math.exp(logp)));
    let t = T - 1;
    while (t >= 0 && ++idx[t] === C) idx[t--] = 0;
    if (t < 0) break;
  }
  return out;
}

t('ctcBeamSearch with a wide beam finds the exact best labelings (brute force over all alignments)', async () => {
  for (const [T, N, C, blank] of [[5, 3, 3, 0], [4, 2, 4, 2], [1, 1, 2, 0], [6, 1, 3, 1]]) {
    const lp = Float32Array.from(softmaxRef(randArray(T * N * C, T + C, -2, 2), T * N, C, true));
    const il = Array.from({ length: N }, (_, n) => (n === 1 ? Math.max(1, T - 2) : T));
    const x = kiln.tensor(lp, [T, N, C]);
    const res = await kiln.ctcBeamSearch(x, il, { beamWidth: 200, blank, topPaths: 3 });
    for (let n = 0; n < N; n++) {
      const exact = [...bruteForce(lp, n * C, N * C, il[n], C, blank)].sort((a, b) => b[1] - a[1]);
      const top = Math.min(3, exact.length);
      assert.is(res[n].length, top);
      for (let k = 0; k < top; k++) {
        assert.is(res[n][k].labels.join(','), exact[k][0], `T${T} C${C} n${n} path ${k}`);
        expectClose([res[n][k].logProb], [exact[k][1]], { rtol: 1e-6, atol: 1e-6 }, `T${T} n${n} logProb ${k}`);
      }
    }
    // a narrow beam: paths come best first and no probability exceeds the exact one
    const narrow = await kiln.ctcBeamSearch(x, kiln.tensor(Int32Array.from(il), [N], 'int32'), { beamWidth: 2, blank, topPaths: 2 });
    for (let n = 0; n < N; n++) {
      const exact = bruteForce(lp, n * C, N * C, il[n], C, blank);
      narrow[n].forEach((p, k) => {
        assert.ok(p.logProb <= exact.get(p.labels.join(','))! + 1e-9);
        if (k) assert.ok(p.logProb <= narrow[n][k - 1].logProb);
      });
    }
    x.dispose();
  }
});

t('ctcGreedyDecode: argmax per frame, repeats merged (or not), blanks dropped, input lengths respected', async () => {
  const [T, N, C] = [17, 3, 5];
  const lp = randArray(T * N * C, 21, -3, 0);
  // sequence 0: a planned best path with repeats split by blanks
  const path = [1, 1, 0, 1, 2, 2, 2, 0, 0, 3, 4, 4, 0, 1, 0, 0, 2];
  path.forEach((c, t) => { lp[(t * N) * C + c] = 5; });
  const x = kiln.tensor(lp, [T, N, C]);
  const il = [T, 9, 0];
  const got = await kiln.ctcGreedyDecode(x, il);
  assert.equal(got[0], [1, 1, 2, 3, 4, 1, 2]);
  assert.equal(got[2], []);
  const raw = await kiln.ctcGreedyDecode(x, kiln.tensor(Int32Array.from(il), [N], 'int32'), { mergeRepeated: false });
  assert.equal(raw[0], [1, 1, 1, 2, 2, 2, 3, 4, 4, 1, 2]);
  // sequence 1 against a CPU argmax
  const best: number[] = [];
  for (let t = 0; t < 9; t++) {
    let b = 0;
    for (let c = 1; c < C; c++) if (lp[(t * N + 1) * C + c] > lp[(t * N + 1) * C + b]) b = c;
    best.push(b);
  }
  assert.equal(got[1], best.filter((c, i) => c !== 0 && c !== best[i - 1]));
  const withBlank3 = await kiln.ctcGreedyDecode(x, il, { blank: 3 });
  assert.equal(withBlank3[0], [1, 0, 1, 2, 0, 4, 0, 1, 0, 2]);
  let msg = '';
  try { await kiln.ctcGreedyDecode(x, [T, T + 1, 0]); } catch (e) { msg = (e as Error).message; }
  assert.match(msg, /kiln\.ctcGreedyDecode: inputLengths\[1\] is 18/);
  msg = '';
  try { await kiln.ctcBeamSearch(x, il, { beamWidth: 2, topPaths: 3 }); } catch (e) { msg = (e as Error).message; }
  assert.match(msg, /kiln\.ctcBeamSearch: topPaths/);
  x.dispose();
});

t.run();
