// The safetensors byte format (https://huggingface.co/docs/safetensors), as pure functions on
// bytes: no GPU, no Node, so they work in browsers too. docs/checkpoint.md describes the layout.
//
//   [8 bytes: N, u64 little-endian][N bytes: UTF-8 JSON header, space-padded][data]
//   header: { "__metadata__"?: { [k]: string }, [name]: { dtype, shape, data_offsets: [begin, end] } }
//
// Offsets are relative to the start of the data; the tensors' byte ranges, sorted, tile the data
// exactly (no gap, no overlap, nothing after the last one). Values are little-endian, row-major.
import { float16ToNumber } from '../util/numeric.ts';
import type { DType, TypedArray } from '../tensor.ts';
import { KilnOpError } from '../ops/util.ts';
import { parseJson } from './strict_json.ts';

/** One tensor's values on the CPU: `data` holds `shape`'s product values (bool: Uint8Array of 0/1). */
export interface SafetensorsEntry {
  dtype: DType;
  shape: readonly number[];
  data: TypedArray;
}

/** A decoded tensor; `sourceDtype` is the dtype written in the file ('F32', 'F16', 'I64', ...). */
export interface DecodedSafetensor {
  dtype: DType;
  shape: number[];
  data: TypedArray;
  sourceDtype: string;
}

export interface DecodedSafetensors {
  /** in the header's order */
  tensors: Record<string, DecodedSafetensor>;
  /** the header's `__metadata__` ({} when absent) */
  metadata: Record<string, string>;
}

export interface DecodeSafetensorsOptions {
  /**
   * Convert dtypes kiln does not have (F16, BF16, F64 -> float32; I8, I16, I64 -> int32;
   * U8, U16, U64 -> uint32; 64-bit integers must fit in 32 bits). Default true; with false they
   * are errors.
   */
  convert?: boolean;
}

/** kiln dtype -> the safetensors dtype it is written as (bool: one byte per value). */
export const SAFETENSORS_DTYPE: Readonly<Record<DType, string>> = { float32: 'F32', int32: 'I32', uint32: 'U32', bool: 'BOOL' };

const NATIVE: Record<string, DType> = { F32: 'float32', I32: 'int32', U32: 'uint32', BOOL: 'bool' };
/** safetensors dtypes read by conversion: [kiln dtype, bytes per value] */
const CONVERTED: Record<string, [DType, number]> = {
  F16: ['float32', 2], BF16: ['float32', 2], F64: ['float32', 8],
  I8: ['int32', 1], I16: ['int32', 2], I64: ['int32', 8],
  U8: ['uint32', 1], U16: ['uint32', 2], U64: ['uint32', 8],
};
const SUPPORTED = `F32, I32, U32, BOOL (and, converted, ${Object.keys(CONVERTED).join(', ')})`;
/** The safetensors reference implementation refuses headers over 100 MB. */
export const SAFETENSORS_MAX_HEADER = 100_000_000;
const LITTLE = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

/** Define `k` as an own, enumerable property (a tensor may be named `__proto__`). */
function put<T>(o: Record<string, T>, k: string, v: T): void {
  Object.defineProperty(o, k, { value: v, enumerable: true, writable: true, configurable: true });
}

const fmt = (s: readonly number[]) => `[${s.join(',')}]`;
const numel = (s: readonly number[]) => s.reduce((a, b) => a * b, 1);
const isDims = (s: unknown): s is number[] => Array.isArray(s) && s.every((d) => Number.isSafeInteger(d) && d >= 0);

// ---- encode ----

const ARRAY_OF: Record<DType, string> = { float32: 'Float32Array', int32: 'Int32Array', uint32: 'Uint32Array', bool: 'Uint8Array' };
const ORDER: Record<DType, number> = { float32: 0, uint32: 1, int32: 2, bool: 3 };

/**
 * Serialize tensors (and optional string metadata) to safetensors bytes. The layout matches the
 * reference writer: data sorted by dtype (widest first, as its enum orders them) then name, the
 * header space-padded so the data starts 8-byte aligned.
 */
