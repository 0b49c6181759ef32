import './setup.ts';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { kiln, randArray, expectClose, expectThrows, trainFlat } from './helpers.ts';
import type { Tensor } from '../src/index.ts';

const t = suite('rnn modules');
const TOL = { rtol: 2e-4, atol: 2e-5 };

/** The conv cells written as plain kiln ops (each with its own tested gradient): the reference. */
function convCellRef(cell: 'lstm' | 'gru', x: Tensor, h: Tensor, c: Tensor | null, wX: Tensor, wH: Tensor, bX: Tensor, bH: Tensor, stride: number) {
  const C = h.shape[3];
  const xg = kiln.add(kiln.conv2d(x, wX, stride, 'same'), bX);
  const hg = kiln.add(kiln.conv2d(h, wH, 1, 'same'), bH);
  const gate = (t: Tensor, g: number) => kiln.slice(t, [0, 0, 0, g * C], [-1, -1, -1, C]);
  if (cell === 'lstm') {
    const a = kiln.add(xg, hg);
    const i = kiln.sigmoid(gate(a, 0)), f = kiln.sigmoid(gate(a, 1)), g = kiln.tanh(gate(a, 2)), o = kiln.sigmoid(gate(a, 3));
    const cn = kiln.add(kiln.mul(f, c!), kiln.mul(i, g));
    return { h: kiln.mul(o, kiln.tanh(cn)), c: cn };
  }
  const r = kiln.sigmoid(kiln.add(gate(xg, 0), gate(hg, 0)));
  const z = kiln.sigmoid(kiln.add(gate(xg, 1), gate(hg, 1)));
  const n = kiln.tanh(kiln.add(gate(xg, 2), kiln.mul(r, gate(hg, 2))));
  return { h: kiln.add(kiln.mul(kiln.sub(1, z), n), kiln.mul(z, h)), c: null };
}

t('convLstmCell and convGruCell match the composed ops, forward and every gradient', async () => {
  let seed = 10;
  for (const cell of ['lstm', 'gru'] as const) {
    for (const [N, H, W, Cin, C, k, kh, stride] of [[1, 5, 7, 3, 3, 3, 3, 1], [2, 8, 6, 4, 1, 3, 1, 2], [1, 3, 3, 1, 17, 1, 3, 1]]) {
      const G = cell === 'lstm' ? 4 : 3;
      const OH = Math.ceil(H / stride), OW = Math.ceil(W / stride);
      const vals = [
        kiln.tensor(randArray(N * H * W * Cin, seed), [N, H, W, Cin]), kiln.tensor(randArray(N * OH * OW * C, seed + 1), [N, OH, OW, C]),
        kiln.tensor(randArray(N * OH * OW * C, seed + 2), [N, OH, OW, C]),
        kiln.tensor(randArray(k * k * Cin * G * C, seed + 3, -0.5, 0.5), [k, k, Cin, G * C]), kiln.tensor(randArray(kh * kh * C * G * C, seed + 4, -0.5, 0.5), [kh, kh, C, G * C]),
        kiln.tensor(randArray(G * C, seed + 5), [G * C]), kiln.tensor(randArray(G * C, seed + 6), [G * C]),
      ];
      seed += 10;
      const up = [kiln.tensor(randArray(N * OH * OW * C, seed + 7), [N, OH, OW, C]), kiln.tensor(randArray(N * OH * OW * C, seed + 8), [N, OH, OW, C])];
      const fused = (x: Tensor, h: Tensor, c: Tensor, wX: Tensor, wH: Tensor, bX: Tensor, bH: Tensor) => {
        if (cell === 'gru') return { h: kiln.convGruCell(x, h, { wX, wH, bX, bH }, { strides: stride }), c: null };
        return kiln.convLstmCell(x, h, c, { wX, wH, bX, bH }, { strides: stride });
      };
      const loss = (f: typeof fused) => (...a: Tensor[]) => {
        const r = f(...a as [Tensor, Tensor, Tensor, Tensor, Tensor, Tensor, Tensor]);
        const s = kiln.sum(kiln.mul(r.h, up[0]));
        return r.c ? kiln.add(s, kiln.sum(kiln.mul(r.c, up[1]))) : kiln.add(s, kiln.mul(kiln.sum(a[2]), 0));
      };
      const ref = (...a: Tensor[]) => convCellRef(cell, a[0], a[1], cell === 'lstm' ? a[2] : null, a[3], a[4], a[5], a[6], stride);
      const got = kiln.tidy(() => ({ f: fused(...vals as [Tensor, Tensor, Tensor, Tensor, Tensor, Tensor, Tensor]), g: kiln.grads(loss(fused))(vals) }));
      const want = kiln.tidy(() => ({ f: ref(...vals), g: kiln.grads(loss(ref as typeof fused))(vals) }));
      const what = `${cell} N${N} ${H}x${W} Cin${Cin} C${C} k${k}/${kh} s${stride}`;
      expectClose(await got.f.h.data(), await want.f.h.data(), TOL, `${what}: h`);
      if (got.f.c) expectClose(await got.f.c.data(), await want.f.c!.data(), TOL, `${what}: c`);
      const names = ['x', 'h', 'c', 'wX', 'wH', 'bX', 'bH'];
      for (let i = 0; i < vals.length; i++) expectClose(await got.g[i].data(), await want.g[i].data(), { rtol: 1e-3, atol: 1e-4 }, `${what}: d${names[i]}`);
      kiln.dispose([vals, up, got, want]);
    }
  }
});

