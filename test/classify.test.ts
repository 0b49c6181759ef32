import './setup.ts';
import { suite } from 'uvu';
import { createRequire } from 'node:module';
import { mkdtempSync, writeFileSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pngjs from 'pngjs';
import jpeg from 'jpeg-js';
import { kiln, assert, runCli, randArray } from './helpers.ts';
import { resizeBilinearCpu, decodeImage, NSFW_CLASSES } from '../src/cli/classify.ts';

const t = suite('classify');
const require = createRequire(import.meta.url);
const dir = mkdtempSync(join(tmpdir(), 'kiln-classify-'));

/** A W x H RGBA test picture: colour gradients, a ring and checks (deterministic). */
function picture(w: number, h: number): Buffer {
  const d = Buffer.alloc(w * h * 4);
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      const i = 4 * (y * w + x);
      const r = Math.hypot(x - w * 0.4, y - h * 0.5) / Math.min(w, h);
      const ring = r > 0.2 && r < 0.3 ? 1 : 0;
      const check = ((x >> 4) + (y >> 4)) & 1;
      d[i] = Math.round(255 * (0.2 + 0.6 * (x / w)) * (1 - 0.5 * ring));
      d[i + 1] = Math.round(200 * (y / h) + 40 * check);
      d[i + 2] = Math.round(255 * ring * 0.8 + 30);
      d[i + 3] = 255;
    }
  }
  return d;
}

t('resizeBilinearCpu and kiln.resizeBilinear equal tf.image.resizeBilinear (align corners, half-pixel centres, neither; up and down)', async () => {
  const tf = await import('@tensorflow/tfjs-core');
  await import('@tensorflow/tfjs-backend-cpu');
  await tf.setBackend('cpu');
  const [H, W, C] = [13, 17, 3];
  const src = randArray(H * W * C, 3);
  for (const [nh, nw] of [[5, 29], [1, 3], [17, 1], [129, 7]]) {
    for (const [ac, hp] of [[false, false], [true, false], [false, true]]) {
      const want = await tf.image.resizeBilinear(tf.tensor3d(src, [H, W, C]), [nh, nw], ac, hp).data();
      const got = resizeBilinearCpu(src, H, W, C, nh, nw, ac, hp);
      let err = 0;
      for (let i = 0; i < got.length; i++) err = Math.max(err, Math.abs(got[i] - want[i]));
      assert.ok(err <= 1e-6, `${nh}x${nw} alignCorners ${ac} halfPixel ${hp}: max err ${err}`);
      assert.is(got.length, want.length);
      // kiln's GPU op (kiln.resizeBilinear) against tfjs too
      const g = kiln.tidy(() => kiln.resizeBilinear(kiln.tensor(src, [1, H, W, C]), [nh, nw], ac, hp));
      const gd = await g.data();
      g.dispose();
      let gerr = 0;
      for (let i = 0; i < gd.length; i++) gerr = Math.max(gerr, Math.abs(gd[i] - want[i]));
      assert.ok(gerr <= 1e-6, `kiln.resizeBilinear ${nh}x${nw} alignCorners ${ac} halfPixel ${hp}: max err ${gerr}`);
    }
  }
});

