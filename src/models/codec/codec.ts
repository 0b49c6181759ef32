// Whole images through the codec: any size (padded to a multiple of 16 by repeating the edge,
// cropped back after decoding), one bitstream (.rgru, bitstream.ts) that decodes at every prefix
// of its iterations, a target bit rate met by dropping trailing iterations.
import * as kiln from '../../index.ts';
import type { Rgb } from '../../io/image.ts';
import type { CodecModel, CodecState } from './model.ts';
import { cropToRgb, padToMultiple } from './data.ts';
import { encodeBitstream, decodeBitstream, readHeader, truncateIterations, bitsPerPixel, type RgruGeometry } from './bitstream.ts';

/** Largest image the codec takes (pixels): its GRU states and gates at 512 Mpx would need tens of GB. */
export const MAX_PIXELS = 1 << 26;

export interface CodedImage {
  /** the .rgru file with every coded iteration */
  bytes: Uint8Array;
  geometry: RgruGeometry;
  /** the bits of each iteration, 0/1, [gridH, gridW, bits] row-major */
  codes: Uint8Array[];
  /** the reconstruction after each iteration (what a decoder of the first k iterations shows) */
  recon: Rgb[];
}

function disposeState(st: CodecState): void {
  for (const t of [...st.enc, ...st.dec]) t.dispose();
  st.recon?.dispose();
}

/** Runs one iteration with the old state disposed and the new one kept; returns the kept outputs. */
function step(st: CodecState, fn: (s: CodecState) => kiln.Tensor[]): kiln.Tensor[] {
  const old = { ...st, enc: [...st.enc], dec: [...st.dec] };
  const outs = kiln.tidy(() => {
    const s: CodecState = { enc: [...st.enc], dec: [...st.dec], recon: st.recon };
    const o = fn(s);
    st.enc = s.enc; st.dec = s.dec; st.recon = s.recon;
    return [...o, ...st.enc, ...st.dec, ...(st.recon ? [st.recon] : [])];
  });
  // the tidy kept every new state tensor; drop the ones that are not new
  const keepSet = new Set(outs);
  for (const t of [...old.enc, ...old.dec, ...(old.recon ? [old.recon] : [])]) if (!keepSet.has(t)) t.dispose();
  return outs;
}

/**
 * Codes `img` with `iterations` iterations (default: what the model was trained for). Returns the
 * file, each iteration's bits, and each prefix's reconstruction.
 */
export async function codeImage(m: CodecModel, img: Rgb, o: { iterations?: number; entropy?: boolean } = {}): Promise<CodedImage> {
  const T = o.iterations ?? m.spec.iterations;
  if (!Number.isInteger(T) || T < 1 || T > 255) throw new Error(`kiln codec: iterations must be an integer in 1..255, got ${T}`);
  if (!(img.width >= 1 && img.height >= 1)) throw new Error(`kiln codec: the image is empty (${img.width}x${img.height})`);
  if (img.width * img.height > MAX_PIXELS) throw new Error(`kiln codec: ${img.width}x${img.height} is larger than the ${MAX_PIXELS} pixels kiln codes; downscale or tile it first`);
  const { data, H, W } = padToMultiple(img, 16);
  const geometry: RgruGeometry = { width: img.width, height: img.height, gridH: H / 16, gridW: W / 16, bitsPerPos: m.spec.bits };
  const st = m.initState(1, H, W);
  const target = kiln.tidy(() => kiln.sub(kiln.tensor(data, [1, H, W, 3]), 0.5));
  let r = kiln.clone(target);
  const codes: Uint8Array[] = [], recon: Rgb[] = [];
  try {
    for (let t = 0; t < T; t++) {
      const [b, est, res] = step(st, (s) => {
        const bits = m.encode(r, s);
        const e = m.decode(bits, s);
        return [bits, kiln.add(e, 0.5), kiln.sub(target, e)];
      });
      r.dispose();
      r = res;
      const [bv, ev] = await Promise.all([b.data(), est.data()]);
      b.dispose(); est.dispose();
      codes.push(Uint8Array.from(bv, (v) => (v > 0 ? 1 : 0)));
      recon.push(cropToRgb(ev, W, img.width, img.height));
    }
  } finally {
    r.dispose(); target.dispose();
    disposeState(st);
  }
  return { bytes: encodeBitstream(geometry, codes, { entropy: o.entropy ?? true }), geometry, codes, recon };
}

/**
 * The largest prefix of a coded file whose size is at most `bpp` bits per pixel (at least one
 * iteration): { bytes, iterations, bpp }.
 */
export function fitBitRate(bytes: Uint8Array, bpp: number, width: number, height: number): { bytes: Uint8Array; iterations: number; bpp: number } {
  if (!(bpp > 0)) throw new Error(`kiln codec: the bit rate must be > 0 bits per pixel, got ${bpp}`);
  const T = readHeader(bytes).iterations;
  let best = truncateIterations(bytes, 1), k = 1;
  for (let i = 2; i <= T; i++) {
    const b = truncateIterations(bytes, i);
    if (bitsPerPixel(b, width, height) <= bpp) { best = b; k = i; } else break;
  }
  return { bytes: best, iterations: k, bpp: bitsPerPixel(best, width, height) };
}

/** Decodes a .rgru file (its first `maxIterations` iterations, default all) to an image. */
export async function decodeRgru(m: CodecModel, bytes: Uint8Array, o: { maxIterations?: number } = {}): Promise<{ image: Rgb; iterations: number }> {
  const head = readHeader(bytes);
  if (head.bitsPerPos !== m.spec.bits) throw new Error(`kiln codec: the file has ${head.bitsPerPos} bits per position but the model codes ${m.spec.bits}: decode it with the model that encoded it`);
  if (head.width * head.height > MAX_PIXELS) throw new Error(`kiln codec: the file is for a ${head.width}x${head.height} image; kiln codes at most ${MAX_PIXELS} pixels`);
  if (o.maxIterations === 0) throw new Error('kiln codec: maxIterations must be at least 1 (0 iterations decode to nothing)');
  const { header, iterations } = decodeBitstream(bytes, { maxIterations: o.maxIterations });
  if (header.bitsPerPos !== m.spec.bits) throw new Error(`kiln codec: the file has ${header.bitsPerPos} bits per position but the model codes ${m.spec.bits}: decode it with the model that encoded it`);
  const H = header.gridH * 16, W = header.gridW * 16;
  if (Math.ceil(header.height / 16) !== header.gridH || Math.ceil(header.width / 16) !== header.gridW) {
    throw new Error(`kiln codec: the file's code grid ${header.gridH}x${header.gridW} does not fit its ${header.width}x${header.height} image (expected ${Math.ceil(header.height / 16)}x${Math.ceil(header.width / 16)}): the file is corrupt`);
  }
  if (!iterations.length) throw new Error('kiln codec: the file holds no iterations: nothing to decode');
  const st = m.initState(1, H, W);
  let out: kiln.Tensor | null = null;
  try {
    for (const bits of iterations) {
      const [est] = step(st, (s) => [kiln.add(m.decode(kiln.tensor(Float32Array.from(bits, (v) => (v ? 1 : -1)), [1, header.gridH, header.gridW, header.bitsPerPos]), s), 0.5)]);
      out?.dispose();
      out = est;
    }
    const v = await out!.data();
    return { image: cropToRgb(v, W, header.width, header.height), iterations: iterations.length };
  } finally {
    out?.dispose();
    disposeState(st);
  }
}
