// `kiln classify IMAGE [--model nsfwjs] [--top K] [--json]`: top-k classes of a PNG or JPEG image
// with a pretrained TensorFlow.js network imported into kiln (src/io/tfjs).
//
// Preprocessing is nsfwjs's own (dist/esm/core.js, NSFWJS.infer): RGB bytes (alpha dropped, as
// tf.browser.fromPixels does) -> float / 255 -> tf.image.resizeBilinear to 224x224 with
// alignCorners = true when the image is not already 224x224 -> [1, 224, 224, 3]. The resize runs on
// the CPU here (resizeBilinearCpu: tfjs's sampling rule, float64 arithmetic, float32 output): one
// image per run, and it keeps the decoded pixels off the GPU until the network needs them.
import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import * as kiln from '../index.ts';

export interface ClassifierSpec {
  /** what --model takes */
  name: string;
  description: string;
  /** the model.json (or JS wrapper) inside an npm package */
  pkg: string;
  file: string;
  classes: readonly string[];
  size: number;
}

/** nsfwjs's class names, index order (nsfwjs/dist/esm/nsfw_classes.js). */
export const NSFW_CLASSES = ['Drawing', 'Hentai', 'Neutral', 'Porn', 'Sexy'] as const;

export const CLASSIFIERS: Record<string, ClassifierSpec> = {
  nsfwjs: {
    name: 'nsfwjs', description: 'nsfwjs@4.4.0 MobileNetV2 (224x224, 5 classes)', pkg: 'nsfwjs',
    file: 'dist/models/mobilenet_v2/model.min.js', classes: NSFW_CLASSES, size: 224,
  },
};

export { decodeImage, type Rgb } from '../io/image.ts';
import { decodeImage, type Rgb } from '../io/image.ts';

/**
 * tf.image.resizeBilinear on the CPU, one HWC image: output pixel (r, c) samples the source at
 * (r * sh, c * sw) with sh = (H-1)/(newH-1) when alignCorners (and newH > 1), else H/newH; with
 * halfPixelCenters at ((r + 0.5) * sh - 0.5), clamped at 0. Interpolation as tfjs: along x first, then y.
 */
export function resizeBilinearCpu(src: ArrayLike<number>, H: number, W: number, C: number, newH: number, newW: number, alignCorners = false, halfPixelCenters = false): Float32Array {
  const out = new Float32Array(newH * newW * C);
  const scale = (inp: number, o: number) => (alignCorners && o > 1 ? (inp - 1) / (o - 1) : inp / o);
  const sh = scale(H, newH), sw = scale(W, newW);
  const frac = (i: number, s: number) => (halfPixelCenters ? Math.max(0, (i + 0.5) * s - 0.5) : i * s);
  for (let r = 0; r < newH; r++) {
    const fy = frac(r, sh);
    const y0 = Math.max(0, Math.floor(fy)), y1 = Math.min(H - 1, Math.ceil(fy));
    const dy = fy - y0;
    for (let c = 0; c < newW; c++) {
      const fx = frac(c, sw);
      const x0 = Math.max(0, Math.floor(fx)), x1 = Math.min(W - 1, Math.ceil(fx));
      const dx = fx - x0;
      const o = (r * newW + c) * C;
      for (let k = 0; k < C; k++) {
        const tl = src[(y0 * W + x0) * C + k], tr = src[(y0 * W + x1) * C + k];
        const bl = src[(y1 * W + x0) * C + k], br = src[(y1 * W + x1) * C + k];
        const top = tl + (tr - tl) * dx;
        const bot = bl + (br - bl) * dx;
        out[o + k] = top + (bot - top) * dy;
      }
    }
  }
  return out;
}

/** nsfwjs's input for an RGB image: /255, then resized with alignCorners when not size x size. */
export function nsfwjsInput(img: Rgb, size: number): Float32Array {
  const f = new Float32Array(img.data.length);
  for (let i = 0; i < f.length; i++) f[i] = img.data[i] / 255;
  if (img.height === size && img.width === size) return f;
  return resizeBilinearCpu(f, img.height, img.width, 3, size, size, true, false);
}