t('convGruCell: clear errors for mismatched shapes and strides', () => {
  const x = kiln.zeros([1, 8, 8, 3]), h = kiln.zeros([1, 4, 4, 2]);
  const w = { wX: kiln.zeros([3, 3, 3, 6]), wH: kiln.zeros([3, 3, 2, 6]) };
  expectThrows(() => kiln.convGruCell(x, h, w), /convGruCell/, /set strides/);
  expectThrows(() => kiln.convGruCell(x, h, { ...w, wX: kiln.zeros([3, 3, 3, 8]) }, { strides: 2 }), /wX must be/);
  expectThrows(() => kiln.convGruCell(x, kiln.zeros([4, 4, 2]), w), /NHWC/);
  kiln.dispose([x, h, w]);
});

t('nn.LSTM: torch parameter names, bidirectional 2-layer output equals the composed layers', async () => {
  const [T, N, I, H] = [5, 3, 4, 6];
  const m = new kiln.nn.LSTM(I, H, { numLayers: 2, bidirectional: true, seed: 7 });
  const names = m.namedParameters().map(([n]) => n);
  for (const n of ['weight_ih_l0', 'weight_hh_l0', 'bias_ih_l0', 'bias_hh_l0', 'weight_ih_l0_reverse', 'weight_ih_l1', 'bias_hh_l1_reverse']) assert.ok(names.includes(n), `missing ${n} in ${names.join(', ')}`);
  const p = Object.fromEntries(m.namedParameters());
  assert.equal(p.weight_ih_l1.shape, [4 * H, 2 * H]);
  // torch's count: per layer and direction 4H(I + H) + 8H
  assert.is(m.numParameters(), 2 * (4 * H * (I + H) + 8 * H) + 2 * (4 * H * (2 * H + H) + 8 * H));
  const lens = [5, 2, 4];
  const x = kiln.tensor(randArray(T * N * I, 3), [T, N, I]);
  const out = m.forward(x, { lengths: lens });
  assert.equal(out.output.shape, [T, N, 2 * H]);
  assert.equal(out.hN.shape, [4, N, H]);
  const want = kiln.tidy(() => {
    const w = (l: number, d: string) => ({ wIh: p[`weight_ih_l${l}${d}`], wHh: p[`weight_hh_l${l}${d}`], bIh: p[`bias_ih_l${l}${d}`], bHh: p[`bias_hh_l${l}${d}`] });
    const f0 = kiln.lstm(x, w(0, ''), { lengths: lens }), b0 = kiln.lstm(x, w(0, '_reverse'), { lengths: lens, reverse: true });
    const x1 = kiln.concat([f0.hs, b0.hs], 2);
    const f1 = kiln.lstm(x1, w(1, ''), { lengths: lens }), b1 = kiln.lstm(x1, w(1, '_reverse'), { lengths: lens, reverse: true });
    return { output: kiln.concat([f1.hs, b1.hs], 2), hN: kiln.stack([f0.hT, b0.hT, f1.hT, b1.hT], 0), cN: kiln.stack([f0.cT, b0.cT, f1.cT, b1.cT], 0) };
  });
  expectClose(await out.output.data(), await want.output.data(), TOL, 'output');
  expectClose(await out.hN.data(), await want.hN.data(), TOL, 'hN');
  expectClose(await out.cN!.data(), await want.cN.data(), TOL, 'cN');
  // batchFirst gives the same numbers transposed
  const bf = new kiln.nn.LSTM(I, H, { numLayers: 2, bidirectional: true, batchFirst: true, seed: 7 });
  const outBf = kiln.tidy(() => bf.forward(kiln.transpose(x, [1, 0, 2]), { lengths: lens }).output);
  expectClose(await outBf.data(), await kiln.tidy(() => kiln.transpose(out.output, [1, 0, 2])).data(), TOL, 'batchFirst');
  expectThrows(() => m.forward(x, { h0: kiln.zeros([2, N, H]) }), /nn\.LSTM/, /h0 must be \[numLayers \* directions, N, H\] = \[4, 3, 6\]/);
  kiln.dispose([x, out, want, outBf]);
  m.dispose();
  bf.dispose();
});