export function encodeSafetensors(entries: Record<string, SafetensorsEntry>, metadata?: Record<string, string>, op = 'encodeSafetensors'): Uint8Array {
  const err = (m: string): never => { throw new KilnOpError(op, m); };
  if (!entries || typeof entries !== 'object') err(`expected a record of { dtype, shape, data } entries, got ${entries === null ? 'null' : typeof entries}`);
  const list: [string, SafetensorsEntry][] = [];
  for (const [name, e] of Object.entries(entries)) {
    if (name === '__metadata__') err(`'__metadata__' is reserved by the format and cannot name a tensor`);
    if (!e || typeof e !== 'object') err(`tensor '${name}': expected { dtype, shape, data }, got ${e === null ? 'null' : typeof e}`);
    if (!(e.dtype in SAFETENSORS_DTYPE)) err(`tensor '${name}': unknown dtype '${String(e.dtype)}'; expected one of ${Object.keys(SAFETENSORS_DTYPE).join(', ')}`);
    if (!isDims(e.shape)) err(`tensor '${name}': shape must be an array of non-negative integers, got ${JSON.stringify(e.shape)}`);
    const cls = ARRAY_OF[e.dtype];
    const tag = ArrayBuffer.isView(e.data) ? (e.data as unknown as { [Symbol.toStringTag]?: string })[Symbol.toStringTag] : undefined;
    if (tag !== cls) err(`tensor '${name}': ${e.dtype} data must be a ${cls}, got ${tag ?? (e.data === null ? 'null' : typeof e.data)}`);
    if (e.data.length !== numel(e.shape)) err(`tensor '${name}': ${e.data.length} values do not fill shape ${fmt(e.shape)} (${numel(e.shape)} values)`);
    list.push([name, e]);
  }
  if (metadata !== undefined) {
    if (!metadata || typeof metadata !== 'object' || Array.isArray(metadata)) err(`metadata must be a record of strings, got ${JSON.stringify(metadata)}`);
    for (const [k, v] of Object.entries(metadata)) if (typeof v !== 'string') err(`metadata '${k}' must be a string, got ${typeof v}`);
  }
  list.sort(([an, a], [bn, b]) => ORDER[a.dtype] - ORDER[b.dtype] || (an < bn ? -1 : an > bn ? 1 : 0));

  const parts: string[] = [];
  if (metadata && Object.keys(metadata).length) parts.push(`"__metadata__":${JSON.stringify(metadata)}`);
  let offset = 0;
  for (const [name, e] of list) {
    const n = e.data.length * (e.dtype === 'bool' ? 1 : 4);
    parts.push(`${JSON.stringify(name)}:${JSON.stringify({ dtype: SAFETENSORS_DTYPE[e.dtype], shape: [...e.shape], data_offsets: [offset, offset + n] })}`);
    offset += n;
  }
  const json = new TextEncoder().encode(`{${parts.join(',')}}`);
  const hlen = Math.ceil(json.length / 8) * 8;
  const out = new Uint8Array(8 + hlen + offset);
  const view = new DataView(out.buffer);
  view.setBigUint64(0, BigInt(hlen), true);
  out.set(json, 8);
  out.fill(0x20, 8 + json.length, 8 + hlen);
  let at = 8 + hlen;
  for (const [, e] of list) {
    const d = e.data;
    if (e.dtype === 'bool') {
      for (let i = 0; i < d.length; i++) out[at + i] = d[i] ? 1 : 0;
      at += d.length;
    } else if (LITTLE) {
      out.set(new Uint8Array(d.buffer, d.byteOffset, d.byteLength), at);
      at += d.byteLength;
    } else {
      for (let i = 0; i < d.length; i++, at += 4) {
        if (e.dtype === 'float32') view.setFloat32(at, d[i], true);
        else if (e.dtype === 'int32') view.setInt32(at, d[i], true);
        else view.setUint32(at, d[i], true);
      }
    }
  }
  return out;
}

// ---- decode ----

interface Info { name: string; dtype: string; shape: number[]; begin: number; end: number }

/**
 * Parse and validate safetensors bytes. Every malformed input (truncation, a header that is not
 * JSON, offsets that overlap, leave gaps or run past the end, sizes that do not match the shape,
 * unknown dtypes, repeated names) is a KilnOpError saying what is wrong; the returned arrays are
 * copies (they do not alias `bytes`).
 */
