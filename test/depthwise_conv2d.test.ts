// depthwiseConv2d / fusedDepthwiseConv2d: forward and gradients against the float64 references of
// kernels/depthwise_conv2d.ts on awkward shapes (every channel layout: vec4 x, gathered vec4,
// scalar), finite-difference gradient checks, and the errors.
import './setup.ts';
import { suite } from 'uvu';
import { kiln, assert, expectClose, expectThrows, randArray, numel } from './helpers.ts';
import { checkGrad } from './gradcheck.ts';
import { engine } from '../src/tensor.ts';
import {
  dwGeometry, dwMode, depthwiseConv2dRef, depthwiseConv2dDxRef, depthwiseConv2dDfilterRef, type DwActivation, type DwGeom,
} from '../kernels/depthwise_conv2d.ts';
import type { DepthwisePad } from '../src/ops/depthwise.ts';

const t = suite('depthwiseConv2d');

type Pad = DepthwisePad;
interface Case { x: number[]; k: number; m: number; s: number; pad: Pad; d?: number }

function geomOf(c: Case): DwGeom {
  const pads = typeof c.pad === 'string' ? c.pad : typeof c.pad === 'number' ? [c.pad, c.pad, c.pad, c.pad] as [number, number, number, number]
    : [c.pad[0][0], c.pad[0][1], c.pad[1][0], c.pad[1][1]] as [number, number, number, number];
  return dwGeometry(c.x, [c.k, c.k, c.x[3], c.m], [c.s, c.s], pads, [c.d ?? 1, c.d ?? 1]);
}

// stride 1/2, SAME/VALID/explicit asymmetric pads, K 3/5, M 1/2, C 1/3/17 (scalar), 8 (vec4 x),
// 2 with M 2 (gathered vec4), batch 1/2, dilation 2
const CASES: Case[] = [
  { x: [1, 7, 9, 1], k: 3, m: 1, s: 1, pad: 'same' },
  { x: [2, 8, 7, 3], k: 3, m: 1, s: 2, pad: 'same' },
  { x: [1, 9, 10, 17], k: 3, m: 2, s: 1, pad: 'valid' },
  { x: [2, 11, 9, 3], k: 5, m: 2, s: 2, pad: [[2, 1], [0, 3]] },
  { x: [1, 12, 13, 8], k: 3, m: 1, s: 1, pad: 'same' },
  { x: [2, 9, 10, 8], k: 3, m: 1, s: 2, pad: 'same' },
  { x: [1, 10, 11, 8], k: 5, m: 1, s: 2, pad: 'valid' },
  { x: [1, 7, 6, 2], k: 3, m: 2, s: 2, pad: [[0, 1], [1, 1]] },
  { x: [2, 10, 9, 4], k: 3, m: 2, s: 1, pad: 'same', d: 2 },
  { x: [1, 12, 11, 17], k: 3, m: 1, s: 1, pad: 'valid', d: 2 },
  { x: [1, 5, 6, 3], k: 3, m: 1, s: 1, pad: 2 },
  // vec4 x wide enough for the forward TILE path's interior (unchecked) row segments
  { x: [1, 9, 37, 8], k: 3, m: 1, s: 1, pad: 'same' },
  { x: [2, 7, 41, 12], k: 3, m: 1, s: 2, pad: [[1, 0], [2, 1]] },
  { x: [1, 15, 29, 4], k: 3, m: 1, s: 1, pad: [[2, 0], [1, 2]] },
];

const desc = (c: Case) => `x [${c.x}] k${c.k} m${c.m} s${c.s} pad ${JSON.stringify(c.pad)}${c.d ? ` d${c.d}` : ''}`;

t('the cases cover every channel layout', () => {
  const modes = new Set(CASES.map((c) => dwMode(geomOf(c))));
  assert.equal([...modes].sort(), ['G4', 'SCALAR', 'X4']);
});

t('forward, with and without bias and fused relu/relu6, against the float64 reference', async () => {
  let seed = 1;
  let clipped6 = 0;
  for (const c of CASES) {
    const g = geomOf(c);
    const CM = c.x[3] * c.m;
    const xv = randArray(numel(c.x), seed++, -2, 2), wv = randArray(c.k * c.k * CM, seed++, -2, 2), bv = randArray(CM, seed++, -1, 1);
    const x = kiln.tensor(xv, c.x), w = kiln.tensor(wv, [c.k, c.k, c.x[3], c.m]), b = kiln.tensor(bv, [CM]);
    const plain = kiln.depthwiseConv2d(x, w, c.s, c.pad, c.d ?? 1);
    assert.equal([...plain.shape], [g.N, g.OH, g.OW, CM], desc(c));
    expectClose(await plain.data(), depthwiseConv2dRef(xv, wv, g), { rtol: 1e-5, atol: 1e-5 }, desc(c));
    for (const act of ['linear', 'relu', 'relu6'] as DwActivation[]) {
      const y = kiln.fusedDepthwiseConv2d({ x, filter: w, strides: c.s, pad: c.pad, dilations: c.d ?? 1, bias: b, activation: act });
      if (act === 'relu6') clipped6 += depthwiseConv2dRef(xv, wv, g, bv).filter((v) => v > 6).length;
      expectClose(await y.data(), depthwiseConv2dRef(xv, wv, g, bv, act), { rtol: 1e-5, atol: 1e-5 }, `${desc(c)} ${act}`);
      y.dispose();
    }
    kiln.dispose([x, w, b, plain]);
  }
  assert.ok(clipped6 > 0, 'relu6 clips at 6 somewhere');
});

