import './setup.ts';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { kiln, randArray, expectClose, expectThrows, trainFlat } from './helpers.ts';
import { checkGrad } from './gradcheck.ts';
import { rnnRef, rnnGradRef, type Cell, type RnnRefParams } from '../kernels/rnn.ts';

const t = suite('rnn');
const PATHS = ['fused', 'persistent', 'matmul'] as const;
const TOL = { rtol: 2e-4, atol: 2e-5 };

function params(cell: Cell, T: number, N: number, I: number, H: number, seed: number, lens?: number[]): RnnRefParams {
  const G = cell === 'lstm' ? 4 : 3;
  const s = 1 / Math.sqrt(H);
  return {
    T, N, I, H, lens,
    x: randArray(T * N * I, seed), wIh: randArray(G * H * I, seed + 1, -s, s), wHh: randArray(G * H * H, seed + 2, -s, s),
    bIh: randArray(G * H, seed + 3, -s, s), bHh: randArray(G * H, seed + 4, -s, s), h0: randArray(N * H, seed + 5), c0: randArray(N * H, seed + 6),
  };
}

/** Forward and every gradient of sum(hs*dhs) + sum(hT*dhT) (+ sum(cT*dcT)) against the float64 references. */
async function checkSequence(cell: Cell, p: RnnRefParams, path: typeof PATHS[number], seed: number): Promise<void> {
  const { T, N, I, H } = p;
  const G = cell === 'lstm' ? 4 : 3;
  const what = `${cell} ${path} T=${T} N=${N} I=${I} H=${H}${p.lens ? ' lens=' + Array.from(p.lens).join(',') : ''}`;
  const dhs = randArray(T * N * H, seed + 10), dhT = randArray(N * H, seed + 11), dcT = randArray(N * H, seed + 12);
  // outputs past a sequence's length are zero, so their upstream gradient goes nowhere
  const live = (i: number) => !p.lens || Math.floor(i / (N * H)) < p.lens[Math.floor(i / H) % N];
  const ref = rnnRef(cell, p);
  const g = rnnGradRef(cell, p, { dhs: dhs.map((v, i) => (live(i) ? v : 0)), dhT, dcT: cell === 'lstm' ? dcT : undefined });
  const x = kiln.tensor(p.x, [T, N, I]);
  const ws = [kiln.tensor(p.wIh, [G * H, I]), kiln.tensor(p.wHh, [G * H, H]), kiln.tensor(p.bIh!, [G * H]), kiln.tensor(p.bHh!, [G * H])];
  const h0 = kiln.tensor(p.h0!, [N, H]), c0 = kiln.tensor(p.c0!, [N, H]);
  const run = (xx: kiln.Tensor, wIh: kiln.Tensor, wHh: kiln.Tensor, bIh: kiln.Tensor, bHh: kiln.Tensor, hh: kiln.Tensor, cc: kiln.Tensor) => {
    const w = { wIh, wHh, bIh, bHh };
    return cell === 'lstm' ? kiln.lstm(xx, w, { h0: hh, c0: cc, lengths: p.lens, path }) : { ...kiln.gru(xx, w, { h0: hh, lengths: p.lens, path }), cT: null };
  };
  const loss = (...a: kiln.Tensor[]) => {
    const r = run(...a as [kiln.Tensor, kiln.Tensor, kiln.Tensor, kiln.Tensor, kiln.Tensor, kiln.Tensor, kiln.Tensor]);
    let s = kiln.add(kiln.sum(kiln.mul(r.hs, kiln.tensor(dhs, [T, N, H]))), kiln.sum(kiln.mul(r.hT, kiln.tensor(dhT, [N, H]))));
    if (r.cT) s = kiln.add(s, kiln.sum(kiln.mul(r.cT, kiln.tensor(dcT, [N, H]))));
    return s;
  };
  const inputs = cell === 'lstm' ? [x, ...ws, h0, c0] : [x, ...ws, h0];
  const { out, grads } = kiln.tidy(() => ({
    out: run(x, ws[0], ws[1], ws[2], ws[3], h0, c0),
    grads: kiln.grads((...a: kiln.Tensor[]) => loss(...a, ...(cell === 'gru' ? [c0] : [])))(inputs),
  }));
  expectClose(await out.hs.data(), ref.hs.map((v, i) => (live(i) ? v : 0)), TOL, `${what}: hs`);
  expectClose(await out.hT.data(), ref.hT, TOL, `${what}: hT`);
  if (out.cT) expectClose(await out.cT.data(), ref.cT!, TOL, `${what}: cT`);
  const want = [g.x, g.wIh, g.wHh, g.bIh, g.bHh, g.h0, ...(g.c0 ? [g.c0] : [])];
  const names = ['x', 'W_ih', 'W_hh', 'b_ih', 'b_hh', 'h0', 'c0'];
  for (let i = 0; i < grads.length; i++) expectClose(await grads[i].data(), want[i], { rtol: 1e-3, atol: 1e-4 }, `${what}: d${names[i]}`);
  kiln.dispose([out, grads, inputs, c0]);
}

