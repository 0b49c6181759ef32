// Images for the codec: the photographs in data/codec (scripts/build-codec-data.ts), random 32x32
// training patches with flips, and padding any image to the network's multiple of 16.
import { readdirSync } from 'node:fs';
import { basename, join } from 'node:path';
import { readImage, type Rgb } from '../../io/image.ts';
import { rng } from '../../util/numeric.ts';
import { REPO_ROOT } from '../root.ts';

export const CODEC_DATA = join(REPO_ROOT, 'data/codec');
export const PATCH = 32;

const IMAGE_EXT = /\.(png|jpe?g|ppm|pnm)$/i;

/** The image files of a folder, sorted by name (PNG, JPEG, PPM). */
export function imageFiles(dir: string): string[] {
  let names: string[];
  try { names = readdirSync(dir); } catch (e) { throw new Error(`kiln codec: cannot read the image folder ${dir}: ${(e as Error).message}`); }
  const files = names.filter((n) => IMAGE_EXT.test(n)).sort().map((n) => join(dir, n));
  if (!files.length) throw new Error(`kiln codec: ${dir} has no PNG, JPEG or PPM images`);
  return files;
}

export async function readImages(dir: string): Promise<{ name: string; img: Rgb }[]> {
  const out = [];
  for (const f of imageFiles(dir)) out.push({ name: basename(f), img: await readImage(f) });
  return out;
}

/** Draws batches of PATCH x PATCH crops (random position, random horizontal/vertical flip) as floats in [0, 1], NHWC. */
export class PatchSampler {
  private readonly imgs: Rgb[];
  private readonly weights: number[];
  constructor(imgs: Rgb[], readonly patch = PATCH) {
    this.imgs = imgs.filter((im) => im.width >= patch && im.height >= patch);
    if (!this.imgs.length) throw new Error(`kiln codec train: no training image is at least ${patch}x${patch}`);
    // images are drawn in proportion to the number of patch positions they hold
    let s = 0;
    this.weights = this.imgs.map((im) => (s += (im.width - patch + 1) * (im.height - patch + 1)));
  }

  get images(): number { return this.imgs.length; }

  batch(n: number, seed: number): Float32Array {
    const r = rng(seed);
    const P = this.patch;
    const out = new Float32Array(n * P * P * 3);
    const total = this.weights[this.weights.length - 1];
    for (let b = 0; b < n; b++) {
      const u = r() * total;
      let k = 0;
      while (this.weights[k] <= u) k++;
      const im = this.imgs[k];
      const x0 = Math.floor(r() * (im.width - P + 1)), y0 = Math.floor(r() * (im.height - P + 1));
      const fx = r() < 0.5, fy = r() < 0.5;
      for (let y = 0; y < P; y++) for (let x = 0; x < P; x++) {
        const sy = y0 + (fy ? P - 1 - y : y), sx = x0 + (fx ? P - 1 - x : x);
        const si = (sy * im.width + sx) * 3, di = ((b * P + y) * P + x) * 3;
        out[di] = im.data[si] / 255; out[di + 1] = im.data[si + 1] / 255; out[di + 2] = im.data[si + 2] / 255;
      }
    }
    return out;
  }
}

/** RGB bytes -> floats in [0, 1], padded to multiples of `m` by repeating the edge pixels; [Hp, Wp, 3]. */
export function padToMultiple(img: Rgb, m = 16): { data: Float32Array; H: number; W: number } {
  const H = Math.ceil(img.height / m) * m, W = Math.ceil(img.width / m) * m;
  const data = new Float32Array(H * W * 3);
  for (let y = 0; y < H; y++) {
    const sy = Math.min(y, img.height - 1);
    for (let x = 0; x < W; x++) {
      const sx = Math.min(x, img.width - 1);
      const si = (sy * img.width + sx) * 3, di = (y * W + x) * 3;
      data[di] = img.data[si] / 255; data[di + 1] = img.data[si + 1] / 255; data[di + 2] = img.data[si + 2] / 255;
    }
  }
  return { data, H, W };
}

/** Floats [Hp, Wp, 3] (x^ in [0, 1], clamped) cropped back to width x height, rounded to bytes. */
export function cropToRgb(data: ArrayLike<number>, W: number, width: number, height: number): Rgb {
  const out = new Uint8Array(width * height * 3);
  for (let y = 0; y < height; y++) for (let x = 0; x < width; x++) for (let c = 0; c < 3; c++) {
    const v = data[(y * W + x) * 3 + c];
    out[(y * width + x) * 3 + c] = Math.max(0, Math.min(255, Math.round(v * 255)));
  }
  return { width, height, data: out };
}
