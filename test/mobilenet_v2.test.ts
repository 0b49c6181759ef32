import './setup.ts';
import { suite } from 'uvu';
import { kiln, assert, expectClose, runCli } from './helpers.ts';
import { observeTensors } from '../src/tensor.ts';
import { mobilenetV2, mobilenetV2Layers, makeDivisible, summary, summarize, type LayerInfo } from '../src/models/index.ts';

const t = suite('mobilenet_v2');

t('makeDivisible: the reference _make_divisible', () => {
  assert.equal([32, 16, 24, 11.2, 5.6, 33.6, 1792, 44.8, 12].map((v) => makeDivisible(v)), [32, 16, 24, 16, 8, 32, 1792, 48, 16]);
});

t('layer list: Table 2 (t, c, n, s), linear bottlenecks, residual blocks, last conv 1280', () => {
  const L = mobilenetV2Layers();
  // conv + 17 blocks (the first without expansion: 2 convs, the rest 3) + last conv + pool + fc
  assert.is(L.length, 1 + 2 + 16 * 3 + 1 + 2);
  assert.equal(L.filter((l) => l.name.endsWith('_project')).map((l) => l.channels.out), [16, 24, 24, 32, 32, 32, 64, 64, 64, 64, 96, 96, 96, 160, 160, 160, 320]);
  assert.ok(L.filter((l) => l.name.endsWith('_project')).every((l) => l.activation === 'linear'), 'linear bottlenecks');
  assert.ok(L.filter((l) => !l.name.endsWith('_project') && l.norm === 'bn').every((l) => l.activation === 'relu6'));
  assert.equal(L.filter((l) => l.stride === 2).map((l) => l.name), ['Conv1', 'block_1_depthwise', 'block_3_depthwise', 'block_6_depthwise', 'block_13_depthwise']);
  assert.equal(L.find((l) => l.name === 'block_1_expand')!.channels, { in: 16, out: 96 });
  assert.equal(L.at(-3)!.outputShape, [7, 7, 1280]);
  const m = mobilenetV2({ alpha: 0.35, resolution: 32, classes: 4 });
  try {
    assert.equal(m.blocks.filter((b) => b.residual).map((b) => b.name), ['block_2', 'block_4', 'block_5', 'block_7', 'block_8', 'block_9', 'block_11', 'block_12', 'block_14', 'block_15']);
  } finally { m.dispose(); }
  // alpha: multiples of 8; the last conv stays 1280 below 1 and grows above
  const A = mobilenetV2Layers({ alpha: 0.35 });
  assert.equal([A[0].channels.out, A.at(-3)!.channels.out], [16, 1280]);
  assert.ok(A.every((l) => l.kind === 'fc' || l.channels.out % 8 === 0));
  assert.is(mobilenetV2Layers({ alpha: 1.4 }).at(-3)!.channels.out, 1792);
  assert.throws(() => mobilenetV2Layers({ alpha: 0 }), /alpha/);
});

t('counts vs published: 300 M MACs, 3.47 M weights (TF-slim), 3.50 M trainable (torchvision / Keras)', () => {
  const L = mobilenetV2Layers();
  const s = summary(L, { params: 'trainable' });
  assert.is(s.macs, 300774272);
  assert.is(s.params, 3504872); // torchvision's mobilenet_v2 numel, Keras' trainable count
  assert.is(summary(L, { params: 'keras' }).params, 3538984); // Keras' total
  assert.is(summary(L, { params: 'inference' }).params, 3487816);
  assert.is(summary(L, { params: 'weights' }).params, 3469760);
  assert.is((s.params / 1e6).toFixed(2), '3.50');
  assert.is((summary(L, { params: 'weights' }).params / 1e6).toFixed(2), '3.47');
  // 300.77 M: the published 300 is the whole-million part (it would round to 301)
  assert.is(Math.floor(s.macs / 1e6), 300);
  const T = mobilenetV2Layers({ classes: 1001 });
  assert.is(summary(T).macs, 300775552);
  assert.is(summary(T, { params: 'weights' }).params, 3471040);
  assert.is(summary(T, { params: 'trainable' }).params, 3506153);
  assert.is((summary(T, { params: 'weights' }).params / 1e6).toFixed(2), '3.47');
  // other widths (1001 classes, 224; weights rule), kiln's exact values
  const W: [number, number, number][] = [[1.4, 582197616, 6061632], [1.3, 509376224, 5343200], [0.75, 209071072, 2610064], [0.5, 97133120, 1950416], [0.35, 59287088, 1663328]];
  for (const [alpha, macs, params] of W) {
    const sw = summary(mobilenetV2Layers({ alpha, classes: 1001 }), { params: 'weights' });
    assert.equal([sw.macs, sw.params], [macs, params], `alpha ${alpha}`);
  }
});

