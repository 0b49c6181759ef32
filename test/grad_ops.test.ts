// Gradients of every differentiable op against central finite differences of the float64 CPU
// references (test/gradcheck.ts), on small random inputs of awkward sizes.
import './setup.ts';
import { suite } from 'uvu';
import { kiln, assert, expectClose } from './helpers.ts';
import { checkGrad, gridValues, reduceAxesRef, sliceRef, concatRef, broadcastRef } from './gradcheck.ts';
import { unaryRef, type UnaryOp, type UnaryParams } from '../kernels/unary.ts';
import { binaryRef, selectRef, type BinaryOp } from '../kernels/binary.ts';
import { transposeRef } from '../kernels/copy.ts';
import { padRef, type PadMode } from '../kernels/pad.ts';
import { gatherRef, scatterAddRef } from '../kernels/gather.ts';
import { softmaxRef } from '../kernels/softmax.ts';
import { matMulRef } from '../kernels/matmul.ts';
import { broadcastShapes } from '../src/ops/util.ts';
import type { ReduceOp } from '../kernels/reduce.ts';

const T = kiln.Tensor;
type Tensor = InstanceType<typeof T>;
const numel = (s: readonly number[]) => s.reduce((a, b) => a * b, 1);

// ---- unary --------------------------------------------------------------------------------------

const unary = suite('grad: unary ops');

