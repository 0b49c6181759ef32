// Image files <-> RGB bytes: PNG (pngjs), JPEG (jpeg-js) and binary PPM (P6, 8 or 16 bits; read
// here, written by encodePpm), told apart by their signatures. Alpha is dropped (as tf.browser.fromPixels does).
// Node only (pngjs needs Buffer).

export interface Rgb { width: number; height: number; data: Uint8Array } // data: RGB, row-major

async function importCodec<T>(pkg: string, load: () => Promise<T>): Promise<T> {
  try { return await load(); } catch {
    throw new Error(`reading or writing this image needs the npm package ${pkg}, which is not installed (npm install ${pkg})`);
  }
}

function hex(bytes: Uint8Array): string { return Array.from(bytes.subarray(0, 4), (b) => b.toString(16).padStart(2, '0')).join(' '); }

function decodePpm(bytes: Uint8Array, name: string): Rgb {
  // P6 <ws> width <ws> height <ws> maxval <one ws> data; '#' comments in the header
  let at = 2;
  const field = (): number => {
    for (;;) {
      while (at < bytes.length && /\s/.test(String.fromCharCode(bytes[at]))) at++;
      if (bytes[at] === 0x23) { while (at < bytes.length && bytes[at] !== 0x0a) at++; continue; }
      break;
    }
    let s = '';
    while (at < bytes.length && bytes[at] >= 0x30 && bytes[at] <= 0x39) s += String.fromCharCode(bytes[at++]);
    if (!s) throw new Error(`${name}: not a readable PPM: bad header near byte ${at}`);
    return +s;
  };
  const w = field(), h = field(), max = field();
  at++;
  if (!(w >= 1 && h >= 1)) throw new Error(`${name}: the image is empty (${w}x${h})`);
  if (!(max >= 1 && max <= 65535)) throw new Error(`${name}: not a readable PPM: maxval ${max} must be 1..65535`);
  const bpc = max > 255 ? 2 : 1;
  const need = w * h * 3 * bpc;
  if (bytes.length - at < need) throw new Error(`${name}: truncated PPM: ${w}x${h} needs ${need} bytes of pixels, the file has ${bytes.length - at}`);
  const data = new Uint8Array(w * h * 3);
  for (let i = 0; i < w * h * 3; i++) {
    const v = bpc === 2 ? (bytes[at + 2 * i] << 8) | bytes[at + 2 * i + 1] : bytes[at + i];
    data[i] = Math.round((v * 255) / max);
  }
  return { width: w, height: h, data };
}

/** Decodes PNG, JPEG or binary PPM bytes (by their signature) to RGB. `name` goes into errors. */
export async function decodeImage(bytes: Uint8Array, name: string): Promise<Rgb> {
  const isPng = bytes.length > 8 && bytes[0] === 0x89 && bytes[1] === 0x50 && bytes[2] === 0x4e && bytes[3] === 0x47;
  const isJpeg = bytes.length > 3 && bytes[0] === 0xff && bytes[1] === 0xd8 && bytes[2] === 0xff;
  const isPpm = bytes.length > 2 && bytes[0] === 0x50 && bytes[1] === 0x36;
  let w: number, h: number, rgba: Uint8Array;
  if (isPpm) return decodePpm(bytes, name);
  if (isPng) {
    const { PNG } = (await importCodec('pngjs', () => import('pngjs'))).default;
    let png;
    try { png = PNG.sync.read(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength)); } catch (e) { throw new Error(`${name}: not a readable PNG: ${(e as Error).message}`); }
    [w, h, rgba] = [png.width, png.height, new Uint8Array(png.data.buffer, png.data.byteOffset, png.data.byteLength)];
  } else if (isJpeg) {
    const jpeg = (await importCodec('jpeg-js', () => import('jpeg-js'))).default;
    let img;
    try { img = jpeg.decode(bytes, { useTArray: true, formatAsRGBA: true, maxMemoryUsageInMB: 1024 }); } catch (e) { throw new Error(`${name}: not a readable JPEG: ${(e as Error).message}`); }
    [w, h, rgba] = [img.width, img.height, img.data];
  } else {
    throw new Error(`${name}: unsupported image format (the file starts with ${hex(bytes)}); kiln reads PNG, JPEG and binary PPM (P6)`);
  }
  if (!w || !h) throw new Error(`${name}: the image is empty (${w}x${h})`);
  const data = new Uint8Array(w * h * 3);
  for (let i = 0, j = 0; i < w * h; i++, j += 4) {
    data[3 * i] = rgba[j];
    data[3 * i + 1] = rgba[j + 1];
    data[3 * i + 2] = rgba[j + 2];
  }
  return { width: w, height: h, data };
}

function rgba(img: Rgb): Uint8Array {
  const out = new Uint8Array(img.width * img.height * 4);
  for (let i = 0; i < img.width * img.height; i++) {
    out[4 * i] = img.data[3 * i]; out[4 * i + 1] = img.data[3 * i + 1]; out[4 * i + 2] = img.data[3 * i + 2]; out[4 * i + 3] = 255;
  }
  return out;
}

/** RGB -> binary PPM (P6, 8 bits). */
export function encodePpm(img: Rgb): Uint8Array {
  const head = new TextEncoder().encode(`P6\n${img.width} ${img.height}\n255\n`);
  const out = new Uint8Array(head.length + img.data.length);
  out.set(head);
  out.set(img.data, head.length);
  return out;
}

/** RGB -> PNG bytes (8-bit RGB, no alpha). */
export async function encodePng(img: Rgb): Promise<Uint8Array> {
  const { PNG } = (await importCodec('pngjs', () => import('pngjs'))).default;
  const png = new PNG({ width: img.width, height: img.height });
  png.data = Buffer.from(rgba(img));
  return new Uint8Array(PNG.sync.write(png, { colorType: 2 }));
}

/** RGB -> baseline JPEG bytes at `quality` (1-100) with jpeg-js (4:4:4: jpeg-js does not subsample chroma). */
export async function encodeJpeg(img: Rgb, quality: number): Promise<Uint8Array> {
  const jpeg = (await importCodec('jpeg-js', () => import('jpeg-js'))).default;
  return new Uint8Array(jpeg.encode({ width: img.width, height: img.height, data: rgba(img) }, quality).data);
}

/** Reads an image file (PNG, JPEG, PPM) to RGB. */
export async function readImage(path: string): Promise<Rgb> {
  const { readFile } = await import('node:fs/promises');
  let bytes: Uint8Array;
  try { bytes = new Uint8Array(await readFile(path)); } catch (e) { throw new Error(`cannot read ${path}: ${(e as Error).message}`); }
  return decodeImage(bytes, path);
}

/** Writes RGB as PNG, or as JPEG (quality 95) when the path ends in .jpg / .jpeg. */
export async function writeImage(path: string, img: Rgb): Promise<void> {
  const { writeFile } = await import('node:fs/promises');
  const bytes = /\.jpe?g$/i.test(path) ? await encodeJpeg(img, 95) : await encodePng(img);
  await writeFile(path, bytes);
}
