// Builds data/codec/{train,test}/*.png and data/codec/README.md, the photographs the Residual-GRU
// codec trains and is evaluated on (`kiln codec train`, `kiln codec eval`), from Debian packages:
// opencv-doc's sample photos, python3-skimage's data photos and libjxl-testdata's photos.
// Sources that were JPEG files are box-downscaled by at least 2 (that averages away their 8x8
// block artefacts, which the codec should not learn as "content"); every image is downscaled by an
// integer factor until its longer side is at most 512 (test images: 768). The test photos are
// whole images that no training patch comes from.
// Usage: node --import tsx scripts/build-codec-data.ts [--out data/codec] [--debs DIR]
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import pngjs from 'pngjs';
import jpeg from 'jpeg-js';

const root = join(fileURLToPath(new URL('.', import.meta.url)), '..');
const args = process.argv.slice(2);
const flag = (name: string) => { const i = args.indexOf(name); return i >= 0 ? args[i + 1] : undefined; };
const outDir = flag('--out') ?? join(root, 'data/codec');
const PACKAGES = ['opencv-doc', 'python3-skimage', 'libjxl-testdata'];

const CV = 'usr/share/doc/opencv-doc/examples';
const SK = 'usr/lib/python3/dist-packages/skimage/data';
const JXL = 'usr/share/libjxl-testdata';
interface Source { pkg: string; path: string; name: string; crop?: [number, number] }
const TRAIN: Source[] = [
  ...['aero1', 'aero3', 'apple', 'baboon', 'board', 'building', 'fruits', 'leuvenA', 'messi5', 'squirrel_cls', 'aloeL', 'ela_original', 'orange', 'HappyFish']
    .map((n) => ({ pkg: 'opencv-doc', path: `${CV}/data/${n}.jpg`, name: n })),
  ...['chicky_512', 'rubberwhale1', 'graf1'].map((n) => ({ pkg: 'opencv-doc', path: `${CV}/data/${n}.png`, name: n })),
  { pkg: 'opencv-doc', path: `${CV}/alphamat/input_images/plant.jpg`, name: 'plant' },
  { pkg: 'opencv-doc', path: `${CV}/hfs/data/000.jpg`, name: 'hfs_000' },
  ...[1, 2, 3, 4].map((i) => ({ pkg: 'opencv-doc', path: `${CV}/text/scenetext0${i}.jpg`, name: `scenetext0${i}` })),
  { pkg: 'opencv-doc', path: `${CV}/reg/home.png`, name: 'home' },
  { pkg: 'opencv-doc', path: `${CV}/dnn_superres/butterfly.png`, name: 'butterfly' },
  { pkg: 'python3-skimage', path: `${SK}/motorcycle_left.png`, name: 'motorcycle_left' },
  { pkg: 'python3-skimage', path: `${SK}/rocket.jpg`, name: 'rocket' },
  { pkg: 'libjxl-testdata', path: `${JXL}/external/wesaturate/500px/cvo9xd_keong_macan_srgb8.png`, name: 'keong_macan' },
  { pkg: 'libjxl-testdata', path: `${JXL}/jxl/hdr_room.png`, name: 'hdr_room' },
];
const TEST: Source[] = [
  { pkg: 'python3-skimage', path: `${SK}/astronaut.png`, name: 'astronaut' },
  { pkg: 'python3-skimage', path: `${SK}/coffee.png`, name: 'coffee' },
  { pkg: 'python3-skimage', path: `${SK}/chelsea.png`, name: 'chelsea' },
  { pkg: 'libjxl-testdata', path: `${JXL}/external/wesaturate/500px/u76c0g_bliznaca_srgb8.png`, name: 'bliznaca' },
  { pkg: 'libjxl-testdata', path: `${JXL}/external/wesaturate/500px/tmshre_riaphotographs_srgb8.png`, name: 'riaphotographs' },
  { pkg: 'libjxl-testdata', path: `${JXL}/jxl/flower/flower.png`, name: 'flower', crop: [768, 512] },
];

interface Rgb { w: number; h: number; rgb: Uint8Array }

function decode(bytes: Buffer, name: string): Rgb {
  let w: number, h: number, rgba: Uint8Array;
  if (bytes[0] === 0x89) {
    const png = pngjs.PNG.sync.read(bytes); // 16-bit PNGs come back scaled to 8 bits
    [w, h, rgba] = [png.width, png.height, new Uint8Array(png.data)];
  } else {
    const img = jpeg.decode(bytes, { useTArray: true, formatAsRGBA: true, maxMemoryUsageInMB: 2048 });
    [w, h, rgba] = [img.width, img.height, img.data];
  }
  if (!w || !h) throw new Error(`build-codec-data: ${name}: empty image`);
  const rgb = new Uint8Array(w * h * 3);
  for (let i = 0; i < w * h; i++) {
    const a = rgba[4 * i + 3] / 255; // flatten alpha onto white
    for (let c = 0; c < 3; c++) rgb[3 * i + c] = Math.round(rgba[4 * i + c] * a + 255 * (1 - a));
  }
  return { w, h, rgb };
}

