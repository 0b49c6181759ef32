// The Residual-GRU image codec, as a library user calls it: the shipped model (models/codec)
// codes a photo once, and the same bitstream gives a coarser or finer image depending on how many
// of its iterations a reader decodes. Each prefix is scored with PSNR and MS-SSIM on the GPU,
// next to JPEG (jpeg-js) at its lowest quality.
//   node --import tsx examples/codec.ts [photo.png] [out.png]
import { join } from 'node:path';
import { readImage, writeImage, encodeJpeg, decodeImage } from '../src/io/image.ts';
import { loadCodecModel } from '../src/models/codec/store.ts';
import { codeImage, decodeRgru } from '../src/models/codec/codec.ts';
import { truncateIterations, bitsPerPixel } from '../src/models/codec/bitstream.ts';
import { quality } from '../src/models/codec/eval.ts';
import { CODEC_DATA } from '../src/models/codec/data.ts';

export interface CodecExampleRow { iterations: number; bpp: number; psnr: number; msssim: number }

export async function codecExample(file = join(CODEC_DATA, 'test/astronaut.png'), out?: string, log: (...m: unknown[]) => void = console.log): Promise<{ rows: CodecExampleRow[]; jpeg: { bpp: number; msssim: number } }> {
  const img = await readImage(file);
  const m = await loadCodecModel();
  try {
    const coded = await codeImage(m, img); // every iteration the model was trained for
    log(`${file}: ${img.width}x${img.height}, ${coded.bytes.length} bytes for ${coded.codes.length} iterations`);
    const rows: CodecExampleRow[] = [];
    for (let k = 1; k <= coded.codes.length; k++) {
      const prefix = truncateIterations(coded.bytes, k); // a valid .rgru file with the first k iterations
      const { image } = await decodeRgru(m, prefix);
      const s = await quality(img, image);
      rows.push({ iterations: k, bpp: bitsPerPixel(prefix, img.width, img.height), ...s });
      log(`  ${k} iteration${k > 1 ? 's' : ' '}: ${rows[k - 1].bpp.toFixed(3)} bpp  PSNR ${s.psnr.toFixed(2)} dB  MS-SSIM ${s.msssim.toFixed(4)}`);
      if (out && k === 2) await writeImage(out, image);
    }
    const jb = await encodeJpeg(img, 1);
    const j = await quality(img, await decodeImage(jb, 'jpeg'));
    const jpeg = { bpp: (jb.length * 8) / (img.width * img.height), msssim: j.msssim };
    log(`  JPEG quality 1 (its lowest): ${jpeg.bpp.toFixed(3)} bpp  PSNR ${j.psnr.toFixed(2)} dB  MS-SSIM ${j.msssim.toFixed(4)}`);
    return { rows, jpeg };
  } finally {
    m.dispose();
  }
}

const isMain = process.argv[1] && /examples\/codec\.ts$/.test(process.argv[1]);
if (isMain) codecExample(process.argv[2], process.argv[3]).then(() => process.exit(0));
