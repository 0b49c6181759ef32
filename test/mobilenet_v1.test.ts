import './setup.ts';
import { suite } from 'uvu';
import { kiln, assert, expectClose, runCli } from './helpers.ts';
import { observeTensors, engine } from '../src/tensor.ts';
import { mobilenetV1, mobilenetV1Layers, summary, summarize, PARAM_RULES } from '../src/models/index.ts';

const t = suite('mobilenet_v1');

// The table of the 16 released checkpoints in the "MobileNets: Open Source Models" post of the
// brief (rows in the post's order:
// alpha 1.0, 0.75, 0.5, 0.25, each at resolution 224, 192, 160, 128).
// [alpha, resolution, Million MACs, Million Parameters]
const TABLE: [number, number, number, number][] = [
  [1, 224, 569, 4.24], [1, 192, 418, 4.24], [1, 160, 291, 4.24], [1, 128, 186, 4.24],
  [0.75, 224, 317, 2.59], [0.75, 192, 233, 2.59], [0.75, 160, 162, 2.59], [0.75, 128, 104, 2.59],
  [0.5, 224, 150, 1.34], [0.5, 192, 110, 1.34], [0.5, 160, 77, 1.34], [0.5, 128, 49, 1.34],
  [0.25, 224, 41, 0.47], [0.25, 192, 34, 0.47], [0.25, 160, 21, 0.47], [0.25, 128, 14, 0.47],
];

// kiln's own exact counts (MACs per example; parameters under the 'checkpoint' rule), so that a
// change to the architecture or the counting fails here. docs/models.md explains the 6 rows whose
// MACs differ from the post: the four alpha 0.75 rows equal kiln's total less the first conv
// (Conv2d_0), 0.5 / 224 (149.4976 M) rounds to 150 only with the global pool's adds counted,
// and alpha 0.25 / 192 (34) fits no counting rule.
const KILN: Record<string, [number, number]> = {
  '1/224': [568741376, 4243945], '1/192': [418122752, 4243945], '1/160': [290676224, 4243945], '1/128': [186401792, 4243945],
  '0.75/224': [325401216, 2594537], '0.75/192': [239274240, 2594537], '0.75/160': [166397568, 2594537], '0.75/128': [106771200, 2594537],
  '0.5/224': [149497600, 1337577], '0.5/192': [109970944, 1337577], '0.5/160': [76525312, 1337577], '0.5/128': [49160704, 1337577],
  '0.25/224': [41030528, 473065], '0.25/192': [30212864, 473065], '0.25/160': [21059456, 473065], '0.25/128': [13570304, 473065],
};

t('layer list: the paper architecture (conv s2, 13 separable blocks, pool, fc) with TF-slim channel rounding', () => {
  const L = mobilenetV1Layers();
  assert.is(L.length, 1 + 26 + 2);
  assert.equal(L.map((l) => l.kind).join(','), ['conv', ...Array(13).fill('depthwise,pointwise'), 'avgpool', 'fc'].join(','));
  assert.equal(L[0].outputShape, [112, 112, 32]);
  assert.equal(L[26].outputShape, [7, 7, 1024]);
  assert.equal(L.filter((l) => l.stride === 2).map((l) => l.name), ['Conv2d_0', 'Conv2d_2_depthwise', 'Conv2d_4_depthwise', 'Conv2d_6_depthwise', 'Conv2d_12_depthwise']);
  assert.equal(L.filter((l) => l.kind === 'pointwise').map((l) => l.channels.out), [64, 128, 128, 256, 256, 512, 512, 512, 512, 512, 512, 1024, 1024]);
  assert.equal(L[L.length - 1].outputShape, [1, 1, 1001]);
  assert.equal(mobilenetV1Layers({ alpha: 0.25 })[0].channels.out, 8);
  assert.equal(mobilenetV1Layers({ alpha: 0.2 })[0].channels.out, 8, 'min depth 8');
  assert.equal(mobilenetV1Layers({ alpha: 0.75 }).filter((l) => l.kind === 'pointwise').map((l) => l.channels.out), [48, 96, 96, 192, 192, 384, 384, 384, 384, 384, 384, 768, 768]);
});

