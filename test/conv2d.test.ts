// conv2d / fusedConv2d: forward against the float64 reference (kernels/conv2d.ts) on awkward
// shapes, both kernel variants (subgroup broadcast and workgroup memory), gradients by finite
// differences, the 1x1 matMul path, and the errors.
import './setup.ts';
import { suite } from 'uvu';
import { kiln, assert, randArray, expectClose, expectThrows, numel } from './helpers.ts';
import { checkGrad } from './gradcheck.ts';
import { conv2dRef, conv2dBackpropInputRef, conv2dBackpropFilterRef, convGeom, filterGradSplits, type Activation, type PadSpec } from '../kernels/conv2d.ts';
import { setConv2dKernel, conv2dKernel } from '../src/ops/conv.grad.ts';
import { engine } from '../src/tensor.ts';

const t = suite('conv2d');

interface Case {
  x: number[]; f: [number, number, number?, number?]; // filter [KH, KW] (Cin from x, Cout)
  s?: number | [number, number]; pad: PadSpec; d?: number | [number, number];
  bias?: boolean; act?: Activation;
}

const pairOf = (v: number | [number, number] | undefined): [number, number] => (v === undefined ? [1, 1] : typeof v === 'number' ? [v, v] : v);

async function checkForward(c: Case, seed: number, tol = { rtol: 1e-4, atol: 1e-4 }): Promise<void> {
  const [KH, KW, , Cout = 4] = c.f;
  const fShape = [KH, KW, c.x[3], Cout];
  const xv = randArray(numel(c.x), seed);
  const fv = randArray(numel(fShape), seed + 1);
  const bv = randArray(Cout, seed + 2);
  const g = convGeom(c.x, fShape, pairOf(c.s), c.pad, pairOf(c.d));
  const want = conv2dRef(xv, fv, g, c.bias ? bv : null, c.act ?? 'linear');
  const x = kiln.tensor(xv, c.x), f = kiln.tensor(fv, fShape), b = kiln.tensor(bv, [Cout]);
  const y = kiln.fusedConv2d({ x, filter: f, strides: c.s ?? 1, pad: c.pad, dilations: c.d, bias: c.bias ? b : undefined, activation: c.act });
  const what = `${JSON.stringify(c)} (${conv2dKernel()})`;
  assert.equal([...y.shape], [g.N, g.OH, g.OW, Cout], what);
  expectClose(await y.data(), want, tol, what);
  kiln.dispose([x, f, b, y]);
}

const CASES: Case[] = [
  { x: [1, 5, 5, 3], f: [3, 3, 3, 4], pad: 'same' },
  { x: [3, 7, 6, 4], f: [3, 3, 4, 8], s: 2, pad: 'same', bias: true },
  { x: [2, 9, 8, 5], f: [3, 3, 5, 7], d: 2, pad: 'same', bias: true, act: 'relu' },
  { x: [1, 17, 17, 3], f: [5, 5, 3, 17], s: 2, pad: 'valid', bias: true, act: 'relu6' },
  { x: [1, 6, 7, 2], f: [3, 2, 2, 3], s: [2, 1], pad: [[0, 2], [1, 0]] },
  { x: [3, 4, 4, 1], f: [1, 1, 1, 1], pad: 'valid', bias: true },
  { x: [1, 5, 5, 6], f: [1, 1, 6, 5], s: 2, pad: 'valid', bias: true, act: 'relu' },
  { x: [1, 5, 5, 3], f: [1, 1, 3, 4], pad: 1 },
  { x: [2, 8, 8, 8], f: [3, 3, 8, 36], pad: 'same', bias: true, act: 'relu' },
  { x: [1, 11, 10, 12], f: [5, 5, 12, 8], s: 2, d: 2, pad: 'same' },
  { x: [2, 3, 3, 17], f: [3, 3, 17, 3], pad: [[2, 0], [0, 1]], bias: true },
  { x: [1, 20, 20, 16], f: [3, 3, 16, 40], pad: 'same', bias: true, act: 'relu6' },
  { x: [2, 9, 11, 3], f: [3, 3, 3, 8], s: 2, d: 2, pad: 'same', bias: true, act: 'relu6' }, // direct kernel, dilated
  { x: [2, 7, 5, 9], f: [1, 1, 9, 6], pad: 'valid', bias: true, act: 'relu6' }, // fused pointwise (implicit GEMM)
];