t('kiln classify PNG --json: same probabilities as nsfwjs\'s pipeline in tfjs-cpu (fromPixels, /255, resizeBilinear alignCorners, predict)', async () => {
  const [w, h] = [300, 200];
  const png = new pngjs.PNG({ width: w, height: h });
  picture(w, h).copy(png.data);
  const file = join(dir, 'pic.png');
  writeFileSync(file, pngjs.PNG.sync.write(png));
  const r = await runCli('classify', file, '--json', '--top', '3');
  assert.is(r.code, 0, r.err);
  const out = JSON.parse(r.out);
  assert.is(out.model, 'nsfwjs');
  assert.equal([out.width, out.height], [w, h]);
  assert.is(out.predictions.length, 3);
  // the reference: nsfwjs's infer() steps with tfjs
  const tf = await import('@tensorflow/tfjs-core');
  await import('@tensorflow/tfjs-backend-cpu');
  const tfl = await import('@tensorflow/tfjs-layers');
  await tf.setBackend('cpu');
  const NSFW = join(process.cwd(), 'node_modules/nsfwjs/dist/models/mobilenet_v2');
  const mj = require(join(NSFW, 'model.min.js'));
  const wb = Buffer.from(require(join(NSFW, 'group1-shard1of1.min.js')) as string, 'base64');
  const model = await tfl.loadLayersModel(tf.io.fromMemory({ modelTopology: mj.modelTopology, weightSpecs: mj.weightsManifest[0].weights, weightData: wb.buffer.slice(wb.byteOffset, wb.byteOffset + wb.byteLength) as ArrayBuffer }));
  const dec = pngjs.PNG.sync.read(readFileSync(file));
  const rgb = new Int32Array(w * h * 3);
  for (let i = 0; i < w * h; i++) for (let c = 0; c < 3; c++) rgb[3 * i + c] = dec.data[4 * i + c];
  const probs = tf.tidy(() => {
    const img = tf.tensor3d(rgb, [h, w, 3], 'int32');
    const x = tf.reshape(tf.image.resizeBilinear(tf.div(tf.cast(img, 'float32'), tf.scalar(255)) as import('@tensorflow/tfjs-core').Tensor3D, [224, 224], true), [1, 224, 224, 3]);
    return model.predict(x) as import('@tensorflow/tfjs-core').Tensor;
  });
  const p = await probs.data();
  const ref = Array.from(p, (probability, i) => ({ className: NSFW_CLASSES[i], probability })).sort((a, b) => b.probability - a.probability).slice(0, 3);
  assert.equal(out.predictions.map((q: { className: string }) => q.className), ref.map((q) => q.className));
  for (let i = 0; i < 3; i++) assert.ok(Math.abs(out.predictions[i].probability - ref[i].probability) <= 1e-4, `${ref[i].className}: ${out.predictions[i].probability} vs tfjs ${ref[i].probability}`);
  probs.dispose();
  model.dispose();
});

t('kiln classify JPEG: text output, all 5 nsfwjs classes by default, probabilities sum to 1', async () => {
  const [w, h] = [224, 224]; // no resize on this path
  const file = join(dir, 'pic.jpg');
  writeFileSync(file, jpeg.encode({ width: w, height: h, data: picture(w, h) }, 95).data);
  const dec = await decodeImage(new Uint8Array(readFileSync(file)), file);
  assert.equal([dec.width, dec.height, dec.data.length], [w, h, w * h * 3]);
  const r = await runCli('classify', file);
  assert.is(r.code, 0, r.err);
  const lines = r.out.split('\n');
  assert.match(lines[0], /pic\.jpg \(224x224\), nsfwjs@4\.4\.0 MobileNetV2/);
  const rows = lines.slice(1).map((l) => /^\s+(\w+)\s+(\d\.\d{4})$/.exec(l)!);
  assert.is(rows.length, 5);
  assert.ok(rows.every(Boolean), r.out);
  assert.equal(rows.map((m) => m[1]).sort(), [...NSFW_CLASSES].sort());
  const ps = rows.map((m) => Number(m[2]));
  assert.ok(ps.every((v, i) => i === 0 || v <= ps[i - 1]), 'sorted');
  assert.ok(Math.abs(ps.reduce((a, b) => a + b, 0) - 1) < 5e-4);
});

t('kiln classify errors: missing file, unsupported format, corrupt PNG, unknown model, bad options', async () => {
  let r = await runCli('classify', join(dir, 'nope.png'));
  assert.is(r.code, 1);
  assert.match(r.err, /nope\.png: no such file/);
  const gif = join(dir, 'x.gif');
  writeFileSync(gif, Buffer.from('GIF89a\x01\x00\x01\x00', 'latin1'));
  r = await runCli('classify', gif);
  assert.is(r.code, 1);
  assert.match(r.err, /unsupported image format .*47 49 46 38.*PNG, JPEG and binary PPM/);
  const bad = join(dir, 'bad.png');
  writeFileSync(bad, Buffer.concat([Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]), Buffer.alloc(20, 7)]));
  r = await runCli('classify', bad);
  assert.is(r.code, 1);
  assert.match(r.err, /bad\.png: not a readable PNG/);
  r = await runCli('classify', gif, '--model', 'resnet');
  assert.is(r.code, 2);
  assert.match(r.err, /unknown model "resnet"; available: nsfwjs/);
  r = await runCli('classify', gif, '--top', '0');
  assert.is(r.code, 2);
  assert.match(r.err, /--top must be a positive integer/);
  r = await runCli('classify');
  assert.is(r.code, 2);
  assert.match(r.err, /no image given/);
  r = await runCli('classify', 'a.png', '--bogus');
  assert.is(r.code, 2);
  assert.match(r.err, /unknown option --bogus/);
});

t.run();