t('lstm and gru sequences match the float64 references on every path, forward and BPTT', async () => {
  let seed = 1;
  for (const cell of ['lstm', 'gru'] as Cell[]) {
    for (const path of PATHS) {
      // H = 16: vec4 weight loads; 1, 3, 17: scalar; N = 3 and 9: 2- and 4-sequence blocks with a ragged tail
      for (const [T, N, I, H] of [[1, 1, 1, 1], [4, 3, 3, 16], [17, 9, 5, 3], [3, 2, 17, 17]]) {
        await checkSequence(cell, params(cell, T, N, I, H, seed), path, seed);
        seed += 20;
      }
    }
  }
});

t('variable lengths (including 0 and T) carry the state and zero the padded outputs', async () => {
  let seed = 500;
  for (const cell of ['lstm', 'gru'] as Cell[]) {
    for (const path of PATHS) {
      await checkSequence(cell, params(cell, 6, 5, 3, 8, seed, [6, 3, 0, 1, 5]), path, seed);
      seed += 20;
    }
  }
});

t('hidden 129, batch 64 and 300 steps agree with the reference', async () => {
  await checkSequence('lstm', params('lstm', 2, 64, 4, 129, 900), 'matmul', 900);
  await checkSequence('gru', params('gru', 3, 2, 3, 129, 920), 'fused', 920);
  await checkSequence('lstm', params('lstm', 300, 1, 2, 3, 940), 'auto' as never, 940);
});

t('reverse runs each sequence backwards from its last valid step', async () => {
  const [T, N, I, H] = [5, 3, 2, 4];
  const lens = [5, 2, 3];
  const p = params('gru', T, N, I, H, 77);
  // reference: reverse each sequence's valid prefix, run forward, reverse the outputs back
  const xr = new Float32Array(p.x.length);
  const src = (t: number, n: number) => (t < lens[n] ? lens[n] - 1 - t : t);
  for (let t = 0; t < T; t++) for (let n = 0; n < N; n++) for (let i = 0; i < I; i++) xr[(t * N + n) * I + i] = p.x[(src(t, n) * N + n) * I + i];
  const ref = rnnRef('gru', { ...p, x: xr, lens });
  const want = new Float64Array(T * N * H);
  for (let t = 0; t < T; t++) for (let n = 0; n < N; n++) for (let j = 0; j < H; j++) want[(t * N + n) * H + j] = t < lens[n] ? ref.hs[(src(t, n) * N + n) * H + j] : 0;
  const G = 3;
  const out = kiln.tidy(() => kiln.gru(kiln.tensor(p.x, [T, N, I]), {
    wIh: kiln.tensor(p.wIh, [G * H, I]), wHh: kiln.tensor(p.wHh, [G * H, H]), bIh: kiln.tensor(p.bIh!, [G * H]), bHh: kiln.tensor(p.bHh!, [G * H]),
  }, { h0: kiln.tensor(p.h0!, [N, H]), lengths: lens, reverse: true }));
  expectClose(await out.hs.data(), want, TOL, 'reversed hs');
  expectClose(await out.hT.data(), ref.hT, TOL, 'reversed hT');
  kiln.dispose(out);
});