type Model = ReturnType<typeof mobilenetV2>;
async function reference(model: Model, x: Float32Array, n: number): Promise<Float64Array> {
  const conv = async (inp: Float64Array, l: LayerInfo) => {
    const [h, w, c] = l.inputShape;
    const f = await model.params[l.params[0]].data(), bias = await model.params[l.params[1]].data();
    const k = l.kernel[0], s = l.stride, p = l.pad!, co = l.channels.out, dw = l.kind === 'depthwise';
    const [oh, ow] = [l.outputShape[0], l.outputShape[1]];
    const o = new Float64Array(n * oh * ow * co);
    for (let b = 0; b < n; b++) for (let y = 0; y < oh; y++) for (let xx = 0; xx < ow; xx++) {
      const acc = Float64Array.from(bias);
      for (let i = 0; i < k; i++) for (let j = 0; j < k; j++) {
        const iy = y * s + i - p, ix = xx * s + j - p;
        if (iy < 0 || iy >= h || ix < 0 || ix >= w) continue;
        const base = ((b * h + iy) * w + ix) * c, fb = (i * k + j) * c * (dw ? 1 : co);
        if (dw) for (let ch = 0; ch < c; ch++) acc[ch] += inp[base + ch] * f[fb + ch];
        else for (let ic = 0; ic < c; ic++) for (let oc = 0; oc < co; oc++) acc[oc] += inp[base + ic] * f[fb + ic * co + oc];
      }
      const ob = ((b * oh + y) * ow + xx) * co;
      for (let oc = 0; oc < co; oc++) o[ob + oc] = l.activation === 'relu6' ? Math.min(Math.max(acc[oc], 0), 6) : acc[oc];
    }
    return o;
  };
  let cur = await conv(Float64Array.from(x), model.layers[0]);
  for (const blk of model.blocks) {
    let r = cur;
    for (const l of blk.convs) r = await conv(r, l);
    cur = blk.residual ? r.map((v, i) => v + cur[i]) : r;
  }
  cur = await conv(cur, model.layers.at(-3)!);
  const [h, w, c] = model.layers.at(-2)!.inputShape, K = model.classes;
  const fw = await model.params['predictions/kernel'].data(), fb = await model.params['predictions/bias'].data();
  const out = new Float64Array(n * K);
  for (let b = 0; b < n; b++) {
    for (let o = 0; o < K; o++) out[b * K + o] = fb[o];
    for (let k = 0; k < c; k++) {
      let m = 0;
      for (let i = 0; i < h * w; i++) m += cur[(b * h * w + i) * c + k];
      for (let o = 0; o < K; o++) out[b * K + o] += (m / (h * w)) * fw[k * K + o];
    }
  }
  return out;
}

t('forward: alpha 0.35 at 32x32, batch 2 -> finite [2, 10] matching a float64 reference; no leaks', async () => {
  const model = mobilenetV2({ alpha: 0.35, resolution: 32, classes: 10, seed: 5 });
  const x = kiln.randomUniform([2, 32, 32, 3], -1, 1, 'float32', 6);
  try {
    assert.is(Object.values(model.params).reduce((s, v) => s + v.size, 0), summarize(model, { params: 'inference' }).params);
    assert.equal(model.params['block_1_depthwise/depthwise_kernel'].shape, [3, 3, 48, 1]);
    assert.equal(model.params['predictions/kernel'].shape, [1280, 10]);
    const run = async () => { const y = model.predict(x); assert.equal([...y.shape], [2, 10]); const d = await y.data(); y.dispose(); return d; };
    const first = await run();
    assert.ok(first.every(Number.isFinite), 'finite logits');
    assert.ok(first.some((v) => v !== 0), 'not all zero');
    const before = kiln.memory().numTensors;
    const { result: second, leaked } = await observeTensors(run);
    assert.is(leaked.length, 0, `leaked ${leaked.length} tensors`);
    // <=: the GC safety net may reclaim other tests' dropped tensors meanwhile (leaks are checked exactly by observeTensors)
    assert.ok(kiln.memory().numTensors <= before, 'memory flat');
    assert.equal([...second], [...first], 'deterministic');
    expectClose(first, await reference(model, await x.data() as Float32Array, 2), { rtol: 2e-3, atol: 1e-4 }, 'logits vs reference');
  } finally { x.dispose(); model.dispose(); }
  assert.ok(Object.values(model.params).every((v) => v.isDisposed));
});

const cli = runCli;

t('kiln summary mobilenet_v2 --alpha 1.0 --resolution 224 [--json] [--params weights]', async () => {
  const r = await cli('summary', 'mobilenet_v2', '--alpha', '1.0', '--resolution', '224');
  assert.is(r.code, 0, r.err);
  assert.match(r.out, /block_16_project\s+pointwise\s+\[7, 7, 320\]\s+15,052,800/);
  assert.match(r.out, /Total: 300\.77 M MACs, 3\.50 M parameters \(trainable rule\)/);
  const j = JSON.parse((await cli('summary', 'mobilenet_v2', '--params', 'weights', '--classes', '1001', '--json')).out);
  assert.equal([j.macs, j.params, j.rule, j.alpha], [300775552, 3471040, 'weights', 1]);
  assert.is(j.layers.length, 54);
  assert.is((await cli('summary', 'mobilenet_v2', '--depth', '50')).code, 2);
});

t.run();
