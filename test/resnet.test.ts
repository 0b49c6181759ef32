import './setup.ts';
import { suite } from 'uvu';
import { kiln, assert, expectClose, runCli } from './helpers.ts';
import { observeTensors } from '../src/tensor.ts';
import { resnet, resnetLayers, summary, summarize, type ResNetDepth, type LayerInfo } from '../src/models/index.ts';

const t = suite('resnet');

// Published (torchvision / THOP-style) counts: [depth, G MACs, M params].
const PUBLISHED: [ResNetDepth, number, number][] = [[18, 1.82, 11.69], [34, 3.67, 21.80], [50, 4.11, 25.56], [101, 7.83, 44.55], [152, 11.56, 60.19]];
// kiln's exact counts, 1000 classes, 224: [conv + fc MACs, with bnMacs (2 per BN output element), 'trainable' params].
const KILN: Record<ResNetDepth, [number, number, number]> = {
  18: [1814073344, 1819040768, 11689512],
  34: [3663761408, 3671237632, 21797672],
  50: [4089184256, 4111412224, 25557032],
  101: [7801405440, 7833869312, 44549160],
  152: [11513626624, 11558734848, 60192808],
};

t('layer list: stem, stages, projection shortcuts, v1.5 stride placement', () => {
  const L18 = resnetLayers({ depth: 18 });
  assert.equal(L18.slice(0, 2).map((l) => [l.name, l.kind, l.outputShape]), [['conv1', 'conv', [112, 112, 64]], ['maxpool', 'maxpool', [56, 56, 64]]]);
  assert.is(L18.filter((l) => l.kind === 'conv' || l.kind === 'pointwise').length, 1 + 16 + 3);
  assert.equal(L18.filter((l) => l.name.includes('downsample')).map((l) => l.name), ['layer2.0.downsample.0', 'layer3.0.downsample.0', 'layer4.0.downsample.0']);
  assert.equal(L18.at(-3)!.outputShape, [7, 7, 512]);
  const L50 = resnetLayers({ depth: 50 });
  // every stage has a projection in its first block (layer1.0: 64 -> 256 channels, stride 1)
  assert.equal(L50.filter((l) => l.name.includes('downsample')).map((l) => [l.name, l.stride, l.channels.out]), [
    ['layer1.0.downsample.0', 1, 256], ['layer2.0.downsample.0', 2, 512], ['layer3.0.downsample.0', 2, 1024], ['layer4.0.downsample.0', 2, 2048]]);
  // v1.5: the stride is on the 3x3 conv2, not on the 1x1 conv1
  const l2 = L50.filter((l) => l.name.startsWith('layer2.0.conv'));
  assert.equal(l2.map((l) => [l.kernel[0], l.stride]), [[1, 1], [3, 2], [1, 1]]);
  assert.equal(L50.at(-1)!.channels, { in: 2048, out: 1000 });
  for (const [d, n] of [[18, 8], [34, 16], [50, 16], [101, 33], [152, 50]] as const) {
    assert.is(resnetLayers({ depth: d }).filter((l) => /^layer\d\.\d+\.conv1$/.test(l.name)).length, n, `blocks of ${d}`);
  }
  assert.throws(() => resnetLayers({ depth: 20 as ResNetDepth }), /depth must be/);
  assert.throws(() => resnetLayers({ depth: 18, resolution: 0 }), /resolution/);
});