t('lstmCell / gruCell: one step, finite differences through the weights', async () => {
  const [N, I, H] = [3, 4, 5];
  for (const cell of ['lstm', 'gru'] as Cell[]) {
    const G = cell === 'lstm' ? 4 : 3;
    const shapes = [[N, I], [N, H], [N, H], [G * H, I], [G * H, H], [G * H], [G * H]];
    const r = await checkGrad(`${cell}Cell`, (x, h, c, wIh, wHh, bIh, bHh) => {
      const w = { wIh, wHh, bIh, bHh };
      if (cell === 'gru') return kiln.add(kiln.gruCell(x, h, w), kiln.mul(c, 0));
      const o = kiln.lstmCell(x, h, c, w);
      return kiln.add(o.h, kiln.mul(o.c, 0.5));
    }, (x, h, c, wIh, wHh, bIh, bHh) => {
      const ref = rnnRef(cell, { T: 1, N, I, H, x, wIh, wHh, bIh, bHh, h0: h, c0: c });
      return cell === 'gru' ? ref.hT : ref.hT.map((v, i) => v + 0.5 * ref.cT![i]);
    }, shapes, { rtol: 2e-3, atol: 2e-4 });
    assert.ok(r.worst <= 1, `${cell}Cell worst ${r.worst}`);
  }
});

t('clear errors for wrong shapes, lengths and options', () => {
  const x = kiln.zeros([4, 2, 3]);
  const w = { wIh: kiln.zeros([8, 3]), wHh: kiln.zeros([8, 2]) };
  expectThrows(() => kiln.lstm(kiln.zeros([2, 3]), w), /lstm/, /time-major \[T, N, I\]/);
  expectThrows(() => kiln.lstm(x, { wIh: kiln.zeros([7, 3]), wHh: w.wHh }), /wIh must be \[4\*H, I\]/);
  expectThrows(() => kiln.lstm(x, { wIh: kiln.zeros([8, 5]), wHh: w.wHh }), /expects inputs of size 5/);
  expectThrows(() => kiln.lstm(x, { wIh: w.wIh, wHh: kiln.zeros([8, 3]) }), /wHh must be \[8, 2\]/);
  expectThrows(() => kiln.lstm(x, w, { h0: kiln.zeros([3, 2]) }), /h0 must be \[N, H\] = \[2, 2\]/);
  expectThrows(() => kiln.lstm(x, w, { lengths: [4] }), /lengths has 1 entries/);
  expectThrows(() => kiln.lstm(x, w, { lengths: [5, 1] }), /lengths\[0\] = 5/);
  expectThrows(() => kiln.gru(x, { wIh: kiln.zeros([6, 3]), wHh: kiln.zeros([6, 2]) }, { c0: kiln.zeros([2, 2]) } as never), /GRU has no cell state/);
  expectThrows(() => kiln.lstm(x, w, { path: 'fast' as never }), /path must be/);
  kiln.dispose([x, w]);
});

t('a training loop through an LSTM keeps memory flat', async () => {
  const [T, N, I, H] = [8, 4, 3, 16];
  const wIh = kiln.variable(kiln.randomUniform([4 * H, I], -0.3, 0.3, 'float32', 1));
  const wHh = kiln.variable(kiln.randomUniform([4 * H, H], -0.3, 0.3, 'float32', 2));
  const x = kiln.randomUniform([T, N, I], -1, 1, 'float32', 3);
  const opt = kiln.adam(0.01);
  const { first, last } = await trainFlat(() => kiln.mean(kiln.square(kiln.lstm(x, { wIh, wHh }).hT)), [wIh, wHh], opt, 20);
  assert.ok(last < first, `loss went from ${first} to ${last}`);
  opt.dispose();
  kiln.dispose([wIh, wHh, x]);
});

t.run();