function boxDown(img: Rgb, f: number): Rgb {
  if (f === 1) return img;
  const w = Math.floor(img.w / f), h = Math.floor(img.h / f);
  const rgb = new Uint8Array(w * h * 3);
  for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) for (let c = 0; c < 3; c++) {
    let s = 0;
    for (let dy = 0; dy < f; dy++) for (let dx = 0; dx < f; dx++) s += img.rgb[((y * f + dy) * img.w + x * f + dx) * 3 + c];
    rgb[(y * w + x) * 3 + c] = Math.round(s / (f * f));
  }
  return { w, h, rgb };
}

function centreCrop(img: Rgb, cw: number, ch: number): Rgb {
  const x0 = Math.floor((img.w - cw) / 2), y0 = Math.floor((img.h - ch) / 2);
  const rgb = new Uint8Array(cw * ch * 3);
  for (let y = 0; y < ch; y++) rgb.set(img.rgb.subarray(((y0 + y) * img.w + x0) * 3, ((y0 + y) * img.w + x0 + cw) * 3), y * cw * 3);
  return { w: cw, h: ch, rgb };
}

function encodePng(img: Rgb): Buffer {
  const png = new pngjs.PNG({ width: img.w, height: img.h, colorType: 2, inputColorType: 2, inputHasAlpha: false });
  png.data = Buffer.from(img.rgb);
  return pngjs.PNG.sync.write(png, { colorType: 2, inputColorType: 2, inputHasAlpha: false, deflateLevel: 9 });
}

const work = mkdtempSync(join(tmpdir(), 'kiln-codec-'));
const debDir = flag('--debs') ?? work;
if (!flag('--debs')) {
  console.log(`apt-get download ${PACKAGES.join(' ')} (into ${work})`);
  execFileSync('apt-get', ['download', ...PACKAGES], { cwd: work, stdio: ['ignore', 'inherit', 'inherit'] });
}
const versions: Record<string, string> = {};
const dirs: Record<string, string> = {};
for (const name of PACKAGES) {
  const deb = readdirSync(debDir).find((f) => f.startsWith(name + '_') && f.endsWith('.deb'));
  if (!deb) throw new Error(`build-codec-data: no ${name}_*.deb in ${debDir}`);
  dirs[name] = join(work, name);
  mkdirSync(dirs[name], { recursive: true });
  execFileSync('dpkg-deb', ['-x', join(debDir, deb), dirs[name]]);
  versions[name] = execFileSync('dpkg-deb', ['-f', join(debDir, deb), 'Version']).toString().trim();
  console.log(`  ${name} ${versions[name]}`);
}

const rows: string[] = [];
for (const [split, list, maxSide] of [['train', TRAIN, 512], ['test', TEST, 768]] as const) {
  const dir = join(outDir, split);
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  for (const s of list) {
    const src = decode(readFileSync(join(dirs[s.pkg], s.path)), s.path);
    const wasJpeg = s.path.endsWith('.jpg');
    let f = Math.max(wasJpeg ? 2 : 1, Math.ceil(Math.max(src.w, src.h) / maxSide));
    if (s.crop) f = Math.max(1, Math.floor(Math.min(src.w / s.crop[0], src.h / s.crop[1])));
    let img = boxDown(src, f);
    if (s.crop) img = centreCrop(img, s.crop[0], s.crop[1]);
    writeFileSync(join(dir, `${s.name}.png`), encodePng(img));
    rows.push(`| ${split} | ${s.name}.png | ${img.w}x${img.h} | ${s.pkg} ${versions[s.pkg]} | /${s.path} | ${src.w}x${src.h}, box /${f}${s.crop ? `, centre crop ${s.crop.join('x')}` : ''} |`);
    console.log(`  ${split}/${s.name}.png ${img.w}x${img.h}`);
  }
}
writeFileSync(join(outDir, 'README.md'), `# Photographs for the Residual-GRU codec

Made by \`node --import tsx scripts/build-codec-data.ts\` from Debian bookworm packages (nothing
here is edited by hand). \`train/\` is cut into 32x32 patches by \`kiln codec train\`; \`test/\` holds
whole held-out photographs for \`kiln codec eval\` (no training patch comes from them).
JPEG sources are box-downscaled by at least 2 so their 8x8 block artefacts average away.

| split | file | size | package | path in the package | from |
|---|---|---|---|---|---|
${rows.join('\n')}

Licences are those of the packages: see /usr/share/doc/<package>/copyright in each (opencv-doc:
the OpenCV sample data; python3-skimage: scikit-image's data folder, whose photographs are public
domain or CC0 as listed in its copyright file; libjxl-testdata: the JPEG XL test corpus, the
wesaturate photos CC0). They are kept for research and testing of kiln's codec.
`);
rmSync(work, { recursive: true, force: true });
console.log(`wrote ${outDir}`);