t('counts vs published: MACs (with bnMacs) and trainable parameters; exact kiln values', () => {
  for (const [d, g, m] of PUBLISHED) {
    const L = resnetLayers({ depth: d });
    const plain = summary(L, { params: 'trainable' });
    const bn = summary(L, { params: 'trainable', bnMacs: true });
    assert.is(plain.macs, KILN[d][0], `${d} MACs`);
    assert.is(bn.macs, KILN[d][1], `${d} MACs with BN`);
    assert.is(plain.params, KILN[d][2], `${d} params`);
    assert.is((plain.params / 1e6).toFixed(2), m.toFixed(2), `${d} params vs published`);
    assert.is((bn.macs / 1e9).toFixed(2), g.toFixed(2), `${d} G MACs (BN counted) vs published`);
    // conv + fc alone is torchvision's own GFLOPS column: 1.81, 3.66, 4.09, 7.80, 11.51
    assert.is((plain.macs / 1e9).toFixed(2), { 18: '1.81', 34: '3.66', 50: '4.09', 101: '7.80', 152: '11.51' }[d]);
    // BN contributes 2 MACs per output element of every conv
    const bnElems = L.filter((l) => l.norm === 'bn').reduce((s, l) => s + l.outputShape[0] * l.outputShape[1] * l.outputShape[2], 0);
    assert.is(bn.macs - plain.macs, 2 * bnElems);
  }
  // inference form: weights + one folded bias per channel
  assert.is(summary(resnetLayers({ depth: 50 }), { params: 'inference' }).params, 25530472);
  // the resolution changes MACs, not parameters
  assert.is(summary(resnetLayers({ depth: 50, resolution: 160 }), { params: 'trainable' }).params, KILN[50][2]);
});

type Model = ReturnType<typeof resnet>;
/** float64 CPU reference of predict from the model's own weights (PyTorch symmetric padding). */
async function reference(model: Model, x: Float32Array, n: number): Promise<Float64Array> {
  const conv = async (inp: Float64Array, [h, w, c]: number[], l: LayerInfo) => {
    const f = await model.params[l.params[0]].data(), bias = await model.params[l.params[1]].data();
    const k = l.kernel[0], s = l.stride, p = l.pad!, co = l.channels.out;
    const [oh, ow] = [l.outputShape[0], l.outputShape[1]];
    const o = new Float64Array(n * oh * ow * co);
    for (let b = 0; b < n; b++) for (let y = 0; y < oh; y++) for (let xx = 0; xx < ow; xx++) {
      const acc = Float64Array.from(bias);
      for (let i = 0; i < k; i++) for (let j = 0; j < k; j++) {
        const iy = y * s + i - p, ix = xx * s + j - p;
        if (iy < 0 || iy >= h || ix < 0 || ix >= w) continue;
        const base = ((b * h + iy) * w + ix) * c, fb = (i * k + j) * c * co;
        for (let ic = 0; ic < c; ic++) { const v = inp[base + ic]; if (v !== 0) for (let oc = 0; oc < co; oc++) acc[oc] += v * f[fb + ic * co + oc]; }
      }
      const ob = ((b * oh + y) * ow + xx) * co;
      for (let oc = 0; oc < co; oc++) o[ob + oc] = l.activation === 'relu' ? Math.max(acc[oc], 0) : acc[oc];
    }
    return o;
  };
  const [c1, mp] = model.layers;
  let cur = await conv(Float64Array.from(x), [model.resolution, model.resolution, 3], c1);
  {
    const [h, w, c] = mp.inputShape, [oh, ow] = mp.outputShape;
    const o = new Float64Array(n * oh * ow * c).fill(-Infinity);
    for (let b = 0; b < n; b++) for (let y = 0; y < oh; y++) for (let xx = 0; xx < ow; xx++) for (let i = 0; i < 3; i++) for (let j = 0; j < 3; j++) {
      const iy = y * 2 + i - 1, ix = xx * 2 + j - 1;
      if (iy < 0 || iy >= h || ix < 0 || ix >= w) continue;
      for (let k = 0; k < c; k++) { const q = ((b * oh + y) * ow + xx) * c + k; o[q] = Math.max(o[q], cur[((b * h + iy) * w + ix) * c + k]); }
    }
    cur = o;
  }
  for (const blk of model.blocks) {
    let r = cur;
    for (const l of blk.convs) r = await conv(r, l.inputShape, l);
    const sc = blk.downsample ? await conv(cur, blk.downsample.inputShape, blk.downsample) : cur;
    cur = r.map((v, i) => Math.max(v + sc[i], 0));
  }
  const [h, w, c] = model.layers.at(-2)!.inputShape;
  const fw = await model.params['fc.weight'].data(), fb = await model.params['fc.bias'].data();
  const out = new Float64Array(n * model.classes);
  for (let b = 0; b < n; b++) for (let k = 0; k < c; k++) {
    let m = 0;
    for (let i = 0; i < h * w; i++) m += cur[(b * h * w + i) * c + k];
    m /= h * w;
    for (let o = 0; o < model.classes; o++) out[b * model.classes + o] += m * fw[k * model.classes + o];
  }
  for (let b = 0; b < n; b++) for (let o = 0; o < model.classes; o++) out[b * model.classes + o] += fb[o];
  return out;
}

