// TensorFlow.js weight shards: reading the bytes (binary shards, or base64 strings in JS
// wrappers), joining each manifest group's shards, and decoding every tensor the manifest lists,
// including quantized ones:
//   quantization { dtype: 'uint8' | 'uint16', scale, min }  ->  value = q * scale + min
//   quantization { dtype: 'float16' }                       ->  IEEE half -> float32 (exact)
// Decoding happens on the CPU once, at load; the model uploads the (folded) results to the GPU.
import { float16ToNumber } from '../../util/numeric.ts';
import { TfjsImportError, extractJsExport, type WeightEntry, type WeightGroup } from './model_json.ts';

export type WeightDType = 'float32' | 'int32' | 'bool';

export interface DecodedWeight {
  name: string;
  shape: number[];
  dtype: WeightDType;
  values: Float32Array | Int32Array | Uint8Array;
}

/** Bytes one element of a stored tensor takes (after quantization, if any). */
function storedBytes(w: WeightEntry, source: string): number {
  const q = w.quantization?.dtype;
  if (q !== undefined) {
    if (q === 'uint8') return 1;
    if (q === 'uint16' || q === 'float16') return 2;
    throw new TfjsImportError(`${source}: weight ${w.name} has quantization dtype ${JSON.stringify(q)}; supported: uint8, uint16, float16`);
  }
  if (w.dtype === 'float32' || w.dtype === 'int32') return 4;
  if (w.dtype === 'bool') return 1;
  throw new TfjsImportError(`${source}: weight ${w.name} has dtype ${JSON.stringify(w.dtype)}; supported: float32, int32, bool (string and complex64 weights are not)`);
}

const numel = (s: number[]) => s.reduce((a, b) => a * b, 1);

/** IEEE 754 binary16 -> number (exact). */
export const float16ToFloat32 = float16ToNumber;

function dequantU8(q: Uint8Array, scale: number, min: number, out: Float32Array): void {
  for (let i = 0; i < q.length; i++) out[i] = q[i] * scale + min;
}

/** Decodes one tensor from `bytes` (exactly its stored bytes). */
export function decodeWeight(w: WeightEntry, bytes: Uint8Array, source = 'weights'): DecodedWeight {
  const n = numel(w.shape);
  const per = storedBytes(w, source);
  if (bytes.byteLength !== n * per) throw new TfjsImportError(`${source}: weight ${w.name} needs ${n * per} bytes, got ${bytes.byteLength}`);
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const dtype = w.dtype as WeightDType;
  const q = w.quantization;
  if (q) {
    if (dtype !== 'float32' && dtype !== 'int32') throw new TfjsImportError(`${source}: weight ${w.name}: quantized ${dtype} weights are not supported (float32 and int32 are)`);
    // each value computed in float64, rounded once when stored (float32) or by Math.round (int32)
    const out = dtype === 'float32' ? new Float32Array(n) : new Int32Array(n);
    const round = dtype === 'int32';
    if (q.dtype === 'float16') {
      for (let i = 0; i < n; i++) out[i] = float16ToFloat32(dv.getUint16(2 * i, true));
    } else {
      if (typeof q.scale !== 'number' || typeof q.min !== 'number') {
        throw new TfjsImportError(`${source}: weight ${w.name} is ${q.dtype}-quantized but its quantization lacks a numeric scale and min`);
      }
      const { scale, min } = q;
      if (q.dtype === 'uint8' && !round) dequantU8(bytes, scale, min, out as Float32Array);
      else if (q.dtype === 'uint8') for (let i = 0; i < n; i++) out[i] = Math.round(bytes[i] * scale + min);
      else for (let i = 0; i < n; i++) { const v = dv.getUint16(2 * i, true) * scale + min; out[i] = round ? Math.round(v) : v; }
    }
    return { name: w.name, shape: w.shape, dtype, values: out };
  }
  if (dtype === 'float32') {
    const v = new Float32Array(n);
    for (let i = 0; i < n; i++) v[i] = dv.getFloat32(4 * i, true);
    return { name: w.name, shape: w.shape, dtype, values: v };
  }
  if (dtype === 'int32') {
    const v = new Int32Array(n);
    for (let i = 0; i < n; i++) v[i] = dv.getInt32(4 * i, true);
    return { name: w.name, shape: w.shape, dtype, values: v };
  }
  return { name: w.name, shape: w.shape, dtype, values: bytes.slice() };
}

