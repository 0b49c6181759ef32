// The .rgru file: the binary codes of a Residual-GRU image codec (Toderici et al. 2017), one chunk per
// coding iteration, so that a reader can stop after any k iterations (one file, many qualities).
//
// Layout (integers little-endian):
//   offset  size  field
//        0     4  magic "RGRU" (52 47 52 55)
//        4     1  format version, 1
//        5     1  flags: bit 0 = entropy coded (chunks may be arithmetic coded); other bits must be 0
//        6     4  image width in pixels (u32, >= 1)
//       10     4  image height in pixels (u32, >= 1)
//       14     2  code grid height gridH (u16, >= 1; the codec uses ceil(height / 16))
//       16     2  code grid width gridW (u16, >= 1; the codec uses ceil(width / 16))
//       18     1  bits per grid position (u8, >= 1; the codec uses 32)
//       19     1  iteration count T (u8)
//       20     4  CRC-32 of bytes 0..19
//       24        T chunks, iteration 0 first. Chunk t:
//                   u32 body length n (>= 1)
//                   u32 CRC-32 of the body
//                   n bytes body: u8 coding (0 = raw, 1 = arithmetic) followed by the data
//   Nothing may follow the last chunk.
//
// An iteration's bits are N = gridH * gridW * bitsPerPos values 0/1 in row-major order (y, x, channel).
// Raw data: the N bits packed MSB-first, ceil(N / 8) bytes, zero padding. Files without the entropy
// flag use raw chunks only.
// Arithmetic data: the output of arith.ts's BinaryEncoder over the same N bits in the same order. The
// context of bit (t, y, x, c) is (c, prev, left, up): prev = the bit at (t - 1, y, x, c) or 'none' for
// t = 0, left = (t, y, x - 1, c) or 'none' at x = 0, up = (t, y - 1, x, c) or 'none' at y = 0 (each of
// prev/left/up is 0, 1 or none), ctx = ((c * 3 + prev) * 3 + left) * 3 + up. One ContextModel lives for
// the whole file: iteration t starts from the model state that iterations 0..t-1 left, so chunk t
// decodes from chunks 0..t only. The writer stores an iteration raw when arithmetic coding would not be
// smaller; the reader then still feeds those bits through the model (contexts as above), so the state
// stays in step.
//
// CRC-32: the IEEE 802.3 polynomial, reflected (0xEDB88320), initial and final XOR 0xFFFFFFFF.
import { BinaryDecoder, BinaryEncoder, ContextModel } from './arith.ts';

export const RGRU_MAGIC = 'RGRU';
export const RGRU_VERSION = 1;
export const RGRU_HEADER_BYTES = 24;
/** u32 length + u32 CRC in front of each chunk body. */
export const RGRU_CHUNK_OVERHEAD = 8;
const FLAG_ENTROPY = 1;
const CODING_RAW = 0;
const CODING_ARITH = 1;
/** Largest N (bits in one iteration) a reader will allocate. */
const MAX_BITS_PER_ITERATION = 2 ** 31;

export type RgruErrorKind = 'magic' | 'version' | 'header' | 'truncated' | 'corrupt' | 'input';

/** Every problem with a .rgru file or with encoder input; `kind` says which. */
export class RgruFormatError extends Error {
  readonly kind: RgruErrorKind;
  constructor(kind: RgruErrorKind, message: string) {
    super(message);
    this.name = 'RgruFormatError';
    this.kind = kind;
  }
}

function fail(kind: RgruErrorKind, message: string): never {
  throw new RgruFormatError(kind, message);
}

/** What the caller supplies: the image size and the code grid. */
export interface RgruGeometry {
  width: number;
  height: number;
  gridH: number;
  gridW: number;
  bitsPerPos: number;
}

export interface RgruHeader extends RgruGeometry {
  version: number;
  entropy: boolean;
  /** iteration count T */
  iterations: number;
}

export interface EncodeOptions {
  /** arithmetic-code the chunks (default false: raw bits) */
  entropy: boolean;
}

export interface DecodeOptions {
  /** decode only the first k iterations (default: all); chunks after them are not read */
  maxIterations?: number;
}

export interface DecodedBitstream {
  header: RgruHeader;
  /** one Uint8Array of gridH * gridW * bitsPerPos bits (0/1) per decoded iteration */
  iterations: Uint8Array[];
}

// ---------------------------------------------------------------------------------------------- CRC-32

const CRC_TABLE = (() => {
  const t = new Uint32Array(256);
  for (let i = 0; i < 256; i++) {
    let c = i;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    t[i] = c >>> 0;
  }
  return t;
})();

