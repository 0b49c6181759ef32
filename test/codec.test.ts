import './setup.ts';
import { suite } from 'uvu';
import { copyFileSync, mkdtempSync, mkdirSync, readFileSync, rmSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { kiln, assert, expectThrows } from './helpers.ts';
import { observeTensors } from '../src/tensor.ts';
import { CodecModel, specFor } from '../src/models/codec/model.ts';
import { trainCodec } from '../src/models/codec/train.ts';
import { codeImage, decodeRgru, fitBitRate } from '../src/models/codec/codec.ts';
import { PatchSampler, padToMultiple } from '../src/models/codec/data.ts';
import { interpolate, summarise, rdSvg, type ImageRd } from '../src/models/codec/eval.ts';
import { loadCodecModel, DEFAULT_CODEC_MODEL } from '../src/models/codec/store.ts';
import { bitsPerPixel, truncateIterations } from '../src/models/codec/bitstream.ts';
import { readImage, encodePng, type Rgb } from '../src/io/image.ts';
import { codecCli } from '../src/cli/codec.ts';

const t = suite('codec');
const TRAIN = join(import.meta.dirname, '../data/codec/train');
const TEST = join(import.meta.dirname, '../data/codec/test');

function crop(img: Rgb, x0: number, y0: number, w: number, h: number): Rgb {
  const data = new Uint8Array(w * h * 3);
  for (let y = 0; y < h; y++) data.set(img.data.subarray(((y0 + y) * img.width + x0) * 3, ((y0 + y) * img.width + x0 + w) * 3), y * w * 3);
  return { width: w, height: h, data };
}

const tinyOpts = (data: string, out: string) => ({ data, out, steps: 6, batch: 4, lr: 3e-3, seed: 5, spec: specFor('tiny', { iterations: 2 }), resume: false, checkpointEvery: 3 });

let tinyDir = '';
let tinyData = '';

t.before(() => {
  tinyDir = mkdtempSync(join(tmpdir(), 'kiln-codec-'));
  tinyData = join(tinyDir, 'photos');
  mkdirSync(tinyData);
  for (const f of ['baboon.png', 'fruits.png', 'hfs_000.png']) copyFileSync(join(TRAIN, f), join(tinyData, f));
});
t.after(() => rmSync(tinyDir, { recursive: true, force: true }));

t('codec model: bits of each iteration are +-1 on the 1/16 grid; the spec and image size are checked', async () => {
  const m = new CodecModel(specFor('tiny', { iterations: 2 }), 3);
  m.train(false);
  const st = m.initState(2, 32, 48);
  const x = kiln.randomUniform([2, 32, 48, 3], -0.5, 0.5, 'float32', 1);
  const b = m.encode(x, st);
  assert.equal([...b.shape], [2, 2, 3, 32]);
  assert.ok([...(await b.data())].every((v) => v === 1 || v === -1));
  const est = m.decode(b, st);
  assert.equal([...est.shape], [2, 32, 48, 3]);
  expectThrows(() => m.initState(1, 40, 32), /multiples of 16/, /pad/);
  expectThrows(() => new CodecModel({ ...specFor('tiny'), dec: [16, 16, 16, 16, 18] }), /divisible by 4/);
  expectThrows(() => new CodecModel({ ...specFor('tiny'), reconstruction: 'sum' as 'additive' }), /one-shot/);
  m.dispose();
});

t('patches: 32x32 crops in [0, 1], the same seed gives the same batch; padding repeats the edge', async () => {
  const imgs = [await readImage(join(tinyData, 'baboon.png'))];
  const s = new PatchSampler(imgs);
  const a = s.batch(3, 7), b = s.batch(3, 7), c = s.batch(3, 8);
  assert.equal(a.length, 3 * 32 * 32 * 3);
  assert.equal([...a], [...b]);
  assert.ok(a.some((v, i) => v !== c[i]));
  assert.ok(a.every((v) => v >= 0 && v <= 1));
  const p = padToMultiple({ width: 17, height: 3, data: Uint8Array.from({ length: 17 * 3 * 3 }, (_, i) => i % 256) }, 16);
  assert.equal([p.H, p.W], [16, 32]);
  // row 15 repeats row 2, column 31 repeats column 16
  assert.equal(p.data[(15 * 32 + 5) * 3], p.data[(2 * 32 + 5) * 3]);
  assert.equal(p.data[(1 * 32 + 31) * 3 + 2], p.data[(1 * 32 + 16) * 3 + 2]);
});

t('kiln codec train: the loss falls, the model round-trips through disk, and --resume continues to the same weights', async () => {
  const lines: string[] = [];
  const out = join(tinyDir, 'full');
  const { model, state } = await trainCodec({ ...tinyOpts(tinyData, out), steps: 12, log: (l) => lines.push(l) });
  assert.ok(lines.some((l) => /step 12\/12 loss [0-9.]+ L1 per iteration [0-9.]+ [0-9.]+ lr .* steps\/s ETA/.test(l)), lines.join('\n'));
  const first = state.history[0].loss, last = state.history[state.history.length - 1].loss;
  assert.ok(last < first, `loss ${first} -> ${last}`);
  const loaded = await loadCodecModel(out);
  const sd = model.stateDict(), ld = loaded.stateDict();
  for (const k of Object.keys(sd)) assert.equal([...(await ld[k].data())], [...(await sd[k].data())], k);
  loaded.dispose(); model.dispose();

  // interrupted after step 4 (the checkpoint of step 3 is on disk), then resumed
  const a = join(tinyDir, 'a'), b = join(tinyDir, 'b');
  const ref = await trainCodec({ ...tinyOpts(tinyData, a), log: () => {} });
  await trainCodec({ ...tinyOpts(tinyData, b), log: () => {}, onStep: (k) => { if (k === 4) throw new Error('interrupted'); } }).then(() => assert.unreachable('should be interrupted'), (e) => assert.match(String(e), /interrupted/));
  const resumedLines: string[] = [];
  const res = await trainCodec({ ...tinyOpts(tinyData, b), resume: true, log: (l) => resumedLines.push(l) });
  assert.ok(resumedLines.some((l) => /resuming after step 3 of 6/.test(l)), resumedLines.join('\n'));
  const rd = ref.model.stateDict(), sd2 = res.model.stateDict();
  for (const k of Object.keys(rd)) {
    const [x, y] = [await rd[k].data(), await sd2[k].data()];
    const diff = Math.max(...Array.from(x, (v, i) => Math.abs(v - y[i])));
    assert.ok(diff < 1e-5, `${k}: resumed weights differ by ${diff}`);
  }
  ref.model.dispose(); res.model.dispose();
});

t('codec: any image size; every prefix of the file decodes to the encoder\'s reconstruction exactly; bpp fitting', async () => {
  const m = await loadCodecModel(join(tinyDir, 'full'));
  const img = crop(await readImage(join(TEST, 'chelsea.png')), 100, 50, 53, 37);
  const coded = await codeImage(m, img, { iterations: 3 });
  assert.equal(coded.geometry, { width: 53, height: 37, gridH: 3, gridW: 4, bitsPerPos: 32 });
  for (let k = 1; k <= 3; k++) {
    const d = await decodeRgru(m, coded.bytes, { maxIterations: k });
    assert.equal([d.image.width, d.image.height, d.iterations], [53, 37, k]);
    assert.ok(d.image.data.every((v, i) => v === coded.recon[k - 1].data[i]), `prefix ${k}`);
    const t2 = await decodeRgru(m, truncateIterations(coded.bytes, k));
    assert.ok(t2.image.data.every((v, i) => v === d.image.data[i]));
  }
  const sizes = [1, 2, 3].map((k) => bitsPerPixel(truncateIterations(coded.bytes, k), 53, 37));
  const fit = fitBitRate(coded.bytes, (sizes[1] + sizes[2]) / 2, 53, 37);
  assert.equal(fit.iterations, 2);
  assert.equal(fitBitRate(coded.bytes, sizes[0] / 2, 53, 37).iterations, 1);
  // 1x1 image; coding and decoding leave no tensor behind
  const { result: len, leaked } = await observeTensors(async () => {
    const one = await codeImage(m, { width: 1, height: 1, data: Uint8Array.of(10, 200, 30) }, { iterations: 2 });
    return (await decodeRgru(m, one.bytes)).image.data.length;
  });
  assert.equal(len, 3);
  assert.is(leaked.length, 0, leaked.map(String).join(', '));
  m.dispose();
});

t('kiln codec encode / decode: files, --bpp, and clear errors for corrupt, truncated and foreign files', async () => {
  const model = join(tinyDir, 'full');
  const src = join(tinyDir, 'in.png');
  writeFileSync(src, await encodePng(crop(await readImage(join(TEST, 'coffee.png')), 0, 0, 70, 40)));
  const out: string[] = [], err: string[] = [];
  const io = { write: (s: string) => out.push(s), error: (s: string) => err.push(s) };
  const rgru = join(tinyDir, 'x.rgru');
  assert.equal(await codecCli(['encode', src, '--model', model, '--iterations', '2', '-o', rgru], io), 0, err.join(''));
  assert.match(out.join(''), /70x40, 2 iterations, \d+ bytes, [0-9.]+ bpp/);
  const png = join(tinyDir, 'out.png');
  assert.equal(await codecCli(['decode', rgru, '--model', model, '-o', png], io), 0, err.join(''));
  const dec = await readImage(png);
  assert.equal([dec.width, dec.height], [70, 40]);
  // --bpp below one iteration keeps one and says so
  assert.equal(await codecCli(['encode', src, '--model', model, '--bpp', '0.001', '-o', rgru], io), 0, err.join(''));
  assert.match(out.join(''), /one iteration already takes/);

  const bytes = readFileSync(rgru);
  const bad = Uint8Array.from(bytes); bad[bad.length - 2] ^= 0x40;
  writeFileSync(join(tinyDir, 'bad.rgru'), bad);
  writeFileSync(join(tinyDir, 'short.rgru'), bytes.subarray(0, bytes.length - 3));
  for (const [file, pattern] of [['bad.rgru', /checksum/], ['short.rgru', /truncated/i], ['in.png', /not a kiln Residual-GRU file/]] as const) {
    err.length = 0;
    assert.equal(await codecCli(['decode', join(tinyDir, file), '--model', model, '-o', png], io), 1, file);
    assert.match(err.join(''), pattern);
  }
  err.length = 0;
  assert.equal(await codecCli(['encode', join(tinyDir, 'missing.png'), '--model', model, '-o', rgru], io), 1);
  assert.match(err.join(''), /cannot read .*missing\.png/);
  assert.equal(await codecCli(['encode', src, '--bpp', '0.2', '--iterations', '2', '--model', model, '-o', rgru], io), 1);
  assert.equal(await codecCli(['decode', rgru, '--model', join(tinyDir, 'nomodel'), '-o', png], io), 1);
  assert.match(err.join(''), /no model at/);
  assert.equal(await codecCli(['train', '--steps', '2'], io), 1);
  assert.match(err.join(''), /--out DIR is required/);
});

t('codec eval: interpolation along a curve, rates out of reach, the mean table and the plot', () => {
  const curve = [{ bpp: 0.1, psnr: 20, msssim: 0.8 }, { bpp: 0.3, psnr: 24, msssim: 0.9 }];
  assert.equal(interpolate(curve, 0.2, 'psnr'), 22);
  assert.ok(Math.abs(interpolate(curve, 0.15, 'msssim')! - 0.825) < 1e-12);
  assert.equal(interpolate(curve, 0.3, 'msssim'), 0.9);
  assert.equal(interpolate(curve, 0.05, 'psnr'), null);
  assert.equal(interpolate(curve, 0.31, 'psnr'), null);
  const rows: ImageRd[] = [
    { name: 'a', width: 1, height: 1, kiln: curve, jpeg: [{ bpp: 0.28, psnr: 21, msssim: 0.7 }, { bpp: 0.5, psnr: 25, msssim: 0.9 }], encodeSec: 0, decodeSec: 0 },
    { name: 'b', width: 1, height: 1, kiln: [{ bpp: 0.2, psnr: 22, msssim: 0.84 }, { bpp: 0.4, psnr: 26, msssim: 0.92 }], jpeg: [{ bpp: 0.2, psnr: 20, msssim: 0.6 }, { bpp: 0.3, psnr: 22, msssim: 0.7 }], encodeSec: 0, decodeSec: 0 },
  ];
  const s = summarise(rows, [0.25]);
  assert.equal(s[0].kiln.images, 2);
  assert.ok(Math.abs(s[0].kiln.msssim! - (0.875 + 0.86) / 2) < 1e-12);
  assert.equal(s[0].jpeg.images, 1); // a's JPEG starts at 0.28
  assert.ok(Math.abs(s[0].jpeg.msssim! - 0.65) < 1e-12);
  const svg = rdSvg(rows);
  assert.match(svg, /^<svg/);
  assert.is((svg.match(/stroke-width="2\.5" points=/g) ?? []).length, 4); // kiln's and JPEG's mean curves, two panels
});

t('the shipped codec: more iterations, better images; a 16x16-multiple photo keeps its size', async () => {
  if (!existsSync(join(DEFAULT_CODEC_MODEL, 'config.json'))) assert.unreachable('models/codec is missing: train it with kiln codec train --out models/codec');
  const m = await loadCodecModel();
  const img = crop(await readImage(join(TEST, 'astronaut.png')), 160, 96, 192, 176);
  const coded = await codeImage(m, img);
  const err = coded.recon.map((r) => r.data.reduce((s, v, i) => s + Math.abs(v - img.data[i]), 0) / r.data.length);
  for (let i = 1; i < err.length; i++) assert.ok(err[i] < err[i - 1], `mean |error| per iteration ${err.map((e) => e.toFixed(2)).join(' ')}`);
  assert.ok(err[1] < 20, `two iterations (0.25 bpp raw) leave a mean error of ${err[1].toFixed(1)} / 255`);
  m.dispose();
});

t.run();