unary('the checker itself: a wrong gradient with a right forward value fails', async () => {
  // noGrad hides x^2 from the tape: the value is 2x + x^2, the recorded gradient only 2
  let msg = '';
  await checkGrad('hidden square', (x) => kiln.add(kiln.mul(x, 2), kiln.noGrad(() => kiln.square(x))), (x) => x.map((v) => 2 * v + v * v), [[5]])
    .catch((e: Error) => { msg = e.message; });
  assert.match(msg, /^hidden square: d\/dx0\[\d\] \(x = \S+, input shape \[5\]\): kiln \S+, finite differences \S+ \(\|diff\|/);
  msg = '';
  await checkGrad('wrong reference', (x) => kiln.mul(x, 2), (x) => x.map((v) => 3 * v), [[5]]).catch((e: Error) => { msg = e.message; });
  assert.match(msg, /^wrong reference: forward value \[0\] is \S+, the reference \S+/);
});

/** op, kiln function, input range and kinks to stay away from */
const UNARY: [UnaryOp, (x: Tensor) => Tensor, [number, number], number[], UnaryParams?][] = [
  ['neg', kiln.neg, [-2, 2], []],
  ['abs', kiln.abs, [-2, 2], [0]],
  ['square', kiln.square, [-2, 2], []],
  ['exp', kiln.exp, [-3, 3], []],
  ['log', kiln.log, [0.1, 4], []],
  ['sqrt', kiln.sqrt, [0.1, 4], []],
  ['rsqrt', kiln.rsqrt, [0.2, 4], []],
  ['reciprocal', kiln.reciprocal, [0.2, 3], []],
  ['relu', kiln.relu, [-2, 2], [0]],
  ['relu6', kiln.relu6, [-2, 8], [0, 6]],
  ['leakyRelu', (x) => kiln.leakyRelu(x, 0.15), [-2, 2], [0], { alpha: 0.15 }],
  ['leakyRelu', kiln.leakyRelu, [-2, 2], [0], { alpha: 0.2 }],
  ['sigmoid', kiln.sigmoid, [-6, 6], []],
  ['tanh', kiln.tanh, [-3, 3], []],
  ['softplus', kiln.softplus, [-8, 8], []],
  ['sin', kiln.sin, [-4, 4], []],
  ['cos', kiln.cos, [-4, 4], []],
  ['clamp', (x) => kiln.clipByValue(x, -0.5, 0.75), [-1.5, 1.5], [-0.5, 0.75], { alpha: -0.5, beta: 0.75 }],
];

for (const [op, fn, [lo, hi], kinks, p] of UNARY) {
  unary(`${op}${p ? ` ${JSON.stringify(p)}` : ''}`, async () => {
    // [17] exercises the scalar kernel path, [3, 4] the vec4 one, [] a scalar
    for (const shape of [[17], [3, 4], []]) {
      await checkGrad(`${op} [${shape}]`, fn, (x) => unaryRef(op, x, p), [shape], { lo, hi, kinks });
    }
  });
}

unary('floor, ceil, round, sign have zero gradients (piecewise constant)', async () => {
  const cases: [UnaryOp, (x: Tensor) => Tensor, number[]][] = [
    ['floor', kiln.floor, [-2, -1, 0, 1, 2]],
    ['ceil', kiln.ceil, [-2, -1, 0, 1, 2]],
    ['round', kiln.round, [-2.5, -1.5, -0.5, 0.5, 1.5, 2.5]],
    ['sign', kiln.sign, [0]],
  ];
  for (const [op, fn, kinks] of cases) {
    await checkGrad(op, fn, (x) => unaryRef(op, x), [[3, 17]], { lo: -3, hi: 3, kinks, gap: 1e-2 });
    // and exactly zero, also at the jumps
    const g = kiln.grad((x) => kiln.sum(fn(x)))(kiln.tensor([-1.5, -1, 0, 0.5, 2]));
    assert.equal(Array.from(await g.data()), [0, 0, 0, 0, 0], op);
    g.dispose();
  }
});

unary('cast to float32 and clone pass the gradient through', async () => {
  await checkGrad('cast float32', (x) => kiln.cast(x, 'float32'), (x) => x, [[3, 17]]);
  await checkGrad('clone', kiln.clone, (x) => x, [[3, 17]]);
  await checkGrad('clone then square', (x) => kiln.square(kiln.clone(x)), (x) => x.map((v) => v * v), [[5]]);
});

unary('derivative conventions at the kinks (PyTorch): relu 0 at 0, relu6 0 at 0 and 6, clamp 1 at the bounds, abs 0 at 0', async () => {
  const at = async (f: (x: Tensor) => Tensor, xs: number[]) => {
    const x = kiln.tensor(xs);
    const g = kiln.grad((t) => kiln.sum(f(t)))(x);
    const v = Array.from(await g.data());
    kiln.dispose([x, g]);
    return v;
  };
  assert.equal(await at(kiln.relu, [0, 1, -1]), [0, 1, 0]);
  assert.equal(await at(kiln.relu6, [0, 6, 3, 7]), [0, 0, 1, 0]);
  assert.equal(await at((x) => kiln.clipByValue(x, -1, 1), [-1, 1, 0, 2, -2]), [1, 1, 1, 0, 0]);
  assert.equal(await at(kiln.abs, [0, -2, 2]), [0, -1, 1]);
  assert.equal(await at((x) => kiln.leakyRelu(x, 0.1), [0, 1, -1]).then((v) => v.map((q) => Math.fround(q))), [Math.fround(0.1), 1, Math.fround(0.1)]);
});

// ---- binary and where -----------------------------------------------------------------------------

const binary = suite('grad: binary ops and where');

const BIN_SHAPES: [number[], number[]][] = [
  [[3, 17], [3, 17]], // same shape
  [[3, 17], [17]], // row broadcast
  [[3, 1], [1, 17]], // both broadcast
  [[2, 3, 1], [3, 5]], // rank differs, inner broadcast
  [[17], []], // scalar operand
  [[], [3, 4]],
];

function binRef(op: BinaryOp, sa: number[], sb: number[]) {
  const out = broadcastShapes(op, sa, sb);
  return (a: Float64Array, b: Float64Array) => binaryRef(op, a, sa, b, sb, out);
}

const BIN: [BinaryOp, (a: Tensor, b: Tensor) => Tensor, { lo?: number[]; hi?: number[] }][] = [
  ['add', kiln.add, {}],
  ['sub', kiln.sub, {}],
  ['mul', kiln.mul, {}],
  ['div', kiln.div, { lo: [-2, 0.5], hi: [2, 2] }],
  ['pow', kiln.pow, { lo: [0.3, -2], hi: [2, 2] }],
  ['squaredDifference', kiln.squaredDifference, {}],
];

for (const [op, fn, range] of BIN) {
  binary(op, async () => {
    for (const [sa, sb] of BIN_SHAPES) {
      await checkGrad(`${op} [${sa}] [${sb}]`, fn, binRef(op, sa, sb), [sa, sb], range);
    }
  });
}

binary('pow: negative bases with integral exponents, and b = 0', async () => {
  await checkGrad('pow(x, 3)', (x) => kiln.pow(x, 3), (x) => x.map((v) => v ** 3), [[17]], { lo: -2, hi: 2 });
  await checkGrad('pow(x, 2)', (x) => kiln.pow(x, 2), (x) => x.map((v) => v ** 2), [[3, 4]], { lo: -2, hi: 2 });
  await checkGrad('pow(x, -1)', (x) => kiln.pow(x, -1), (x) => x.map((v) => 1 / v), [[5]], { lo: -2, hi: 2, kinks: [0], gap: 0.2 });
  // d/db a^b at a = 0 is taken as 0 (PyTorch), d/da 0^2 = 0
  const a = kiln.tensor([0, 0]), b = kiln.tensor([2, 3]);
  const [ga, gb] = kiln.grads((x, y) => kiln.sum(kiln.pow(x, y)))([a, b]);
  assert.equal(Array.from(await ga.data()), [0, 0]);
  assert.equal(Array.from(await gb.data()), [0, 0]);
  kiln.dispose([a, b, ga, gb]);
});

binary('maximum and minimum, away from ties and with ties (split evenly, as PyTorch)', async () => {
  for (const op of ['maximum', 'minimum'] as const) {
    const fn = kiln[op];
    for (const [sa, sb] of BIN_SHAPES) {
      // values on two interleaved grids: never within 0.06 of each other
      const inputs = [gridValues(numel(sa), 1, -1, 1, 8, 0.03), gridValues(numel(sb), 2, -1, 1, 8, 0.09)];
      await checkGrad(`${op} [${sa}] [${sb}]`, fn, binRef(op, sa, sb), [sa, sb], { inputs });
    }
    // ties: central differences at a tie give 1/2 to each side, which is PyTorch's convention
    const a = gridValues(51, 3, -1, 1, 4);
    const b = a.map((v, i) => (i % 3 === 0 ? v : v + (i % 2 ? 0.5 : -0.5)));
    await checkGrad(`${op} with ties`, fn, binRef(op, [3, 17], [3, 17]), [[3, 17], [3, 17]], { inputs: [a, b] });
    const x = kiln.tensor([1, 2, 3]), y = kiln.tensor([1, 1, 4]);
    const [gx, gy] = kiln.grads((p, q) => kiln.sum(fn(p, q)))([x, y]);
    assert.equal(Array.from(await gx.data()), op === 'maximum' ? [0.5, 1, 0] : [0.5, 0, 1]);
    assert.equal(Array.from(await gy.data()), op === 'maximum' ? [0.5, 0, 1] : [0.5, 1, 0]);
    kiln.dispose([x, y, gx, gy]);
  }
});

binary('where: gradients go to the chosen side, broadcast back', async () => {
  const shapes: [number[], number[], number[]][] = [
    [[3, 17], [3, 17], [3, 17]],
    [[3, 17], [17], [3, 1]],
    [[3, 17], [3, 17], []],
    [[2, 1, 5], [3, 5], [2, 3, 1]], // the condition broadcasts too
  ];
  for (const [sc, sa, sb] of shapes) {
    const cv = Int32Array.from(gridValues(numel(sc), 4, 0, 2, 1));
    const cond = kiln.cast(kiln.tensor(cv, sc, 'int32'), 'bool');
    const out = broadcastShapes('where', sc, broadcastShapes('where', sa, sb));
    await checkGrad(`where [${sc}] [${sa}] [${sb}]`, (a, b) => kiln.where(cond, a, b), (a, b) => selectRef(cv, sc, a, sa, b, sb, out), [sa, sb]);
    cond.dispose();
  }
  // with a number on one side, only the tensor side gets a gradient
  const c = kiln.tensor([1, 0, 1], [3], 'bool');
  await checkGrad('where(c, x, 0)', (a) => kiln.where(c, a, 0), (a) => a.map((v, i) => (i % 2 ? 0 : v)), [[3]]);
  c.dispose();
});

binary('the same tensor used twice accumulates both gradients', async () => {
  await checkGrad('x * x', (x) => kiln.mul(x, x), (x) => x.map((v) => v * v), [[3, 17]]);
  await checkGrad('x + x', (x) => kiln.add(x, x), (x) => x.map((v) => 2 * v), [[17]]);
  await checkGrad('x / x (= 1, gradient 0)', (x) => kiln.div(x, x), (x) => x.map(() => 1), [[5]], { lo: 0.5, hi: 2 });
  await checkGrad('(x + y) * x', (x, y) => kiln.mul(kiln.add(x, y), x), (x, y) => x.map((v, i) => (v + y[i % y.length]) * v), [[3, 5], [5]]);
  await checkGrad('exp(x) * sin(x) + x', (x) => kiln.add(kiln.mul(kiln.exp(x), kiln.sin(x)), x),
    (x) => x.map((v) => Math.exp(v) * Math.sin(v) + v), [[17]]);
});

// ---- reductions -----------------------------------------------------------------------------------

const reduce = suite('grad: reductions');

const REDUCTIONS: [ReduceOp, (x: Tensor, axis?: number | number[], keepDims?: boolean) => Tensor, { lo?: number; hi?: number; kinks?: number[]; gap?: number }][] = [
  ['sum', kiln.sum, {}],
  ['mean', kiln.mean, {}],
  ['prod', kiln.prod, { lo: -1.6, hi: 1.6, kinks: [0], gap: 0.4 }],
  ['max', kiln.max, {}],
  ['min', kiln.min, {}],
  ['logsumexp', kiln.logSumExp, { lo: -3, hi: 3 }],
];

const AXES: (number | number[] | undefined)[] = [undefined, 0, 1, 2, -1, [0, 2], [1, 2], [0, 1]];

for (const [op, fn, range] of REDUCTIONS) {
  reduce(op, async () => {
    const shape = [3, 4, 5];
    for (const axis of AXES) {
      for (const keepDims of [false, true]) {
        const axes = axis === undefined ? undefined : Array.isArray(axis) ? axis : [axis];
        await checkGrad(`${op} axis ${JSON.stringify(axis)}${keepDims ? ' keepDims' : ''}`,
          (x) => fn(x, axis, keepDims), (x) => reduceAxesRef(op, x, shape, axes), [shape], range);
      }
    }
    await checkGrad(`${op} [17]`, (x) => fn(x), (x) => reduceAxesRef(op, x, [17], undefined), [[17]], range);
    await checkGrad(`${op} [1, 17] axis 0`, (x) => fn(x, 0), (x) => reduceAxesRef(op, x, [1, 17], [0]), [[1, 17]], range);
  });
}

reduce('max and min with ties share the gradient evenly (PyTorch amax/amin)', async () => {
  // 2-way ties: central differences give 1/2 to each, the even split
  for (const op of ['max', 'min'] as const) {
    // distinct values per row (a shuffled grid), then one more copy of the row's extreme
    const r = kiln.rng(op === 'max' ? 5 : 6);
    const x = new Float32Array(3 * 17);
    for (let row = 0; row < 3; row++) {
      const vals = Array.from({ length: 17 }, (_, j) => (j - 8) / 16 + 0.01 * row);
      for (let j = 16; j > 0; j--) { const k = Math.floor(r() * (j + 1)); [vals[j], vals[k]] = [vals[k], vals[j]]; }
      const at = vals.indexOf(op === 'max' ? Math.max(...vals) : Math.min(...vals));
      vals[(at + 3 + row) % 17] = vals[at];
      x.set(vals, row * 17);
    }
    await checkGrad(`${op} axis 1 with 2-way ties`, (t) => kiln[op](t, 1), (t) => reduceAxesRef(op, t, [3, 17], [1]), [[3, 17]], { inputs: [x] });
  }
  // 3-way ties: 1/3 each (central differences give 1/2 here; the even split is the convention)
  const x = kiln.tensor([1, 3, 3, 3, 2, -1, -1, 0], [2, 4]);
  const g = kiln.grad((t) => kiln.sum(kiln.max(t)))(x);
  expectClose(await g.data(), [0, 1 / 3, 1 / 3, 1 / 3, 0, 0, 0, 0], { rtol: 1e-6 });
  const gm = kiln.grad((t) => kiln.sum(kiln.min(t, 1)))(x);
  expectClose(await gm.data(), [1, 0, 0, 0, 0, 0.5, 0.5, 0], { rtol: 1e-6 });
  kiln.dispose([x, g, gm]);
});

reduce('prod: the gradient is the product of the others, also with zeros in the slice (PyTorch)', async () => {
  const x = kiln.tensor([0, 2, 3, 0, 0, 5, 1, 2, 3], [3, 3]);
  const g = kiln.grad((v) => kiln.sum(kiln.prod(v, 1)))(x);
  assert.equal(Array.from(await g.data()), [6, 0, 0, 0, 0, 0, 6, 3, 2]);
  kiln.dispose([x, g]);
  // prod is linear in each element, so central differences are exact at 0 too
  const inputs = Float32Array.from({ length: 60 }, (_, i) => (i % 7 === 0 || i % 11 === 3 ? 0 : 0.5 + ((i * 37) % 10) / 10));
  await checkGrad('prod with zeros, axis 1', (v) => kiln.prod(v, 1), (v) => reduceAxesRef('prod', v, [3, 5, 4], [1]), [[3, 5, 4]], { inputs: [inputs] });
  await checkGrad('prod with zeros, all axes', (v) => kiln.prod(v), (v) => reduceAxesRef('prod', v, [2, 3], undefined), [[2, 3]], { inputs: [[0.5, 0, 2, -1, 1.5, 0.75]] });
});

reduce('argMax / argMin give int32 results that carry no gradient', async () => {
  const x = kiln.tensor([1, 5, 2]);
  const g = kiln.grad((t) => kiln.sum(kiln.mul(t, kiln.cast(kiln.argMax(t), 'float32'))))(x);
  assert.equal(Array.from(await g.data()), [1, 1, 1]);
  kiln.dispose([x, g]);
});

// ---- movement -------------------------------------------------------------------------------------

const movement = suite('grad: movement ops');

movement('reshape, expandDims, squeeze', async () => {
  await checkGrad('reshape', (x) => kiln.square(kiln.reshape(x, [17, 3])), (x) => x.map((v) => v * v), [[3, 17]]);
  await checkGrad('reshape -1', (x) => kiln.mul(kiln.reshape(x, [-1]), 3), (x) => x.map((v) => 3 * v), [[3, 1, 17]]);
  await checkGrad('expandDims', (x) => kiln.expandDims(x, 1), (x) => x, [[3, 17]]);
  await checkGrad('squeeze', (x) => kiln.squeeze(x), (x) => x, [[3, 1, 17, 1]]);
  await checkGrad('squeeze axis', (x) => kiln.squeeze(x, 0), (x) => x, [[1, 17]]);
});

movement('transpose', async () => {
  const cases: [number[], number[] | undefined][] = [[[3, 17], undefined], [[2, 3, 5], [2, 0, 1]], [[2, 3, 5], [1, 2, 0]], [[2, 3, 5], [0, 1, 2]], [[1, 3, 1, 4], [3, 1, 2, 0]]];
  for (const [shape, perm] of cases) {
    const p = perm ?? shape.map((_, i) => shape.length - 1 - i);
    await checkGrad(`transpose [${shape}] ${JSON.stringify(perm)}`, (x) => kiln.transpose(x, perm), (x) => transposeRef(x, shape, p), [shape]);
  }
});

movement('slice', async () => {
  const cases: [number[], number[], number[]][] = [
    [[17], [3], [5]],
    [[3, 17], [1, 2], [2, 15]],
    [[3, 17], [0, 16], [3, 1]],
    [[2, 3, 5], [1, 0, 2], [1, 3, 3]],
  ];
  for (const [shape, begin, size] of cases) {
    await checkGrad(`slice [${shape}] ${begin} ${size}`, (x) => kiln.slice(x, begin, size), (x) => sliceRef(x, shape, begin, size), [shape]);
  }
  await checkGrad('slice size -1', (x) => kiln.slice(x, [1, 4], [-1, -1]), (x) => sliceRef(x, [3, 17], [1, 4], [2, 13]), [[3, 17]]);
});

movement('concat and stack', async () => {
  const cases: [number[][], number][] = [
    [[[3, 5], [3, 1], [3, 17]], 1],
    [[[1, 4], [3, 4]], 0],
    [[[2, 3, 1], [2, 3, 2]], 2],
    [[[17]], 0],
  ];
  for (const [shapes, axis] of cases) {
    await checkGrad(`concat ${JSON.stringify(shapes)} axis ${axis}`, (...xs) => kiln.concat(xs, axis), (...xs) => concatRef(xs, shapes, axis), shapes);
  }
  // the same tensor twice
  await checkGrad('concat [x, x]', (x) => kiln.concat([x, x], 0), (x) => concatRef([x, x], [[3], [3]], 0), [[3]]);
  for (const axis of [0, 1, 2, -1]) {
    const s = [3, 5];
    const a = axis < 0 ? axis + 3 : axis;
    const es = [...s.slice(0, a), 1, ...s.slice(a)];
    await checkGrad(`stack axis ${axis}`, (x, y, z) => kiln.stack([x, y, z], axis), (x, y, z) => concatRef([x, y, z], [es, es, es], a), [s, s, s]);
  }
});

movement('broadcastTo', async () => {
  const cases: [number[], number[]][] = [[[3, 1], [2, 3, 17]], [[17], [3, 17]], [[], [4]], [[1, 5], [1, 5]], [[2, 1, 5], [2, 3, 5]]];
  for (const [from, to] of cases) {
    await checkGrad(`broadcastTo [${from}] -> [${to}]`, (x) => kiln.broadcastTo(x, to), (x) => broadcastRef(x, from, to), [from]);
  }
});

movement('pad: constant, reflect, symmetric', async () => {
  const cases: [number[], [number, number][]][] = [
    [[17], [[2, 3]]],
    [[3, 5], [[1, 2], [2, 0]]],
    [[2, 4, 5, 1], [[0, 0], [3, 1], [1, 4], [0, 0]]],
    [[4, 3], [[3, 3], [2, 2]]], // reflect pads up to size-1, symmetric up to size
  ];
  for (const mode of ['constant', 'reflect', 'symmetric'] as PadMode[]) {
    for (const [shape, pads] of cases) {
      const outShape = shape.map((d, i) => d + pads[i][0] + pads[i][1]);
      await checkGrad(`pad ${mode} [${shape}] ${JSON.stringify(pads)}`, (x) => kiln.pad(x, pads, 0.5, mode),
        (x) => padRef(x, shape, pads.map((p) => p[0]), outShape, mode, 0.5), [shape]);
    }
  }
  await checkGrad('symmetric pad = size', (x) => kiln.pad(x, [[3, 3]], 0, 'symmetric'), (x) => padRef(x, [3], [3], [9], 'symmetric'), [[3]]);
});

movement('gather (axis 0 and 1, repeated and out-of-range ids) and unsortedSegmentSum', async () => {
  const V = 7, D = 5;
  const ids = Int32Array.from([3, 0, 3, 6, 3, 1, 0, 9]); // repeated; 9 is out of range (reads 0, gets no gradient)
  const idT = kiln.tensor(ids, [2, 4], 'int32');
  await checkGrad('gather axis 0', (x) => kiln.gather(x, idT), (x) => gatherRef(x, 1, V, ids, D), [[V, D]]);
  await checkGrad('gather axis 1', (x) => kiln.gather(x, idT, 1), (x) => gatherRef(x, 3, V, ids, 2), [[3, V, 2]]);
  await checkGrad('gather axis -1', (x) => kiln.gather(x, idT, -1), (x) => gatherRef(x, 3, V, ids, 1), [[3, V]]);
  const idx1 = Int32Array.from([2, 2, 2]);
  const id1T = kiln.tensor(idx1, [3], 'int32');
  await checkGrad('gather axis 1 of 3-d, one id thrice', (x) => kiln.gather(x, id1T, 1), (x) => gatherRef(x, 2, 3, idx1, 17), [[2, 3, 17]]);
  // segment sum: repeated rows, rows never hit, one id out of range (dropped)
  const seg = Int32Array.from([1, 4, 1, 0, 7, 1]);
  const segT = kiln.tensor(seg, [6], 'int32');
  await checkGrad('unsortedSegmentSum', (u) => kiln.unsortedSegmentSum(u, segT, 5), (u) => scatterAddRef(u, seg, 5, 3), [[6, 3]]);
  const seg2 = Int32Array.from([1, 0, 1, 2, 2, 2]);
  const seg2T = kiln.tensor(seg2, [2, 3], 'int32');
  await checkGrad('unsortedSegmentSum 2-d ids', (u) => kiln.unsortedSegmentSum(u, seg2T, 4), (u) => scatterAddRef(u, seg2, 4, 17), [[2, 3, 17]]);
  await checkGrad('scatterAdd of a gather (embedding round trip)', (x) => kiln.scatterAdd(kiln.gather(x, id1T), id1T, 4),
    (x) => scatterAddRef(gatherRef(x, 1, 4, idx1, 3), idx1, 4, 3), [[4, 3]]);
  kiln.dispose([idT, id1T, segT, seg2T]);
});

// ---- matMul, softmax ------------------------------------------------------------------------------

const mm = suite('grad: matMul, softmax, logSoftmax');

mm('matMul: all four transpose combinations', async () => {
  const [M, K, N] = [3, 17, 5];
  for (const tA of [false, true]) {
    for (const tB of [false, true]) {
      const sa = tA ? [K, M] : [M, K];
      const sb = tB ? [N, K] : [K, N];
      await checkGrad(`matMul tA=${tA} tB=${tB}`, (a, b) => kiln.matMul(a, b, tA, tB), (a, b) => matMulRef(a, sa, b, sb, tA, tB).values, [sa, sb]);
    }
  }
});

mm('matMul: batched with broadcast batch dims, vectors, size-1 dims', async () => {
  const cases: [number[], number[], boolean, boolean][] = [
    [[2, 3, 4], [2, 4, 5], false, false],
    [[2, 1, 3, 4], [3, 4, 5], false, false], // batch [2,1] x [3] -> [2,3]
    [[3, 4], [2, 4, 5], false, false], // unbatched a
    [[2, 4, 3], [5, 4], true, true], // unbatched b, both transposed
    [[17, 3], [3, 1], false, false], // matrix x column vector (the swapped kernel path)
    [[1, 17], [17, 1], false, false],
    [[2, 17, 3], [1, 1, 17], true, true],
  ];
  for (const [sa, sb, tA, tB] of cases) {
    await checkGrad(`matMul [${sa}]${tA ? 'T' : ''} [${sb}]${tB ? 'T' : ''}`, (a, b) => kiln.matMul(a, b, tA, tB),
      (a, b) => matMulRef(a, sa, b, sb, tA, tB).values, [sa, sb]);
  }
  // the same matrix on both sides: x^T x
  await checkGrad('matMul(x, x, true)', (x) => kiln.matMul(x, x, true, false), (x) => matMulRef(x, [4, 3], x, [4, 3], true, false).values, [[4, 3]]);
});

mm('softmax and logSoftmax', async () => {
  for (const shape of [[3, 17], [1], [2, 3, 5], [4, 1]]) {
    const rows = numel(shape) / shape[shape.length - 1], len = shape[shape.length - 1];
    await checkGrad(`softmax [${shape}]`, (x) => kiln.softmax(x), (x) => softmaxRef(x, rows, len, false), [shape], { lo: -3, hi: 3 });
    await checkGrad(`logSoftmax [${shape}]`, (x) => kiln.logSoftmax(x), (x) => softmaxRef(x, rows, len, true), [shape], { lo: -3, hi: 3 });
  }
  // large logits: the gradients stay finite and exact
  await checkGrad('logSoftmax large', (x) => kiln.logSoftmax(x), (x) => softmaxRef(x, 2, 17, true), [[2, 17]], { lo: 80, hi: 100, fwd: { rtol: 1e-5, atol: 1e-4 } });
  await checkGrad('softmax large', (x) => kiln.softmax(x), (x) => softmaxRef(x, 2, 17, false), [[2, 17]], { lo: -100, hi: -90 });
});

// ---- composites -----------------------------------------------------------------------------------

const comp = suite('grad: composite functions');

comp('a two-layer MLP with a log-softmax loss', async () => {
  const [B, I, H, C] = [4, 3, 17, 5];
  const labels = Int32Array.from([1, 4, 0, 1]);
  const flatIdx = kiln.tensor(Int32Array.from(labels, (l, b) => b * C + l), [B], 'int32');
  const gpu = (x: Tensor, w1: Tensor, b1: Tensor, w2: Tensor, b2: Tensor) => {
    const h = kiln.tanh(kiln.add(kiln.matMul(x, w1), b1));
    const logits = kiln.add(kiln.matMul(h, w2), b2);
    const logp = kiln.logSoftmax(logits);
    return kiln.neg(kiln.mean(kiln.gather(kiln.reshape(logp, [B * C]), flatIdx)));
  };
  const ref = (x: Float64Array, w1: Float64Array, b1: Float64Array, w2: Float64Array, b2: Float64Array) => {
    const z = matMulRef(x, [B, I], w1, [I, H]).values;
    const h = unaryRef('tanh', binaryRef('add', z, [B, H], b1, [H], [B, H]));
    const logits = binaryRef('add', matMulRef(h, [B, H], w2, [H, C]).values, [B, C], b2, [C], [B, C]);
    const logp = softmaxRef(logits, B, C, true);
    let s = 0;
    labels.forEach((l, b) => { s -= logp[b * C + l]; });
    return Float64Array.of(s / B);
  };
  await checkGrad('mlp', gpu, ref, [[B, I], [I, H], [H], [H, C], [C]]);
  // the same loss through the scalar path (no dy) and valueAndGrads
  const xs = [[B, I], [I, H], [H], [H, C], [C]].map((s, i) => kiln.randomUniform(s, -1, 1, 'float32', 100 + i));
  const { value, grads } = kiln.valueAndGrads(gpu)(xs);
  const vals = await Promise.all(xs.map(async (t) => Float64Array.from(await t.data())));
  expectClose(await value.data(), ref(...(vals as [Float64Array, Float64Array, Float64Array, Float64Array, Float64Array])), { rtol: 1e-5 });
  assert.equal(grads.map((g) => [...g.shape]), xs.map((x) => [...x.shape]));
  kiln.dispose([...xs, value, ...grads, flatIdx]);
});

comp('a residual block: x + relu(x W) W^T, x reused three times', async () => {
  const gpu = (x: Tensor, w: Tensor) => kiln.add(x, kiln.matMul(kiln.relu(kiln.matMul(x, w)), w, false, true));
  const ref = (x: Float64Array, w: Float64Array) => {
    const h = unaryRef('relu', matMulRef(x, [3, 4], w, [4, 6]).values);
    return binaryRef('add', x, [3, 4], matMulRef(h, [3, 6], w, [4, 6], false, true).values, [3, 4], [3, 4]);
  };
  await checkGrad('residual', gpu, ref, [[3, 4], [4, 6]]);
});

unary.run();
binary.run();
reduce.run();
movement.run();
mm.run();
comp.run();