t('forward matches the float64 reference (default kernel)', async () => {
  for (let i = 0; i < CASES.length; i++) await checkForward(CASES[i], 100 + 7 * i);
});

t('forward: the other kernel variant (workgroup memory / subgroup) matches too', async () => {
  const def = conv2dKernel();
  const other = def === 'subgroup' ? 'shared' : engine().info.features.subgroups ? 'subgroup' : null;
  if (!other) return;
  setConv2dKernel(other);
  try {
    // channel counts that are multiples of 4 only: one pipeline per kernel (cold compiles are slow)
    for (let i = 0; i < CASES.length; i++) {
      const c = CASES[i];
      if (c.x[3] % 4 === 0 && c.f[3]! % 4 === 0) await checkForward(c, 300 + 7 * i);
    }
  } finally {
    setConv2dKernel(null);
  }
});

t('TF SAME padding puts the extra row/column at the bottom/right', () => {
  assert.equal(convGeom([1, 6, 7, 3], [3, 3, 3, 4], [2, 2], 'same', [1, 1]).pads, [0, 1, 1, 1]);
  assert.equal(convGeom([1, 7, 7, 2], [4, 4, 2, 3], [2, 2], 'same', [1, 1]).pads, [1, 2, 1, 2]);
  const g = convGeom([1, 10, 10, 3], [3, 3, 3, 4], [1, 1], 'same', [2, 2]);
  assert.equal([g.pads, g.OH, g.OW], [[2, 2, 2, 2], 10, 10]);
});

t('conv2d(x, filter, strides, pad, dilations) and rank-3 x', async () => {
  const xv = randArray(2 * 6 * 5 * 3, 1), fv = randArray(3 * 3 * 3 * 2, 2);
  const x = kiln.tensor(xv, [2, 6, 5, 3]), f = kiln.tensor(fv, [3, 3, 3, 2]);
  const y = kiln.conv2d(x, f, [1, 2], 'same', 1);
  const g = convGeom([2, 6, 5, 3], [3, 3, 3, 2], [1, 2], 'same', [1, 1]);
  expectClose(await y.data(), conv2dRef(xv, fv, g), { rtol: 1e-4, atol: 1e-5 }, 'conv2d');
  const x3 = kiln.slice(x, [0, 0, 0, 0], [1, 6, 5, 3]);
  const y3 = kiln.conv2d(kiln.reshape(x3, [6, 5, 3]), f, [1, 2], 'same');
  assert.equal([...y3.shape], [6, 3, 2]);
  expectClose(await y3.data(), (await y.data()).slice(0, 36), { rtol: 1e-6, atol: 1e-6 }, 'rank 3');
  kiln.dispose([x, f, y, x3, y3]);
});

t('backward kernels match their float64 references (dx; dw with split-K)', async () => {
  const shapes: Case[] = [
    { x: [2, 7, 6, 3], f: [3, 3, 3, 5], s: 2, pad: 'same' },
    { x: [1, 9, 9, 8], f: [3, 3, 8, 36], d: 2, pad: [[1, 2], [0, 3]] },
    { x: [3, 5, 5, 4], f: [5, 5, 4, 4], pad: 'same' },
    { x: [1, 6, 7, 17], f: [3, 3, 17, 3], s: [2, 3], pad: 'valid' },
    { x: [3, 13, 5, 2], f: [3, 3, 2, 3], pad: 'valid' }, // dw split-K: 7 slices of 5 (b, oh) rows, the last short
  ];
  const def = conv2dKernel();
  const kinds = engine().info.features.subgroups ? [def, def === 'subgroup' ? 'shared' : 'subgroup'] as const : [def];
  for (const kind of kinds) {
    setConv2dKernel(kind);
    try {
      for (const [i, c] of shapes.entries()) {
        if (kind !== def && (c.x[3] % 4 !== 0 || c.f[3]! % 4 !== 0)) continue; // as above
        const fShape = [c.f[0], c.f[1], c.x[3], c.f[3]!];
        const g = convGeom(c.x, fShape, pairOf(c.s), c.pad, pairOf(c.d));
        const xv = randArray(numel(c.x), 40 + i), fv = randArray(numel(fShape), 50 + i);
        const dyv = randArray(g.N * g.OH * g.OW * g.Cout, 60 + i);
        const x = kiln.tensor(xv, c.x), f = kiln.tensor(fv, fShape), dy = kiln.tensor(dyv, [g.N, g.OH, g.OW, g.Cout]);
        const [dx, dw] = kiln.grads((a, b) => kiln.conv2d(a, b, c.s ?? 1, c.pad, c.d ?? 1))([x, f], dy);
        const what = `${JSON.stringify(c)} (${kind})`;
        expectClose(await dx.data(), conv2dBackpropInputRef(dyv, fv, g), { rtol: 1e-4, atol: 1e-4 }, `dx ${what}`);
        expectClose(await dw.data(), conv2dBackpropFilterRef(xv, dyv, g), { rtol: 1e-4, atol: 1e-4 }, `dw ${what}`);
        kiln.dispose([x, f, dy, dx, dw]);
      }
    } finally {
      setConv2dKernel(null);
    }
  }
});