/** CRC-32 (IEEE, as in zlib/PNG) of bytes[start, end). */
export function crc32(bytes: Uint8Array, start = 0, end = bytes.length): number {
  let c = 0xffffffff;
  for (let i = start; i < end; i++) c = CRC_TABLE[(c ^ bytes[i]) & 0xff] ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

// ---------------------------------------------------------------------------------------------- header

const hex = (v: number) => `0x${v.toString(16).padStart(8, '0')}`;

function describeBytes(b: Uint8Array): string {
  const h = Array.from(b, (v) => v.toString(16).padStart(2, '0')).join(' ');
  const text = Array.from(b, (v) => (v >= 0x20 && v < 0x7f ? String.fromCharCode(v) : '.')).join('');
  return `${h} ("${text}")`;
}

function checkGeometry(g: RgruGeometry, where: string): void {
  const field = (name: keyof RgruGeometry, max: number, type: string) => {
    const v = g[name];
    if (!Number.isInteger(v) || v < 1 || v > max) {
      fail('header', `${where}: ${name} = ${v} is out of range; it must be an integer in [1, ${max}] (${type} in the .rgru header)`);
    }
  };
  field('width', 0xffffffff, 'u32');
  field('height', 0xffffffff, 'u32');
  field('gridH', 0xffff, 'u16');
  field('gridW', 0xffff, 'u16');
  field('bitsPerPos', 0xff, 'u8');
  const n = g.gridH * g.gridW * g.bitsPerPos;
  if (n > MAX_BITS_PER_ITERATION) {
    fail('header', `${where}: gridH * gridW * bitsPerPos = ${g.gridH} * ${g.gridW} * ${g.bitsPerPos} = ${n} bits per iteration exceeds the ${MAX_BITS_PER_ITERATION} limit`);
  }
}

function writeHeader(out: Uint8Array, g: RgruGeometry, entropy: boolean, count: number): void {
  const v = new DataView(out.buffer, out.byteOffset, RGRU_HEADER_BYTES);
  for (let i = 0; i < 4; i++) out[i] = RGRU_MAGIC.charCodeAt(i);
  v.setUint8(4, RGRU_VERSION);
  v.setUint8(5, entropy ? FLAG_ENTROPY : 0);
  v.setUint32(6, g.width, true);
  v.setUint32(10, g.height, true);
  v.setUint16(14, g.gridH, true);
  v.setUint16(16, g.gridW, true);
  v.setUint8(18, g.bitsPerPos);
  v.setUint8(19, count);
  v.setUint32(20, crc32(out, 0, 20), true);
}

/** Parses and checks the 24-byte header (magic, version, flags, checksum, ranges); reads no chunk. */
export function readHeader(bytes: Uint8Array): RgruHeader {
  if (!(bytes instanceof Uint8Array)) fail('input', `readHeader: expected a Uint8Array, got ${bytes === null ? 'null' : typeof bytes}`);
  const head = bytes.subarray(0, 4);
  const magicOk = Array.from(head).every((b, i) => b === RGRU_MAGIC.charCodeAt(i));
  if (!magicOk) {
    fail('magic', `not a kiln Residual-GRU file (.rgru): the first ${head.length} bytes are ${describeBytes(head)}, expected 52 47 52 55 ("RGRU"); pass the bytes written by encodeBitstream`);
  }
  if (bytes.length < 5) {
    fail('truncated', `truncated .rgru file: the header needs ${RGRU_HEADER_BYTES} bytes but the file has ${bytes.length}; re-send the whole file`);
  }
  const version = bytes[4];
  if (version !== RGRU_VERSION) {
    fail('version', `unsupported .rgru format version ${version}: this kiln reads version ${RGRU_VERSION}; re-encode the image with this kiln or read it with the kiln that wrote it`);
  }
  if (bytes.length < RGRU_HEADER_BYTES) {
    fail('truncated', `truncated .rgru file: the header needs ${RGRU_HEADER_BYTES} bytes but the file has ${bytes.length}; re-send the whole file`);
  }
  const v = new DataView(bytes.buffer, bytes.byteOffset, RGRU_HEADER_BYTES);
  const stored = v.getUint32(20, true);
  const computed = crc32(bytes, 0, 20);
  if (stored !== computed) {
    fail('corrupt', `corrupt .rgru file: the header's checksum does not match (stored ${hex(stored)}, computed ${hex(computed)}); bytes 0..19 were damaged, re-send the file`);
  }
  const flags = bytes[5];
  if (flags & ~FLAG_ENTROPY) {
    fail('header', `.rgru header flags 0x${flags.toString(16).padStart(2, '0')} set bits this reader does not know (only bit 0, entropy coded, is defined); the file was written by a newer writer`);
  }
  const header: RgruHeader = {
    version,
    entropy: (flags & FLAG_ENTROPY) !== 0,
    width: v.getUint32(6, true),
    height: v.getUint32(10, true),
    gridH: v.getUint16(14, true),
    gridW: v.getUint16(16, true),
    bitsPerPos: v.getUint8(18),
    iterations: v.getUint8(19),
  };
  checkGeometry(header, 'readHeader');
  return header;
}

// ---------------------------------------------------------------------------------------------- chunks

interface ChunkRef {
  /** offset of the chunk's length field */
  offset: number;
  /** body length */
  length: number;
  crc: number;
}

/** Locates chunks 0..count-1, checking that each lies inside the file (not their checksums). */
function locateChunks(bytes: Uint8Array, header: RgruHeader, count: number): ChunkRef[] {
  const v = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const refs: ChunkRef[] = [];
  let off = RGRU_HEADER_BYTES;
  const advice = (t: number) =>
    t > 0 ? `the file was cut short; decode the ${t} complete iteration${t === 1 ? '' : 's'} with { maxIterations: ${t} } or re-send the whole file` : 'the file was cut short; re-send the whole file';
  for (let t = 0; t < count; t++) {
    if (off + RGRU_CHUNK_OVERHEAD > bytes.length) {
      fail('truncated', `truncated .rgru file: iteration ${t}'s chunk header needs ${RGRU_CHUNK_OVERHEAD} bytes at offset ${off} but ${bytes.length - off} remain (file is ${bytes.length} bytes, header says ${header.iterations} iterations); ${advice(t)}`);
    }
    const length = v.getUint32(off, true);
    const crc = v.getUint32(off + 4, true);
    const body = off + RGRU_CHUNK_OVERHEAD;
    if (length === 0) fail('corrupt', `corrupt .rgru file: iteration ${t}'s chunk at offset ${off} has an empty body (it must hold at least the coding byte)`);
    if (body + length > bytes.length) {
      fail('truncated', `truncated .rgru file: iteration ${t}'s chunk needs ${length} bytes at offset ${body} but only ${bytes.length - body} are present (expected at least ${body + length} bytes, found ${bytes.length}); ${advice(t)}`);
    }
    refs.push({ offset: off, length, crc });
    off = body + length;
  }
  return refs;
}

function checkCrc(bytes: Uint8Array, ref: ChunkRef, t: number): void {
  const body = ref.offset + RGRU_CHUNK_OVERHEAD;
  const computed = crc32(bytes, body, body + ref.length);
  if (computed !== ref.crc) {
    const keep = t > 0 ? `; the ${t} iteration${t === 1 ? '' : 's'} before it are intact: decode them with { maxIterations: ${t} }` : '';
    fail('corrupt', `corrupt .rgru file: iteration ${t}'s checksum does not match (stored ${hex(ref.crc)}, computed ${hex(computed)} over ${ref.length} bytes at offset ${body})${keep}`);
  }
}

function endOf(refs: ChunkRef[]): number {
  const last = refs[refs.length - 1];
  return last ? last.offset + RGRU_CHUNK_OVERHEAD + last.length : RGRU_HEADER_BYTES;
}

// ---------------------------------------------------------------------------------------------- bits

function packBits(bits: Uint8Array, out: Uint8Array, at: number): void {
  for (let i = 0; i < bits.length; i++) if (bits[i]) out[at + (i >>> 3)] |= 0x80 >>> (i & 7);
}

function unpackBits(data: Uint8Array, n: number): Uint8Array {
  const bits = new Uint8Array(n);
  for (let i = 0; i < n; i++) bits[i] = (data[i >>> 3] >>> (7 - (i & 7))) & 1;
  return bits;
}

/**
 * Visits the bits of one iteration in coding order with their context ids. `bits` is read for the
 * left/up neighbours, so a decoder's `visit` must store bit idx before returning.
 */
function scanContexts(bits: Uint8Array, prev: Uint8Array | null, g: RgruGeometry, visit: (idx: number, ctx: number) => void): void {
  const C = g.bitsPerPos;
  const rowStride = g.gridW * C;
  let idx = 0;
  for (let y = 0; y < g.gridH; y++) {
    for (let x = 0; x < g.gridW; x++) {
      for (let c = 0; c < C; c++, idx++) {
        const p = prev ? prev[idx] : 2;
        const left = x > 0 ? bits[idx - C] : 2;
        const up = y > 0 ? bits[idx - rowStride] : 2;
        visit(idx, ((c * 3 + p) * 3 + left) * 3 + up);
      }
    }
  }
}

const contextCount = (g: RgruGeometry) => g.bitsPerPos * 27;

// ---------------------------------------------------------------------------------------------- encode

/**
 * Writes a .rgru file. iterations[t] holds iteration t's gridH * gridW * bitsPerPos bits (0/1) in
 * row-major (y, x, channel) order; at most 255 iterations.
 */
export function encodeBitstream(header: RgruGeometry, iterations: ArrayLike<number>[], options: EncodeOptions = { entropy: false }): Uint8Array {
  checkGeometry(header, 'encodeBitstream');
  if (!Array.isArray(iterations)) fail('input', `encodeBitstream: iterations must be an array of bit arrays (one per coding iteration), got ${typeof iterations}`);
  if (iterations.length > 255) fail('input', `encodeBitstream: ${iterations.length} iterations, but the header's count is a u8 (at most 255)`);
  const g = header;
  const n = g.gridH * g.gridW * g.bitsPerPos;
  const rawBytes = Math.ceil(n / 8);
  const entropy = !!options.entropy;
  const model = entropy ? new ContextModel(contextCount(g)) : null;

  const bodies: Uint8Array[] = [];
  let prev: Uint8Array | null = null;
  for (let t = 0; t < iterations.length; t++) {
    const src = iterations[t];
    if (src === null || typeof src !== 'object' || typeof src.length !== 'number') fail('input', `encodeBitstream: iteration ${t} is ${src === null ? 'null' : typeof src}, expected a Uint8Array of ${n} bits`);
    if (src.length !== n) {
      fail('input', `encodeBitstream: iteration ${t} has ${src.length} bits but the header needs gridH * gridW * bitsPerPos = ${g.gridH} * ${g.gridW} * ${g.bitsPerPos} = ${n} (row-major y, x, channel)`);
    }
    const bits = src instanceof Uint8Array ? src : Uint8Array.from(src, (b) => (b === 0 || b === 1 ? b : 255));
    for (let i = 0; i < n; i++) {
      if (bits[i] > 1) {
        const c = i % g.bitsPerPos, pos = (i - c) / g.bitsPerPos;
        fail('input', `encodeBitstream: iteration ${t}, bit ${i} (y=${Math.floor(pos / g.gridW)}, x=${pos % g.gridW}, channel ${c}) is ${src[i]}; codes must be 0 or 1 (map the binarizer's -1/+1 to 0/1 first)`);
      }
    }
    const raw = new Uint8Array(1 + rawBytes);
    raw[0] = CODING_RAW;
    packBits(bits, raw, 1);
    let body = raw;
    if (model) {
      const enc = new BinaryEncoder(model);
      scanContexts(bits, prev, g, (idx, ctx) => enc.encode(bits[idx], ctx));
      const data = enc.finish();
      if (data.length < rawBytes) {
        body = new Uint8Array(1 + data.length);
        body[0] = CODING_ARITH;
        body.set(data, 1);
      }
    }
    bodies.push(body);
    prev = bits;
  }

  const total = RGRU_HEADER_BYTES + bodies.reduce((s, b) => s + RGRU_CHUNK_OVERHEAD + b.length, 0);
  const out = new Uint8Array(total);
  writeHeader(out, g, entropy, bodies.length);
  const v = new DataView(out.buffer);
  let off = RGRU_HEADER_BYTES;
  for (const b of bodies) {
    v.setUint32(off, b.length, true);
    v.setUint32(off + 4, crc32(b), true);
    out.set(b, off + RGRU_CHUNK_OVERHEAD);
    off += RGRU_CHUNK_OVERHEAD + b.length;
  }
  return out;
}

// ---------------------------------------------------------------------------------------------- decode

/** Reads a .rgru file; with maxIterations = k only the first min(k, T) chunks are read and checked. */
export function decodeBitstream(bytes: Uint8Array, options: DecodeOptions = {}): DecodedBitstream {
  const header = readHeader(bytes);
  const k = options.maxIterations;
  if (k !== undefined && !(Number.isInteger(k) && k >= 0)) fail('input', `decodeBitstream: maxIterations must be a non-negative integer, got ${k}`);
  const count = k === undefined ? header.iterations : Math.min(k, header.iterations);
  const refs = locateChunks(bytes, header, count);
  if (count === header.iterations && endOf(refs) !== bytes.length) {
    fail('corrupt', `corrupt .rgru file: ${bytes.length - endOf(refs)} bytes follow the last iteration (iteration ${header.iterations - 1} ends at offset ${endOf(refs)}, the file is ${bytes.length} bytes); the file was joined with other data or its iteration count was damaged`);
  }
  const g = header;
  const n = g.gridH * g.gridW * g.bitsPerPos;
  const rawBytes = Math.ceil(n / 8);
  const model = header.entropy ? new ContextModel(contextCount(g)) : null;
  const out: Uint8Array[] = [];
  let prev: Uint8Array | null = null;
  for (let t = 0; t < count; t++) {
    const ref = refs[t];
    checkCrc(bytes, ref, t);
    const start = ref.offset + RGRU_CHUNK_OVERHEAD;
    const coding = bytes[start];
    const data = bytes.subarray(start + 1, start + ref.length);
    let bits: Uint8Array;
    if (coding === CODING_RAW) {
      if (data.length !== rawBytes) fail('corrupt', `corrupt .rgru file: iteration ${t}'s raw chunk holds ${data.length} data bytes, expected ${rawBytes} (${n} bits packed MSB-first)`);
      bits = unpackBits(data, n);
      if (model) scanContexts(bits, prev, g, (idx, ctx) => model.update(ctx, bits[idx]));
    } else if (coding === CODING_ARITH && model) {
      const dec = new BinaryDecoder(data, model);
      const b = new Uint8Array(n);
      scanContexts(b, prev, g, (idx, ctx) => {
        b[idx] = dec.decode(ctx);
      });
      bits = b;
    } else {
      fail('corrupt', `corrupt .rgru file: iteration ${t} uses coding ${coding}, but a file ${header.entropy ? 'with' : 'without'} the entropy flag allows only ${header.entropy ? '0 (raw) and 1 (arithmetic)' : '0 (raw)'}`);
    }
    out.push(bits);
    prev = bits;
  }
  return { header, iterations: out };
}

/** A valid .rgru file holding the first k iterations of `bytes` (their chunks copied unchanged). */
export function truncateIterations(bytes: Uint8Array, k: number): Uint8Array {
  const header = readHeader(bytes);
  if (!(Number.isInteger(k) && k >= 0 && k <= header.iterations)) {
    fail('input', `truncateIterations: cannot keep ${k} iterations; the file holds ${header.iterations}, so k must be an integer in [0, ${header.iterations}]`);
  }
  const refs = locateChunks(bytes, header, k);
  refs.forEach((r, t) => checkCrc(bytes, r, t));
  const end = endOf(refs);
  const out = bytes.slice(0, end);
  writeHeader(out, header, header.entropy, k);
  return out;
}

// ---------------------------------------------------------------------------------------------- sizes

/** The exact size in bytes of each iteration's chunk (8-byte chunk header + body), in order. */
export function iterationChunkSizes(bytes: Uint8Array): number[] {
  const header = readHeader(bytes);
  return locateChunks(bytes, header, header.iterations).map((r) => RGRU_CHUNK_OVERHEAD + r.length);
}

/**
 * Bits per pixel of the file cut to its first `iterations` iterations (default: all), counting the
 * header and chunk overhead, over width x height pixels (default: the header's image size).
 */
export function bitsPerPixel(bytes: Uint8Array, width?: number, height?: number, iterations?: number): number {
  const header = readHeader(bytes);
  const k = iterations ?? header.iterations;
  if (!(Number.isInteger(k) && k >= 0 && k <= header.iterations)) fail('input', `bitsPerPixel: iterations must be an integer in [0, ${header.iterations}], got ${iterations}`);
  const w = width ?? header.width, h = height ?? header.height;
  if (!(w > 0 && h > 0)) fail('input', `bitsPerPixel: width and height must be positive, got ${w} x ${h}`);
  const sizes = iterationChunkSizes(bytes).slice(0, k);
  const total = RGRU_HEADER_BYTES + sizes.reduce((s, b) => s + b, 0);
  return (total * 8) / (w * h);
}

/** Bits per pixel of k iterations before entropy coding and without any file overhead: k * N / (width * height). */
export function nominalBitsPerPixel(header: RgruGeometry, k: number): number {
  return (k * header.gridH * header.gridW * header.bitsPerPos) / (header.width * header.height);
}