/** Concatenates shard buffers in order. */
export function concatShards(shards: (ArrayBuffer | Uint8Array)[]): Uint8Array {
  const parts = shards.map((s) => (s instanceof Uint8Array ? s : new Uint8Array(s)));
  const out = new Uint8Array(parts.reduce((a, p) => a + p.byteLength, 0));
  let o = 0;
  for (const p of parts) { out.set(p, o); o += p.byteLength; }
  return out;
}

/** Bytes a manifest group's weights occupy. */
export function groupBytes(g: WeightGroup, source = 'weights'): number {
  return g.weights.reduce((a, w) => a + numel(w.shape) * storedBytes(w, source), 0);
}

/** Decodes every weight of every group; `groupData[i]` holds group i's shards, concatenated. */
export function decodeWeights(manifest: WeightGroup[], groupData: Uint8Array[], source = 'weights'): Map<string, DecodedWeight> {
  const out = new Map<string, DecodedWeight>();
  manifest.forEach((g, gi) => {
    const data = groupData[gi];
    const need = groupBytes(g, source);
    if (!data || data.byteLength < need) {
      throw new TfjsImportError(`${source}: weight group ${gi} (${g.paths.join(', ')}) needs ${need} bytes for its ${g.weights.length} tensors, got ${data ? data.byteLength : 'none'}; are all shards there, in order?`);
    }
    let off = 0;
    for (const w of g.weights) {
      const len = numel(w.shape) * storedBytes(w, source);
      out.set(w.name, decodeWeight(w, data.subarray(off, off + len), source));
      off += len;
    }
    if (off !== data.byteLength) throw new TfjsImportError(`${source}: weight group ${gi} has ${data.byteLength} bytes but its manifest describes ${off}`);
  });
  return out;
}

/** Splits one buffer holding all groups back to back (tf.io.fromMemory's weightData) into groups. */
export function splitGroups(manifest: WeightGroup[], all: Uint8Array, source = 'weights'): Uint8Array[] {
  const out: Uint8Array[] = [];
  let off = 0;
  for (const g of manifest) {
    const n = groupBytes(g, source);
    out.push(all.subarray(off, off + n));
    off += n;
  }
  if (off !== all.byteLength) throw new TfjsImportError(`${source}: the weight data has ${all.byteLength} bytes but the manifest describes ${off}`);
  return out;
}

/**
 * The bytes of one shard file: binary as is; a JS wrapper (`module.exports = "base64..."`) or a
 * bare base64 text is decoded.
 */
export function shardBytes(file: Uint8Array, name: string): Uint8Array {
  const looksJs = /\.m?js$/.test(name) || /^\s*(?:!function|\(function|var |const |let |module\.exports|export |"use strict")/.test(new TextDecoder().decode(file.subarray(0, 64)));
  if (!looksJs) return file;
  const text = new TextDecoder().decode(file);
  const b64 = extractJsExport(text, name, (v): v is string => typeof v === 'string' && v.length > 0);
  return base64Bytes(b64, name);
}

type NodeBuffer = { from(s: string, enc: 'base64'): Uint8Array & { toString(enc: 'base64'): string } };
const NodeBuf = (globalThis as { Buffer?: NodeBuffer }).Buffer;

/** Strict base64 decoding (standard alphabet, optional padding; whitespace ignored); Node or browser. */
export function base64Bytes(s: string, name = 'base64'): Uint8Array {
  const t = /\s/.test(s) ? s.replace(/\s+/g, '') : s;
  const bad = () => new TfjsImportError(`${name}: the exported string is not base64 weight data`);
  if (NodeBuf) {
    const buf = NodeBuf.from(t, 'base64');
    // Node skips characters outside the alphabet; re-encoding and comparing catches them (native, fast)
    const unpad = (x: string) => x.replace(/=+$/, '');
    if (unpad(buf.toString('base64')) !== unpad(t)) throw bad();
    return new Uint8Array(buf.buffer, buf.byteOffset, buf.byteLength);
  }
  let bin: string;
  try { bin = atob(t); } catch { throw bad(); } // atob rejects characters outside the alphabet
  const out = new Uint8Array(bin.length);
  for (let i = 0; i < bin.length; i++) out[i] = bin.charCodeAt(i);
  return out;
}