t('nn.GRU, nn.GRUCell, nn.LSTMCell, nn.ConvGRU train: loss goes down and memory stays flat', async () => {
  const gruM = new kiln.nn.GRU(3, 8, { seed: 1 });
  const cellM = new kiln.nn.GRUCell(3, 8, { seed: 2 });
  const lstmCellM = new kiln.nn.LSTMCell(3, 8, { seed: 4 });
  const conv = new kiln.nn.ConvGRU(2, 4, { seed: 3, stride: 2 });
  const x = kiln.tensor(randArray(6 * 2 * 3, 9), [6, 2, 3]);
  const img = kiln.tensor(randArray(2 * 8 * 8 * 2, 10), [2, 8, 8, 2]);
  const target = kiln.tensor(randArray(2 * 8, 11, -0.5, 0.5), [2, 8]);
  const params = [...gruM.parameters(), ...cellM.parameters(), ...lstmCellM.parameters(), ...conv.parameters()];
  const opt = kiln.adam(0.02);
  const { first, last } = await trainFlat(() => {
    const h = gruM.forward(x).hN;
    const h2 = cellM.forward(kiln.reshape(kiln.slice(x, [0, 0, 0], [1, 2, 3]), [2, 3]), kiln.reshape(h, [2, 8]));
    const l = lstmCellM.forward(kiln.reshape(kiln.slice(x, [1, 0, 0], [1, 2, 3]), [2, 3]), h2, h2);
    const hc = conv.forward(img, kiln.zeros([2, 4, 4, 4]));
    return kiln.add(kiln.mean(kiln.square(kiln.sub(l.h, target))), kiln.mean(kiln.square(kiln.sub(hc, 0.25))));
  }, params, opt, 15);
  assert.ok(last < 0.7 * first, `loss went from ${first} to ${last}`);
  opt.dispose();
  kiln.dispose([x, img, target]);
  for (const m of [gruM, cellM, lstmCellM, conv]) m.dispose();
});

t.run();