/** gradcheck of fusedConv2d over (x, filter, bias). */
async function gradCase(name: string, xs: number[], fs: number[], s: number | [number, number], pad: PadSpec, d: number, act: Activation): Promise<void> {
  const g = convGeom(xs, fs, pairOf(s), pad, [d, d]);
  const kinks = act === 'linear' ? undefined : [];
  const res = await checkGrad(name,
    (x, f, b) => kiln.fusedConv2d({ x, filter: f, strides: s, pad, dilations: d, bias: b, activation: act }),
    (x, f, b) => conv2dRef(x, f, g, b, act),
    [xs, fs, [fs[3]]], { rtol: 2e-3, atol: 2e-4, kinks, eps: 1e-4 });
  assert.ok(res.worst <= 1, name);
}

t('gradients (x, filter, bias) by finite differences', async () => {
  await gradCase('k3 s1 same', [1, 4, 4, 3], [3, 3, 3, 2], 1, 'same', 1, 'linear');
  await gradCase('k3 s2 same relu', [2, 5, 4, 2], [3, 3, 2, 5], 2, 'same', 1, 'relu');
  await gradCase('k2 dil2 explicit relu6', [1, 5, 5, 4], [2, 2, 4, 3], 1, [[1, 0], [0, 2]], 2, 'relu6');
  await gradCase('1x1 matMul path relu', [2, 3, 3, 3], [1, 1, 3, 4], 1, 'valid', 1, 'relu');
  await gradCase('1x1 s2', [1, 5, 4, 3], [1, 1, 3, 2], 2, 'valid', 1, 'linear');
});

t('errors name the op, the shapes and the fix', () => {
  const x = kiln.zeros([1, 5, 5, 3]), f = kiln.zeros([3, 3, 4, 2]), f3 = kiln.zeros([3, 3, 3]), ok = kiln.zeros([3, 3, 3, 2]);
  expectThrows(() => kiln.conv2d(x, f, 1, 'same'), /kiln\.conv2d/, /\[1,\s?5,\s?5,\s?3\]/, /3 input channels/, /expects 4/);
  expectThrows(() => kiln.conv2d(x, f3, 1, 'same'), /kiln\.conv2d/, /filter must be HWIO/);
  expectThrows(() => kiln.conv2d(x, ok, 0, 'same'), /kiln\.conv2d/, /strides must be a positive integer/);
  expectThrows(() => kiln.conv2d(x, ok, 1, 'full' as PadSpec), /pad must be/);
  expectThrows(() => kiln.conv2d(kiln.zeros([1, 2, 2, 3]), ok, 1, 'valid'), /output would be 0x0/);
  expectThrows(() => kiln.fusedConv2d({ x, filter: ok, strides: 1, pad: 'same', bias: kiln.zeros([3]) }), /kiln\.fusedConv2d/, /bias has shape \[3\]; expected \[2\]/);
  expectThrows(() => kiln.conv2d(kiln.zeros([1, 5, 5, 3], 'int32'), ok, 1, 'same'), /dtype int32/, /cast/);
  expectThrows(() => kiln.conv2d(kiln.zeros([5, 3]), ok, 1, 'same'), /NHWC/);
  kiln.dispose([x, f, f3, ok]);
});

t.run();