export function decodeSafetensors(bytes: Uint8Array | ArrayBuffer, options: DecodeSafetensorsOptions = {}, op = 'decodeSafetensors', source = ''): DecodedSafetensors {
  const err = (m: string): never => { throw new KilnOpError(op, source ? `${source}: ${m}` : m); };
  let u8: Uint8Array;
  if (bytes instanceof Uint8Array) u8 = new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  else if (bytes instanceof ArrayBuffer) u8 = new Uint8Array(bytes);
  else return err(`expected a Uint8Array or ArrayBuffer, got ${bytes === null ? 'null' : ArrayBuffer.isView(bytes) ? (bytes as object).constructor.name : typeof bytes}`);
  const convert = options.convert ?? true;

  if (u8.length < 8) err(`truncated file: ${u8.length} bytes, but a safetensors file starts with an 8-byte header length`);
  const view = new DataView(u8.buffer, u8.byteOffset, u8.byteLength);
  const n64 = view.getBigUint64(0, true);
  if (n64 > BigInt(SAFETENSORS_MAX_HEADER)) err(`header length ${n64} is over the ${SAFETENSORS_MAX_HEADER}-byte limit: not a safetensors file, or a corrupt one`);
  const n = Number(n64);
  if (8 + n > u8.length) err(`truncated file: the header length says ${n} bytes, but only ${u8.length - 8} follow the 8-byte length`);
  if (n === 0) err('the header is empty; it must be a JSON object');
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(u8.subarray(8, 8 + n));
  } catch {
    return err('the header is not valid UTF-8');
  }
  if (text[0] !== '{') err(`the header must start with '{' but starts with ${JSON.stringify(text.slice(0, 16))}: not a safetensors file`);
  let header: Map<string, unknown>;
  try {
    header = parseJson(text) as Map<string, unknown>;
  } catch (e) {
    return err(`the header is not valid JSON: ${(e as Error).message}`);
  }
  if (!(header instanceof Map)) return err('the header must be a JSON object');

  const dataLen = u8.length - 8 - n;
  const metadata: Record<string, string> = {};
  const infos: Info[] = [];
  for (const [name, v] of header) {
    if (name === '__metadata__') {
      if (!(v instanceof Map)) err(`'__metadata__' must be an object of strings, got ${describe(v)}`);
      for (const [k, s] of v as Map<string, unknown>) {
        if (typeof s !== 'string') err(`'__metadata__' entry '${k}' must be a string, got ${describe(s)}`);
        put(metadata, k, s as string);
      }
      continue;
    }
    const t = `tensor '${name}'`;
    if (!(v instanceof Map)) return err(`${t}: expected { dtype, shape, data_offsets }, got ${describe(v)}`);
    const dtype = v.get('dtype');
    const shape = v.get('shape');
    const offs = v.get('data_offsets');
    if (typeof dtype !== 'string') return err(`${t}: 'dtype' must be a string, got ${describe(dtype)}`);
    if (!(dtype in NATIVE) && !(convert && dtype in CONVERTED)) {
      const also = !convert && dtype in CONVERTED ? ` (${dtype} is read by conversion, which { convert: false } turned off)` : '';
      err(`${t}: unsupported dtype '${dtype}'${also}; kiln reads ${convert ? SUPPORTED : 'F32, I32, U32, BOOL'}`);
    }
    if (!isDims(shape)) return err(`${t}: 'shape' must be an array of non-negative integers, got ${describe(shape)}`);
    if (!Array.isArray(offs) || offs.length !== 2 || !isDims(offs)) return err(`${t}: 'data_offsets' must be [begin, end] (non-negative integers), got ${describe(offs)}`);
    const [begin, end] = offs;
    if (begin > end) err(`${t}: data_offsets [${begin},${end}] are out of order (begin after end)`);
    if (end > dataLen) err(`truncated file: ${t}: data_offsets [${begin},${end}] run past the end of the data (${dataLen} bytes after the header)`);
    const size = dtype in NATIVE ? (dtype === 'BOOL' ? 1 : 4) : CONVERTED[dtype][1];
    const want = numel(shape) * size;
    if (end - begin !== want) err(`${t}: ${dtype} ${fmt(shape)} needs ${want} bytes but data_offsets [${begin},${end}] hold ${end - begin}`);
    infos.push({ name, dtype, shape, begin, end });
  }

  const sorted = [...infos].sort((a, b) => a.begin - b.begin || a.end - b.end);
  let pos = 0;
  let prev: Info | null = null;
  for (const i of sorted) {
    const at = `tensor '${i.name}' data_offsets [${i.begin},${i.end}]`;
    const after = prev ? `tensor '${prev.name}' ends at ${pos}` : 'the data starts at 0';
    if (i.begin < pos) err(`${at} overlap the previous tensor's bytes (${after})`);
    if (i.begin > pos) err(`${at} leave a gap of ${i.begin - pos} bytes (${after}); tensors must be contiguous`);
    pos = i.end;
    prev = i;
  }
  if (pos !== dataLen) err(`${dataLen - pos} unexpected bytes after the last tensor's data (the data section is ${dataLen} bytes, the tensors cover ${pos})`);

  const base = 8 + n;
  const tensors: Record<string, DecodedSafetensor> = {};
  for (const i of infos) {
    const dv = new DataView(u8.buffer, u8.byteOffset + base + i.begin, i.end - i.begin);
    put(tensors, i.name, { dtype: NATIVE[i.dtype] ?? CONVERTED[i.dtype][0], shape: i.shape, data: readValues(i, u8.subarray(base + i.begin, base + i.end), dv, err), sourceDtype: i.dtype });
  }
  return { tensors, metadata };
}