t('16 checkpoints: MACs and parameters vs the MobileNets post table', () => {
  let matched = 0;
  for (const [alpha, res, mMacs, mParams] of TABLE) {
    const s = summary(mobilenetV1Layers({ alpha, resolution: res }));
    const key = `${alpha}/${res}`;
    assert.is(s.macs, KILN[key][0], `${key} MACs`);
    assert.is(s.params, KILN[key][1], `${key} params`);
    // every row's parameters match the post to its 2 decimals under the 'checkpoint' rule
    assert.is((s.params / 1e6).toFixed(2), mParams.toFixed(2), `${key} params vs the post`);
    if (Math.round(s.macs / 1e6) === mMacs) { matched++; continue; }
    if (alpha === 0.5) {
      // 149.4976 M: 0.0024 M under the rounding boundary; counting the global pool's 7*7*512 adds gives 150
      assert.equal([key, s.macs], ['0.5/224', 149497600]);
      const withPool = summary(mobilenetV1Layers({ alpha, resolution: res }), { poolMacs: true });
      assert.is(withPool.macs - s.macs, 7 * 7 * 512);
      assert.is(Math.round(withPool.macs / 1e6), mMacs, `${key} MACs with pooling vs the post`);
    } else if (alpha === 0.75) {
      // the post's 0.75 rows leave out the first conv
      assert.is(Math.round((s.macs - s.layers[0].macs) / 1e6), mMacs, `${key} MACs less Conv2d_0 vs the post`);
    } else {
      assert.equal([alpha, res], [0.25, 192], `${key}: only 0.25/192 is an unexplained difference`);
    }
  }
  assert.is(matched, 10);
  // with pooling counted, the same 10 rows still match, plus 0.5/224
  const poolMatched = TABLE.filter(([alpha, res, m]) => Math.round(summary(mobilenetV1Layers({ alpha, resolution: res }), { poolMacs: true }).macs / 1e6) === m);
  assert.is(poolMatched.length, 11);
});

t('parameter rules: inference < trainable < checkpoint < keras, and Keras totals', () => {
  const L = mobilenetV1Layers();
  const p = Object.fromEntries(PARAM_RULES.map((r) => [r, summary(L, { params: r }).params]));
  assert.is(p.inference, 4222057);
  assert.is(p.trainable, 4233001);
  assert.is(p.keras, 4254889);
  // Keras' MobileNet (1000 classes) reports 4,253,864 total / 4,231,976 trainable
  const K = mobilenetV1Layers({ classes: 1000 });
  assert.is(summary(K, { params: 'keras' }).params, 4253864);
  assert.is(summary(K, { params: 'trainable' }).params, 4231976);
  assert.throws(() => summary(L, { params: 'bogus' as never }), /unknown parameter rule/);
});

t('forward: alpha 0.25, 32x32, batch 2 -> finite [2, classes]; no leaked tensors; memory flat', async () => {
  const model = mobilenetV1({ alpha: 0.25, resolution: 32, classes: 10, seed: 7 });
  try {
    // the model's own parameters are what the 'inference' rule counts
    const held = Object.values(model.params).reduce((s, v) => s + v.size, 0);
    assert.is(held, summarize(model, { params: 'inference' }).params);
    assert.equal(Object.keys(model.params).slice(0, 4), ['MobilenetV1/Conv2d_0/weights', 'MobilenetV1/Conv2d_0/biases', 'MobilenetV1/Conv2d_1_depthwise/depthwise_weights', 'MobilenetV1/Conv2d_1_depthwise/biases']);
    assert.equal(model.params['MobilenetV1/Conv2d_1_depthwise/depthwise_weights'].shape, [3, 3, 8, 1]);
    assert.equal(model.params['MobilenetV1/Logits/Conv2d_1c_1x1/weights'].shape, [1, 1, 256, 10]);
    const x = kiln.randomUniform([2, 32, 32, 3], -1, 1, 'float32', 3);
    const run = async () => {
      const y = model.predict(x);
      assert.equal([...y.shape], [2, 10]);
      const d = await y.data();
      y.dispose();
      return d;
    };
    const first = await run();
    assert.ok(first.every(Number.isFinite), 'finite logits');
    assert.ok(first.some((v) => v !== 0), 'not all zero');
    const before = kiln.memory().numTensors;
    const { result: second, leaked } = await observeTensors(run);
    assert.is(leaked.length, 0, `leaked ${leaked.length} tensors`);
    // <=: the GC safety net may reclaim other tests' dropped tensors meanwhile (leaks are checked exactly by observeTensors)
    assert.ok(kiln.memory().numTensors <= before, 'memory flat across predicts');
    assert.equal([...second], [...first], 'deterministic');
    x.dispose();
  } finally {
    model.dispose();
  }
  assert.ok(Object.values(model.params).every((v) => v.isDisposed));
});

t('two live models do not clash on variable names', () => {
  const a = mobilenetV1({ alpha: 0.25, resolution: 32, classes: 4 });
  const b = mobilenetV1({ alpha: 0.25, resolution: 32, classes: 4 });
  try {
    assert.is.not(a.params['MobilenetV1/Conv2d_0/weights'].name, b.params['MobilenetV1/Conv2d_0/weights'].name);
  } finally { a.dispose(); b.dispose(); }
});