t('SAME pads follow TensorFlow (the odd row/column at the bottom/right); tfjs argument forms', async () => {
  assert.equal(dwGeometry([1, 7, 6, 3], [3, 3, 3, 1], [2, 2], 'same', [1, 1]), {
    N: 1, H: 7, W: 6, C: 3, M: 1, KH: 3, KW: 3, sh: 2, sw: 2, dh: 1, dw: 1, pt: 1, pb: 1, pl: 0, pr: 1, OH: 4, OW: 3,
  });
  const xv = randArray(1 * 6 * 7 * 4, 50), wv = randArray(3 * 3 * 4 * 2, 51);
  const x = kiln.tensor(xv, [1, 6, 7, 4]), w = kiln.tensor(wv, [3, 3, 4, 2]);
  const a = await kiln.depthwiseConv2d(x, w, [1, 1], 'same', 'NHWC', [2, 2]).data();
  const b = await kiln.depthwiseConv2d(x, w, 1, 'same', 2).data();
  const c = await kiln.depthwiseConv2d(x, w, 1, [[0, 0], [2, 2], [2, 2], [0, 0]], 2).data();
  assert.equal(Array.from(a), Array.from(b));
  assert.equal(Array.from(a), Array.from(c));
  // rank-3 input [H, W, C]
  const x3 = kiln.reshape(x, [6, 7, 4]);
  const y3 = kiln.depthwiseConv2d(x3, w, 1, 'same', 2);
  assert.equal([...y3.shape], [6, 7, 8]);
  assert.equal(Array.from(await y3.data()), Array.from(a));
  kiln.dispose([x, w, x3, y3]);
});

t('the fused forward is one dispatch', () => {
  const x = kiln.zeros([1, 8, 8, 8]), w = kiln.zeros([3, 3, 8, 1]), b = kiln.zeros([8]);
  kiln.fusedDepthwiseConv2d({ x, filter: w, strides: 1, pad: 'same', bias: b, activation: 'relu6' }).dispose();
  const d0 = engine().stats.dispatches;
  const y = kiln.fusedDepthwiseConv2d({ x, filter: w, strides: 1, pad: 'same', bias: b, activation: 'relu6' });
  assert.is(engine().stats.dispatches - d0, 1);
  kiln.dispose([x, w, b, y]);
});

t('gradients (dx, dfilter, dbias, through the activation) against the float64 backward references', async () => {
  let seed = 100;
  for (const c of CASES) {
    for (const act of ['linear', 'relu6'] as DwActivation[]) {
      const g = geomOf(c);
      const CM = c.x[3] * c.m;
      const xv = randArray(numel(c.x), seed++, -2, 2), wv = randArray(c.k * c.k * CM, seed++, -2, 2), bv = randArray(CM, seed++, -1, 1);
      const dyv = randArray(g.N * g.OH * g.OW * CM, seed++);
      const x = kiln.tensor(xv, c.x), w = kiln.tensor(wv, [c.k, c.k, c.x[3], c.m]), b = kiln.tensor(bv, [CM]);
      const dy = kiln.tensor(dyv, [g.N, g.OH, g.OW, CM]);
      const f = (xx: kiln.Tensor, ww: kiln.Tensor, bb: kiln.Tensor) =>
        kiln.fusedDepthwiseConv2d({ x: xx, filter: ww, strides: c.s, pad: c.pad, dilations: c.d ?? 1, bias: bb, activation: act });
      const [dx, dw, db] = kiln.grads(f)([x, w, b], dy);
      // the masked upstream gradient, from the pre-activation
      const pre = depthwiseConv2dRef(xv, wv, g, bv);
      const gy = Float64Array.from(dyv, (v, i) => (act === 'linear' || (pre[i] > 0 && pre[i] < 6) ? v : 0));
      const dbWant = new Float64Array(CM);
      gy.forEach((v, i) => { dbWant[i % CM] += v; });
      const tol = { rtol: 1e-4, atol: 1e-4 };
      expectClose(await dx.data(), depthwiseConv2dDxRef(gy, wv, g), tol, `${desc(c)} ${act} dx`);
      expectClose(await dw.data(), depthwiseConv2dDfilterRef(xv, gy, g), tol, `${desc(c)} ${act} dfilter`);
      expectClose(await db.data(), dbWant, tol, `${desc(c)} ${act} dbias`);
      assert.equal([...dw.shape], [c.k, c.k, c.x[3], c.m]);
      kiln.dispose([x, w, b, dy, dx, dw, db]);
    }
  }
});