function readValues(i: Info, raw: Uint8Array, dv: DataView, err: (m: string) => never): TypedArray {
  const count = numel(i.shape);
  const copy = () => { const b = new Uint8Array(raw.length); b.set(raw); return b.buffer; };
  switch (i.dtype) {
    case 'BOOL': {
      const out = new Uint8Array(copy());
      const bad = out.findIndex((b) => b > 1);
      if (bad >= 0) err(`tensor '${i.name}': BOOL value ${bad} is byte ${out[bad]}; booleans must be 0 or 1`);
      return out;
    }
    case 'F32': return LITTLE ? new Float32Array(copy()) : Float32Array.from({ length: count }, (_, k) => dv.getFloat32(4 * k, true));
    case 'I32': return LITTLE ? new Int32Array(copy()) : Int32Array.from({ length: count }, (_, k) => dv.getInt32(4 * k, true));
    case 'U32': return LITTLE ? new Uint32Array(copy()) : Uint32Array.from({ length: count }, (_, k) => dv.getUint32(4 * k, true));
    case 'F16': return Float32Array.from({ length: count }, (_, k) => float16ToNumber(dv.getUint16(2 * k, true)));
    case 'BF16': {
      const bits = new Uint32Array(count);
      for (let k = 0; k < count; k++) bits[k] = dv.getUint16(2 * k, true) << 16;
      return new Float32Array(bits.buffer);
    }
    case 'F64': return Float32Array.from({ length: count }, (_, k) => dv.getFloat64(8 * k, true));
    case 'I8': return Int32Array.from({ length: count }, (_, k) => dv.getInt8(k));
    case 'I16': return Int32Array.from({ length: count }, (_, k) => dv.getInt16(2 * k, true));
    case 'U8': return Uint32Array.from({ length: count }, (_, k) => dv.getUint8(k));
    case 'U16': return Uint32Array.from({ length: count }, (_, k) => dv.getUint16(2 * k, true));
    case 'I64': case 'U64': {
      const signed = i.dtype === 'I64';
      const out = signed ? new Int32Array(count) : new Uint32Array(count);
      for (let k = 0; k < count; k++) {
        const v = signed ? dv.getBigInt64(8 * k, true) : dv.getBigUint64(8 * k, true);
        if (signed ? v < -0x80000000n || v > 0x7fffffffn : v > 0xffffffffn) {
          err(`tensor '${i.name}': ${i.dtype} value ${k} is ${v}, which does not fit in kiln's ${signed ? 'int32' : 'uint32'}`);
        }
        out[k] = Number(v);
      }
      return out;
    }
  }
  return err(`tensor '${i.name}': unsupported dtype '${i.dtype}'`);
}

function describe(v: unknown): string {
  if (v instanceof Map) return 'an object';
  const s = JSON.stringify(v, (_, x) => (x instanceof Map ? Object.fromEntries(x) : x));
  return s === undefined ? String(v) : s.length > 60 ? `${s.slice(0, 57)}...` : s;
}