/** CPU reference of predict: TF 'SAME' convs in float64 from the model's own weights. */
async function referencePredict(model: ReturnType<typeof mobilenetV1>, x: Float32Array, n: number): Promise<Float64Array> {
  let cur = Float64Array.from(x);
  let [h, w, c] = [model.resolution, model.resolution, 3];
  for (const l of model.layers) {
    if (l.kind === 'avgpool') {
      const o = new Float64Array(n * c);
      for (let b = 0; b < n; b++) for (let i = 0; i < h * w; i++) for (let k = 0; k < c; k++) o[b * c + k] += cur[(b * h * w + i) * c + k] / (h * w);
      cur = o; h = 1; w = 1; continue;
    }
    const f = await model.params[l.params[0]].data();
    const bias = await model.params[l.params[1]].data();
    const [kh, kw] = l.kernel, s = l.stride, co = l.channels.out, dw = l.kind === 'depthwise';
    const [oh, ow] = [Math.ceil(h / s), Math.ceil(w / s)];
    const pt = Math.floor(Math.max((oh - 1) * s + kh - h, 0) / 2), pl = Math.floor(Math.max((ow - 1) * s + kw - w, 0) / 2);
    const o = new Float64Array(n * oh * ow * co);
    for (let b = 0; b < n; b++) for (let y = 0; y < oh; y++) for (let xx = 0; xx < ow; xx++) for (let oc = 0; oc < co; oc++) {
      let acc = bias[oc];
      for (let i = 0; i < kh; i++) for (let j = 0; j < kw; j++) {
        const iy = y * s + i - pt, ix = xx * s + j - pl;
        if (iy < 0 || iy >= h || ix < 0 || ix >= w) continue;
        const base = ((b * h + iy) * w + ix) * c;
        if (dw) acc += cur[base + oc] * f[(i * kw + j) * c + oc];
        else for (let ic = 0; ic < c; ic++) acc += cur[base + ic] * f[((i * kw + j) * c + ic) * co + oc];
      }
      o[((b * oh + y) * ow + xx) * co + oc] = l.activation === 'relu6' ? Math.min(Math.max(acc, 0), 6) : acc;
    }
    cur = o; [h, w, c] = [oh, ow, co];
  }
  return cur;
}

t('forward matches a float64 CPU reference (alpha 0.25, 32x32, batch 2)', async () => {
  const model = mobilenetV1({ alpha: 0.25, resolution: 32, classes: 10, seed: 11 });
  const x = kiln.randomUniform([2, 32, 32, 3], -1, 1, 'float32', 5);
  try {
    const y = model.predict(x);
    const got = await y.data();
    y.dispose();
    const want = await referencePredict(model, await x.data() as Float32Array, 2);
    expectClose(got, want, { rtol: 1e-3, atol: 2e-5 }, 'logits');
  } finally { x.dispose(); model.dispose(); }
});

const cli = runCli;

t('kiln summary mobilenet_v1 prints a per-layer table and totals; --json the same data', async () => {
  const r = await cli('summary', 'mobilenet_v1', '--alpha', '0.75', '--resolution', '160');
  assert.is(r.code, 0, r.err);
  assert.match(r.out, /Conv2d_13_pointwise\s+pointwise\s+\[5, 5, 768\]\s+14,745,600\s+592,128/);
  assert.match(r.out, /Total: 166\.40 M MACs, 2\.59 M parameters/);
  const j = await cli('summary', 'mobilenet_v1', '--alpha', '0.75', '--resolution', '160', '--json');
  assert.is(j.code, 0, j.err);
  const d = JSON.parse(j.out);
  assert.is(d.macs, KILN['0.75/160'][0]);
  assert.is(d.params, KILN['0.75/160'][1]);
  assert.is(d.layers.length, 29);
  assert.is(d.layers.reduce((s: number, l: { macs: number }) => s + l.macs, 0), d.macs);
  assert.equal(d.layers[0].outputShape, [80, 80, 24]);
  const inf = await cli('summary', 'mobilenet_v1', '--params', 'inference');
  assert.match(inf.out, /Total: 568\.74 M MACs, 4\.22 M parameters/);
  const pool = await cli('summary', 'mobilenet_v1', '--alpha', '0.5', '--pool-macs', '--json');
  assert.is(JSON.parse(pool.out).macs, 149497600 + 7 * 7 * 512);
  assert.is((await cli('summary')).code, 2);
  assert.is((await cli('summary', 'resnet_9000')).code, 2);
  assert.is((await cli('summary', 'mobilenet_v1', '--params', 'x')).code, 2);
  assert.is((await cli('summary', 'mobilenet_v1', '--alpha', '-1')).code, 2);
  assert.match((await cli('help')).out, /summary MODEL/);
});

t('inference form: a depthwise-separable block is two dispatches (bias, folded BN and relu6 fused)', () => {
  const m = mobilenetV1({ alpha: 0.25, resolution: 32, classes: 10 });
  const x = kiln.zeros([1, 32, 32, 3]);
  const e = engine() as unknown as { recording: { program: { label: string } }[] | null };
  const rec: { program: { label: string } }[] = [];
  e.recording = rec;
  try {
    kiln.tidy(() => { m.predict(x); });
  } finally {
    e.recording = null;
    x.dispose();
    m.dispose();
  }
  // Conv2d_0, 13 x (depthwise, pointwise), the global pool, the logits (a 1x1 conv with bias)
  assert.equal(rec.map((r) => r.program.label), ['conv2d', ...Array(13).fill(['depthwiseConv2d', 'conv2d']).flat(), 'reduce_mean_cols', 'conv2d']);
});

t.run();