t('the filter gradient sums over a large N*OH*OW in chunks', async () => {
  const c: Case = { x: [2, 40, 33, 8], k: 3, m: 1, s: 1, pad: 'same' };
  const g = geomOf(c);
  const xv = randArray(numel(c.x), 7), dyv = randArray(g.N * g.OH * g.OW * 8, 8);
  const x = kiln.tensor(xv, c.x), w = kiln.tensor(randArray(72, 9), [3, 3, 8, 1]), dy = kiln.tensor(dyv, [g.N, g.OH, g.OW, 8]);
  const [dw] = kiln.grads((ww: kiln.Tensor) => kiln.depthwiseConv2d(x, ww, 1, 'same'))([w], dy);
  expectClose(await dw.data(), depthwiseConv2dDfilterRef(xv, dyv, g), { rtol: 1e-4, atol: 1e-4 }, 'dfilter');
  kiln.dispose([x, w, dy, dw]);
});

t('finite differences: x, filter and bias', async () => {
  const small: Case[] = [
    { x: [1, 5, 4, 3], k: 3, m: 1, s: 1, pad: 'same' },
    { x: [2, 5, 5, 2], k: 3, m: 2, s: 2, pad: 'same' },
    { x: [1, 6, 5, 4], k: 3, m: 1, s: 1, pad: 'valid', d: 2 },
    { x: [1, 7, 6, 1], k: 5, m: 2, s: 2, pad: [[1, 2], [2, 0]] },
  ];
  for (const c of small) {
    const g = geomOf(c);
    const CM = c.x[3] * c.m;
    await checkGrad(`depthwiseConv2d ${desc(c)}`,
      (x, w, b) => kiln.fusedDepthwiseConv2d({ x, filter: w, strides: c.s, pad: c.pad, dilations: c.d ?? 1, bias: b }),
      (x, w, b) => depthwiseConv2dRef(x, w, g, b),
      [c.x, [c.k, c.k, c.x[3], c.m], [CM]], { rtol: 1e-3, atol: 1e-4 });
  }
});

t('clear errors', () => {
  const x = kiln.zeros([1, 5, 5, 3]), w = kiln.zeros([3, 3, 3, 2]);
  expectThrows(() => kiln.depthwiseConv2d(x, kiln.zeros([3, 3, 4, 1]), 1, 'same'), /kiln\.depthwiseConv2d: x \[1,\s?5,\s?5,\s?3\] and filter \[3,\s?3,\s?4,\s?1\]: the filter has 4 input channels/);
  expectThrows(() => kiln.depthwiseConv2d(kiln.zeros([5, 3]), w, 1, 'same'), /x must be NHWC/);
  expectThrows(() => kiln.depthwiseConv2d(x, kiln.zeros([3, 3, 3]), 1, 'same'), /filter must be \[KH, KW, C, M\]/);
  expectThrows(() => kiln.depthwiseConv2d(x, w, 0, 'same'), /strides must be a positive integer/);
  expectThrows(() => kiln.depthwiseConv2d(x, w, 1, 'same', [1, 0]), /dilations/);
  expectThrows(() => kiln.depthwiseConv2d(x, w, 1, 'full' as 'same'), /pad "full" is not understood/);
  expectThrows(() => kiln.depthwiseConv2d(x, kiln.zeros([7, 7, 3, 1]), 1, 'valid'), /output would be -1x-1 .*larger than the padded input/);
  expectThrows(() => kiln.depthwiseConv2d(x, w, 1, 'same', 'NCHW' as 'NHWC'), /dataFormat "NCHW" is not supported/);
  expectThrows(() => kiln.fusedDepthwiseConv2d({ x, filter: w, strides: 1, pad: 'same', bias: kiln.zeros([3]) }), /kiln\.fusedDepthwiseConv2d: .*bias \[3\] must have C\*M = 6 values/);
  expectThrows(() => kiln.fusedDepthwiseConv2d({ x, filter: w, strides: 1, pad: 'same', activation: 'elu' as 'relu' }), /activation "elu" is not supported/);
  expectThrows(() => kiln.depthwiseConv2d(kiln.zeros([1, 5, 5, 3], 'int32'), w, 1, 'same'), /float32 only/);
});

t.run();