/** Where an npm package's file is; a clear error when the package is not installed. */
export function packageFile(pkg: string, file: string): string {
  const req = createRequire(import.meta.url);
  let entry: string;
  try { entry = req.resolve(pkg); } catch {
    throw new Error(`the model files come from the npm package ${pkg}, which is not installed (npm install --save-dev ${pkg})`);
  }
  const marker = `/node_modules/${pkg}/`;
  const i = entry.replace(/\\/g, '/').lastIndexOf(marker);
  const root = i >= 0 ? entry.slice(0, i + marker.length) : dirname(entry);
  return join(root, file);
}

export interface Prediction { className: string; probability: number }

/** Classifies one image file; returns all classes sorted by probability. */
export async function classifyFile(path: string, spec: ClassifierSpec): Promise<{ width: number; height: number; predictions: Prediction[] }> {
  let bytes: Uint8Array;
  try { bytes = new Uint8Array(await readFile(path)); } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new Error(code === 'ENOENT' ? `${path}: no such file` : code === 'EISDIR' ? `${path}: is a directory, not an image` : `${path}: cannot read: ${(e as Error).message}`);
  }
  const img = await decodeImage(bytes, path);
  await kiln.ready();
  const model = await kiln.loadTfjsModel({ modelJson: packageFile(spec.pkg, spec.file) });
  try {
    const input = nsfwjsInput(img, spec.size);
    const x = kiln.tensor(input, [1, spec.size, spec.size, 3]);
    const y = model.predict(x);
    const p = await y.data();
    kiln.dispose([x, y]);
    if (p.length !== spec.classes.length) throw new Error(`${spec.name}: the model has ${p.length} outputs but ${spec.classes.length} class names`);
    const predictions = Array.from(p, (probability, i) => ({ className: spec.classes[i], probability })).sort((a, b) => b.probability - a.probability);
    return { width: img.width, height: img.height, predictions };
  } finally {
    model.dispose();
  }
}

const USAGE = 'usage: kiln classify IMAGE [--model nsfwjs] [--top K] [--json]';

/** `kiln classify`: 0 on success, 1 when the image or model cannot be read, 2 on a usage error. */
export async function classifyCli(argv: string[]): Promise<number> {
  let image: string | undefined;
  let modelName = 'nsfwjs';
  let top = 5;
  let json = false;
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const value = () => {
      const v = argv[++i];
      if (v === undefined) throw new Error(`${a} needs a value`);
      return v;
    };
    try {
      if (a === '--json') json = true;
      else if (a === '--model') modelName = value();
      else if (a === '--top' || a === '-k') {
        const v = value();
        top = Number(v);
        if (!Number.isInteger(top) || top < 1) throw new Error(`--top must be a positive integer, got ${JSON.stringify(v)}`);
      } else if (a === '--help' || a === '-h') { console.log(`${USAGE}\nmodels: ${Object.values(CLASSIFIERS).map((c) => `${c.name}: ${c.description}`).join('; ')}`); return 0; }
      else if (a.startsWith('-')) throw new Error(`unknown option ${a}`);
      else if (image === undefined) image = a;
      else throw new Error(`one image at a time (got ${image} and ${a})`);
    } catch (e) {
      console.error(`kiln classify: ${(e as Error).message}\n${USAGE}`);
      return 2;
    }
  }
  if (image === undefined) { console.error(`kiln classify: no image given\n${USAGE}`); return 2; }
  const spec = CLASSIFIERS[modelName];
  if (!spec) {
    console.error(`kiln classify: unknown model ${JSON.stringify(modelName)}; available: ${Object.keys(CLASSIFIERS).join(', ')}`);
    return 2;
  }
  try {
    const r = await classifyFile(image, spec);
    const k = Math.min(top, r.predictions.length);
    const best = r.predictions.slice(0, k);
    if (json) {
      console.log(JSON.stringify({ image, model: spec.name, width: r.width, height: r.height, predictions: best }, null, 2));
    } else {
      console.log(`${image} (${r.width}x${r.height}), ${spec.description}:`);
      const w = Math.max(...best.map((p) => p.className.length));
      for (const p of best) console.log(`  ${p.className.padEnd(w)}  ${p.probability.toFixed(4)}`);
    }
    return 0;
  } catch (e) {
    console.error(`kiln classify: ${(e as Error).message}`);
    return 1;
  }
}