t('forward: ResNet-18 at 32x32, batch 1 -> finite [1, 10] matching a float64 reference; no leaks', async () => {
  const model = resnet({ depth: 18, resolution: 32, classes: 10, seed: 3 });
  const x = kiln.randomUniform([1, 32, 32, 3], -1, 1, 'float32', 4);
  try {
    assert.is(Object.values(model.params).reduce((s, v) => s + v.size, 0), summarize(model, { params: 'inference' }).params);
    assert.equal(model.params['layer2.0.downsample.0.weight'].shape, [1, 1, 64, 128]);
    assert.equal(model.params['fc.weight'].shape, [512, 10]);
    const run = async () => { const y = model.predict(x); assert.equal([...y.shape], [1, 10]); const d = await y.data(); y.dispose(); return d; };
    const first = await run();
    assert.ok(first.every(Number.isFinite), 'finite logits');
    assert.ok(first.some((v) => v !== 0), 'not all zero');
    const before = kiln.memory().numTensors;
    const { result: second, leaked } = await observeTensors(run);
    assert.is(leaked.length, 0, `leaked ${leaked.length} tensors`);
    // <=: the GC safety net may reclaim other tests' dropped tensors meanwhile (leaks are checked exactly by observeTensors)
    assert.ok(kiln.memory().numTensors <= before, 'memory flat');
    assert.equal([...second], [...first], 'deterministic');
    expectClose(first, await reference(model, await x.data() as Float32Array, 1), { rtol: 2e-3, atol: 1e-4 }, 'logits vs reference');
  } finally { x.dispose(); model.dispose(); }
  assert.ok(Object.values(model.params).every((v) => v.isDisposed));
  assert.throws(() => model.predict(x), /disposed/);
});

t('forward: ResNet-50 (bottleneck) at 32x32, batch 1 -> finite [1, 5]', async () => {
  const model = resnet({ depth: 50, resolution: 32, classes: 5 });
  const x = kiln.randomUniform([1, 32, 32, 3], -1, 1, 'float32', 9);
  try {
    const { result, leaked } = await observeTensors(async () => { const y = model.predict(x); const d = await y.data(); assert.equal([...y.shape], [1, 5]); y.dispose(); return d; });
    assert.is(leaked.length, 0);
    assert.ok(result.every(Number.isFinite));
  } finally { x.dispose(); model.dispose(); }
});

const cli = runCli;

t('kiln summary resnet --depth 50 [--json] [--bn-macs]', async () => {
  const r = await cli('summary', 'resnet', '--depth', '50');
  assert.is(r.code, 0, r.err);
  assert.match(r.out, /layer4\.0\.downsample\.0\s+pointwise\s+\[7, 7, 2048\]/);
  assert.match(r.out, /Total: 4089\.18 M MACs, 25\.56 M parameters \(trainable rule\)/);
  const j = JSON.parse((await cli('summary', 'resnet', '--depth', '101', '--json', '--bn-macs')).out);
  assert.is(j.macs, KILN[101][1]);
  assert.is(j.params, KILN[101][2]);
  assert.is(j.depth, 101);
  assert.is(j.layers.reduce((s: number, l: { macs: number }) => s + l.macs, 0), j.macs);
  assert.is(JSON.parse((await cli('summary', 'resnet', '--json')).out).macs, KILN[50][0], 'depth 50 by default');
  assert.is((await cli('summary', 'resnet', '--depth', '20')).code, 2);
  assert.is((await cli('summary', 'resnet', '--alpha', '0.5')).code, 2);
});

t.run();
