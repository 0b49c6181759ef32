// `kiln codec eval`: rate-distortion of the Residual-GRU codec and of JPEG (jpeg-js, a sweep of
// qualities) on the same held-out photographs, in the same run. Per image, kiln gives one point
// per coding iteration (bpp of the entropy-coded file prefix; also the raw bit rate), JPEG one
// point per quality. Curves are compared at fixed bit rates by linear interpolation along each
// image's own curve, then averaged over the images that reach that rate. PSNR and MS-SSIM
// (metrics.ts, on the GPU) on RGB in [0, 1].
import { mkdirSync, writeFileSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import * as kiln from '../../index.ts';
import { decodeImage, encodeJpeg, encodePng, encodePpm, type Rgb } from '../../io/image.ts';
import { msSsim, psnr } from './metrics.ts';
import { readImages, CODEC_DATA } from './data.ts';
import { codeImage, decodeRgru, type CodedImage } from './codec.ts';
import { truncateIterations, bitsPerPixel, nominalBitsPerPixel } from './bitstream.ts';
import { loadCodecModel, saveCodecResults, DEFAULT_CODEC_MODEL } from './store.ts';
import type { CodecModel } from './model.ts';
import { flag } from '../../cli/args.ts';

export const JPEG_QUALITIES = [1, 2, 3, 4, 5, 6, 8, 10, 12, 15, 20, 25, 30];
export const RATES = [0.125, 0.25, 0.375, 0.5];

export interface RdPoint { bpp: number; psnr: number; msssim: number; rawBpp?: number; quality?: number; iterations?: number }
export interface ImageRd { name: string; width: number; height: number; kiln: RdPoint[]; jpeg: RdPoint[]; jpeg420?: RdPoint[]; encodeSec: number; decodeSec: number }

/**
 * The paper's JPEG baseline is 4:2:0 with optimised Huffman tables, which jpeg-js cannot write
 * (4:4:4, standard tables). When libjpeg-turbo's cjpeg is installed (Debian libjpeg-turbo-progs),
 * eval adds that curve too: `cjpeg -quality Q -sample 2x2 -optimize`, decoded by jpeg-js.
 */
export function cjpeg(img: Rgb, quality: number): Uint8Array | null {
  const r = spawnSync('cjpeg', ['-quality', String(quality), '-sample', '2x2', '-optimize'], { input: encodePpm(img), maxBuffer: 1 << 28 });
  if (r.error || r.status !== 0) return null;
  return new Uint8Array(r.stdout);
}

/** PSNR and MS-SSIM of b against a (RGB bytes scaled to [0, 1]), on the GPU. */
export async function quality(a: Rgb, b: Rgb): Promise<{ psnr: number; msssim: number }> {
  const t = (im: Rgb) => kiln.tensor(Float32Array.from(im.data, (v) => v / 255), [1, im.height, im.width, 3]);
  const [x, y] = [t(a), t(b)];
  const [p, m] = kiln.tidy(() => [psnr(x, y), msSsim(x, y)]);
  const [pv, mv] = await Promise.all([p.data(), m.data()]);
  for (const v of [x, y, p, m]) v.dispose();
  return { psnr: pv[0], msssim: mv[0] };
}

/** The rate-distortion points of kiln and JPEG on one image (and kiln's coded file, for the crops). */
export async function evalImage(m: CodecModel, name: string, img: Rgb, iterations = m.spec.iterations): Promise<ImageRd & { coded: CodedImage }> {
  const t0 = performance.now();
  const coded = await codeImage(m, img, { iterations, entropy: true });
  const encodeSec = (performance.now() - t0) / 1000;
  const px = img.width * img.height;
  const k: RdPoint[] = [];
  for (let i = 1; i <= coded.codes.length; i++) {
    const prefix = truncateIterations(coded.bytes, i);
    const q = await quality(img, coded.recon[i - 1]);
    k.push({ iterations: i, bpp: bitsPerPixel(prefix, img.width, img.height), rawBpp: nominalBitsPerPixel(coded.geometry, i), ...q });
  }
  const t1 = performance.now();
  await decodeRgru(m, coded.bytes);
  const decodeSec = (performance.now() - t1) / 1000;
  const j: RdPoint[] = [];
  for (const qual of JPEG_QUALITIES) {
    const bytes = await encodeJpeg(img, qual);
    const dec = await decodeImage(bytes, `${name} (jpeg q${qual})`);
    j.push({ quality: qual, bpp: (bytes.length * 8) / px, ...(await quality(img, dec)) });
  }
  const j420: RdPoint[] = [];
  for (const qual of JPEG_QUALITIES) {
    const bytes = cjpeg(img, qual);
    if (!bytes) break;
    const dec = await decodeImage(bytes, `${name} (cjpeg 4:2:0 q${qual})`);
    j420.push({ quality: qual, bpp: (bytes.length * 8) / px, ...(await quality(img, dec)) });
  }
  return { name, width: img.width, height: img.height, kiln: k, jpeg: j, ...(j420.length ? { jpeg420: j420 } : {}), encodeSec, decodeSec, coded };
}

/** Linear interpolation of a metric along a curve at `bpp`; null outside the curve's bit rates. */
export function interpolate(curve: RdPoint[], bpp: number, key: 'psnr' | 'msssim'): number | null {
  const c = [...curve].sort((a, b) => a.bpp - b.bpp);
  if (!c.length || bpp < c[0].bpp - 1e-12 || bpp > c[c.length - 1].bpp + 1e-12) return null;
  for (let i = 0; i < c.length; i++) {
    if (Math.abs(c[i].bpp - bpp) < 1e-12) return c[i][key];
    if (c[i].bpp > bpp) {
      const a = c[i - 1], b = c[i];
      return a[key] + ((b[key] - a[key]) * (bpp - a.bpp)) / (b.bpp - a.bpp);
    }
  }
  return c[c.length - 1][key];
}

export interface RateCell { msssim: number | null; psnr: number | null; images: number }
export interface RateRow { bpp: number; kiln: RateCell; jpeg: RateCell; jpeg420?: RateCell }

const meanOf = (xs: (number | null)[]) => { const v = xs.filter((x): x is number => x !== null); return { mean: v.length ? v.reduce((s, x) => s + x, 0) / v.length : null, n: v.length }; };

export function summarise(rows: ImageRd[], rates = RATES): RateRow[] {
  const cell = (bpp: number, curve: (r: ImageRd) => RdPoint[] | undefined): RateCell => {
    const m = meanOf(rows.map((r) => (curve(r) ? interpolate(curve(r)!, bpp, 'msssim') : null))), p = meanOf(rows.map((r) => (curve(r) ? interpolate(curve(r)!, bpp, 'psnr') : null)));
    return { msssim: m.mean, psnr: p.mean, images: m.n };
  };
  const has420 = rows.some((r) => r.jpeg420);
  return rates.map((bpp) => ({ bpp, kiln: cell(bpp, (r) => r.kiln), jpeg: cell(bpp, (r) => r.jpeg), ...(has420 ? { jpeg420: cell(bpp, (r) => r.jpeg420) } : {}) }));
}

/** The rate-distortion plot: MS-SSIM and PSNR against bpp, each image's curve thin, kiln red, JPEG blue. */
export function rdSvg(rows: ImageRd[]): string {
  const PW = 380, PH = 300, L = 52, Tp = 24, Bt = 44, gap = 40;
  const W = 2 * PW + gap, H = PH + 40;
  const maxBpp = Math.ceil(Math.max(0.625, ...rows.flatMap((r) => r.kiln.map((p) => p.bpp))) * 8) / 8;
  const out = [`<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" font-family="sans-serif" font-size="12">`, '<rect width="100%" height="100%" fill="white"/>'];
  const panel = (ox: number, key: 'msssim' | 'psnr', lo: number, hi: number, step: number, label: string) => {
    const x = (b: number) => ox + L + ((PW - L - 10) * b) / maxBpp;
    const y = (v: number) => Tp + (PH - Tp - Bt) * (1 - (Math.min(hi, Math.max(lo, v)) - lo) / (hi - lo));
    for (let v = lo; v <= hi + 1e-9; v += step) out.push(`<line x1="${ox + L}" x2="${ox + PW - 10}" y1="${y(v).toFixed(1)}" y2="${y(v).toFixed(1)}" stroke="#eee"/><text x="${ox + L - 6}" y="${(y(v) + 4).toFixed(1)}" text-anchor="end" fill="#555">${key === 'psnr' ? v.toFixed(0) : v.toFixed(2)}</text>`);
    for (let b = 0; b <= maxBpp + 1e-9; b += 0.125) out.push(`<line x1="${x(b).toFixed(1)}" x2="${x(b).toFixed(1)}" y1="${Tp}" y2="${PH - Bt}" stroke="#f3f3f3"/><text x="${x(b).toFixed(1)}" y="${PH - Bt + 16}" text-anchor="middle" fill="#555">${b.toFixed(3).replace(/0+$/, '').replace(/\.$/, '')}</text>`);
    out.push(`<text x="${ox + (L + PW) / 2}" y="${PH - 10}" text-anchor="middle" fill="#333">bits per pixel</text>`);
    out.push(`<text x="${ox + 14}" y="${(Tp + PH - Bt) / 2}" transform="rotate(-90 ${ox + 14} ${(Tp + PH - Bt) / 2})" text-anchor="middle" fill="#333">${label}</text>`);
    const line = (pts: RdPoint[], colour: string, width: number, opacity: number) => {
      const p = pts.filter((q) => q.bpp <= maxBpp).sort((a, b) => a.bpp - b.bpp);
      if (p.length) out.push(`<polyline fill="none" stroke="${colour}" stroke-width="${width}" stroke-opacity="${opacity}" points="${p.map((q) => `${x(q.bpp).toFixed(1)},${y(q[key]).toFixed(1)}`).join(' ')}"/>`);
    };
    for (const r of rows) { line(r.jpeg, '#1f77b4', 1, 0.35); if (r.jpeg420) line(r.jpeg420, '#2ca02c', 1, 0.3); line(r.kiln, '#d62728', 1, 0.35); }
    const mean = (which: 'kiln' | 'jpeg' | 'jpeg420') => RATES_FINE.filter((b) => b <= maxBpp + 1e-9).map((b) => ({ b, v: meanOf(rows.map((r) => (r[which] ? interpolate(r[which]!, b, key) : null))) })).filter((q) => q.v.n === rows.length);
    for (const [which, colour] of [['jpeg', '#1f77b4'], ['jpeg420', '#2ca02c'], ['kiln', '#d62728']] as const) {
      const pts = mean(which);
      if (pts.length) out.push(`<polyline fill="none" stroke="${colour}" stroke-width="2.5"${which === 'jpeg420' ? ' stroke-dasharray="6 3"' : ''} points="${pts.map((q) => `${x(q.b).toFixed(1)},${y(q.v.mean!).toFixed(1)}`).join(' ')}"/>`);
    }
  };
  panel(0, 'msssim', 0.6, 1, 0.05, 'MS-SSIM (RGB)');
  panel(PW + gap, 'psnr', 18, 36, 2, 'PSNR (dB, RGB)');
  out.push(`<line x1="${W - 250}" x2="${W - 230}" y1="${H - 12}" y2="${H - 12}" stroke="#d62728" stroke-width="2.5"/><text x="${W - 225}" y="${H - 8}" fill="#333">kiln Residual-GRU</text>`);
  out.push(`<line x1="${W - 115}" x2="${W - 95}" y1="${H - 12}" y2="${H - 12}" stroke="#1f77b4" stroke-width="2.5"/><text x="${W - 90}" y="${H - 8}" fill="#333">JPEG (jpeg-js)</text>`);
  if (rows.some((r) => r.jpeg420)) out.push(`<line x1="${W - 480}" x2="${W - 460}" y1="${H - 12}" y2="${H - 12}" stroke="#2ca02c" stroke-width="2.5" stroke-dasharray="6 3"/><text x="${W - 455}" y="${H - 8}" fill="#333">JPEG 4:2:0 (libjpeg-turbo)</text>`);
  out.push(`<text x="${L}" y="14" fill="#555">thin: each held-out photo; thick: mean where every photo reaches the rate</text>`);
  out.push('</svg>');
  return out.join('\n') + '\n';
}
const RATES_FINE = Array.from({ length: 81 }, (_, i) => i / 80);

/** Side-by-side crops (original | JPEG at its lowest rate | kiln at the nearest rate not above it) as one PNG. */
async function cropStrip(coded: CodedImage, img: Rgb, size = 192): Promise<{ png: Uint8Array; jpegBpp: number; kilnBpp: number; kilnIterations: number }> {
  const jpegBytes = await encodeJpeg(img, 1);
  const jpegBpp = (jpegBytes.length * 8) / (img.width * img.height);
  const jpeg = await decodeImage(jpegBytes, 'jpeg');
  let k = 1;
  for (let i = 1; i <= coded.codes.length; i++) if (bitsPerPixel(truncateIterations(coded.bytes, i), img.width, img.height) <= jpegBpp) k = i;
  const kilnBpp = bitsPerPixel(truncateIterations(coded.bytes, k), img.width, img.height);
  const s = Math.min(size, img.width, img.height);
  const x0 = Math.floor((img.width - s) / 2), y0 = Math.floor((img.height - s) / 2);
  const gap = 4, W = 3 * s + 2 * gap;
  const data = new Uint8Array(W * s * 3).fill(255);
  [img, jpeg, coded.recon[k - 1]].forEach((src, p) => {
    for (let y = 0; y < s; y++) for (let x = 0; x < s; x++) for (let c = 0; c < 3; c++) data[(y * W + p * (s + gap) + x) * 3 + c] = src.data[((y0 + y) * src.width + x0 + x) * 3 + c];
  });
  return { png: await encodePng({ width: W, height: s, data }), jpegBpp, kilnBpp, kilnIterations: k };
}

const f = (v: number | null, d: number) => (v === null ? '-' : v.toFixed(d));

export async function evalCli(args: string[], positional: string[], write: (s: string) => void): Promise<number> {
  const at = (name: string) => flag('codec eval', args, name);
  const dir = positional[0] ?? join(CODEC_DATA, 'test');
  const modelDir = at('--model') ?? DEFAULT_CODEC_MODEL;
  const m = await loadCodecModel(modelDir);
  try { return await evalWith(m, args, at, dir, modelDir, write); } finally { m.dispose(); }
}

async function evalWith(m: CodecModel, args: string[], at: (name: string) => string | undefined, dir: string, modelDir: string, write: (s: string) => void): Promise<number> {
  const images = await readImages(dir);
  const rows: ImageRd[] = [];
  const coded: CodedImage[] = [];
  const t0 = performance.now();
  for (const { name, img } of images) {
    const { coded: c, ...rd } = await evalImage(m, name, img);
    rows.push(rd);
    coded.push(c);
    if (!args.includes('--json')) process.stderr.write(`[codec eval] ${name} ${img.width}x${img.height} done (${((performance.now() - t0) / 1000).toFixed(0)} s)\n`);
  }
  const summary = summarise(rows);
  if (at('--plot')) writeFileSync(at('--plot')!, rdSvg(rows));
  const crops: Record<string, unknown>[] = [];
  if (at('--crops')) {
    mkdirSync(at('--crops')!, { recursive: true });
    for (const [i, { name, img }] of images.entries()) {
      const c = await cropStrip(coded[i], img);
      const file = join(at('--crops')!, name.replace(/\.[^.]+$/, '') + '_crops.png');
      writeFileSync(file, c.png);
      crops.push({ image: name, file, jpegBpp: c.jpegBpp, kilnBpp: c.kilnBpp, kilnIterations: c.kilnIterations });
    }
  }
  const result = { model: modelDir, images: dir, spec: m.spec, summary, perImage: rows, crops };
  if (args.includes('--save')) saveCodecResults(modelDir, { date: new Date().toISOString().slice(0, 10), summary, perImage: rows.map((r) => ({ name: r.name, kiln: r.kiln, jpegLowest: r.jpeg[0] })) });
  if (args.includes('--json')) { write(JSON.stringify(result) + '\n'); return 0; }
  write(`Residual-GRU codec (${modelDir}) vs JPEG (jpeg-js 4:4:4, qualities ${JPEG_QUALITIES[0]}-${JPEG_QUALITIES[JPEG_QUALITIES.length - 1]}) on ${rows.length} photos in ${dir}\n\n`);
  write('| image | size | kiln bpp (raw) per iteration | kiln MS-SSIM | kiln PSNR | JPEG lowest bpp (q1) | JPEG MS-SSIM there | encode s | decode s |\n|---|---|---|---|---|---|---|---|---|\n');
  for (const r of rows) {
    write(`| ${r.name} | ${r.width}x${r.height} | ${r.kiln.map((p) => `${p.bpp.toFixed(3)} (${p.rawBpp!.toFixed(3)})`).join(', ')} | ${r.kiln.map((p) => p.msssim.toFixed(3)).join(', ')} | ${r.kiln.map((p) => p.psnr.toFixed(1)).join(', ')} | ${r.jpeg[0].bpp.toFixed(3)} | ${r.jpeg[0].msssim.toFixed(3)} | ${r.encodeSec.toFixed(2)} | ${r.decodeSec.toFixed(2)} |\n`);
  }
  const t420 = summary.some((s) => s.jpeg420);
  write(`\nmean over the photos that reach each rate (linear interpolation on each photo's curve)${t420 ? '; JPEG 4:2:0 = libjpeg-turbo cjpeg -sample 2x2 -optimize' : ' (install libjpeg-turbo-progs for the 4:2:0 JPEG curve)'}:\n\n`);
  write(`| bpp | kiln MS-SSIM | JPEG MS-SSIM |${t420 ? ' JPEG 4:2:0 MS-SSIM |' : ''} kiln PSNR | JPEG PSNR |${t420 ? ' JPEG 4:2:0 PSNR |' : ''} photos kiln / JPEG${t420 ? ' / 4:2:0' : ''} |\n|---|---|---|${t420 ? '---|' : ''}---|---|${t420 ? '---|' : ''}---|\n`);
  for (const s of summary) {
    const j = s.jpeg420;
    write(`| ${s.bpp} | ${f(s.kiln.msssim, 4)} | ${f(s.jpeg.msssim, 4)} |${j ? ` ${f(j.msssim, 4)} |` : ''} ${f(s.kiln.psnr, 2)} | ${f(s.jpeg.psnr, 2)} |${j ? ` ${f(j.psnr, 2)} |` : ''} ${s.kiln.images} / ${s.jpeg.images}${j ? ` / ${j.images}` : ''} |\n`);
  }
  const lowest = rows.map((r) => r.jpeg[0]);
  const at25 = rows.map((r) => interpolate(r.kiln, 0.25, 'msssim'));
  const wins = rows.filter((r, i) => at25[i] !== null && (interpolate(r.jpeg, 0.25, 'msssim') ?? r.jpeg[0].msssim) < at25[i]!).length;
  write(`\nJPEG's lowest rate (quality 1) is ${Math.min(...lowest.map((p) => p.bpp)).toFixed(3)}-${Math.max(...lowest.map((p) => p.bpp)).toFixed(3)} bpp here: where it cannot reach 0.25 bpp, kiln at 0.25 is compared with JPEG's lowest point (more bits than 0.25).\n`);
  write(`kiln's MS-SSIM at 0.25 bpp is above JPEG's (at 0.25, or at its lowest rate) on ${wins} of ${rows.length} photos.\n`);
  if (t420) {
    const w420 = rows.filter((r, i) => r.jpeg420 && at25[i] !== null && (interpolate(r.jpeg420, 0.25, 'msssim') ?? r.jpeg420[0].msssim) < at25[i]!).length;
    write(`and above JPEG 4:2:0's (libjpeg-turbo, optimised Huffman; lowest rate ${Math.min(...rows.map((r) => r.jpeg420?.[0].bpp ?? Infinity)).toFixed(3)} bpp) on ${w420} of ${rows.length}.\n`);
  }
  if (crops.length) write(`crops: ${crops.map((c) => c.file).join(', ')}\n`);
  return 0;
}
