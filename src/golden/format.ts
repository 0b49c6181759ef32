// Golden-vector files (test/golden/README.md): finding them in a directory, parsing and
// validating them. Everything that can be wrong with a file or a case becomes a message here, so
// the runner reports a FAIL instead of crashing on bad input.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';

export type GoldenDType = 'float32' | 'int32';

export interface GoldenTensor {
  shape: number[];
  dtype: GoldenDType;
  /** row-major values; float32 data may hold NaN/±Infinity (Python's json writes them bare) */
  data: Float32Array | Int32Array;
}

export type Tensors<T> = Record<string, T>;

export interface Tolerance { rtol: number; atol: number }

export interface GoldenCase {
  name: string;
  params: Record<string, unknown>;
  inputs: Tensors<GoldenTensor>;
  outputs: Tensors<GoldenTensor>;
  upstream: Tensors<GoldenTensor>;
  grads: Tensors<GoldenTensor>;
  aux: Tensors<GoldenTensor>;
  tolerance: Tolerance;
}

/** A case that could not be read: the runner reports it as a FAIL with `error`. */
export interface BadCase { name: string; error: string }

export interface GoldenFile {
  /** file name inside the directory */
  file: string;
  /** the file's `family` field; null when the file itself could not be read */
  family: string | null;
  /** set when the whole file is unusable (unreadable, bad JSON, no family/cases) */
  error?: string;
  cases: (GoldenCase | BadCase)[];
}

export function isBadCase(c: GoldenCase | BadCase): c is BadCase {
  return (c as BadCase).error !== undefined;
}

/** Case files of a directory: every *.json except MANIFEST.json, sorted; subdirectories are not searched. */
export function listCaseFiles(dir: string): string[] {
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch (e) {
    throw new Error(`kiln golden: cannot read directory ${dir}: ${(e as Error).message}`);
  }
  return names
    .filter((f) => f.toLowerCase().endsWith('.json') && f !== 'MANIFEST.json')
    .filter((f) => { try { return statSync(join(dir, f)).isFile(); } catch { return false; } })
    .sort();
}

export function loadGoldenFile(dir: string, file: string): GoldenFile {
  let text: string;
  try {
    text = readFileSync(join(dir, file), 'utf8');
  } catch (e) {
    return { file, family: null, error: `cannot read file: ${(e as Error).message}`, cases: [] };
  }
  return parseGoldenFile(text, file);
}

const NONFINITE: Record<string, number> = { __kiln_NaN__: NaN, __kiln_Infinity__: Infinity, '__kiln_-Infinity__': -Infinity };

/**
 * JSON.parse, also accepting the bare NaN / Infinity / -Infinity that Python's json module writes
 * (a CTC loss with an impossible alignment is +inf, for example). They become sentinel strings
 * that tensor decoding turns back into numbers.
 */
export function parseJsonAllowingNonFinite(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch (first) {
    if (!/NaN|Infinity/.test(text)) throw first;
    let out = '';
    let inString = false;
    for (let i = 0; i < text.length; i++) {
      const ch = text[i];
      if (inString) {
        out += ch;
        if (ch === '\\') { out += text[++i] ?? ''; } else if (ch === '"') inString = false;
        continue;
      }
      if (ch === '"') { inString = true; out += ch; continue; }
      const tok = ['-Infinity', 'Infinity', 'NaN'].find((t) => text.startsWith(t, i));
      if (tok) { out += `"__kiln_${tok}__"`; i += tok.length - 1; continue; }
      out += ch;
    }
    try {
      return JSON.parse(out);
    } catch {
      throw first;
    }
  }
}

export function parseGoldenFile(text: string, file: string): GoldenFile {
  let doc: unknown;
  try {
    doc = parseJsonAllowingNonFinite(text);
  } catch (e) {
    return { file, family: null, error: `bad JSON: ${(e as Error).message}`, cases: [] };
  }
  if (!isObject(doc)) return { file, family: null, error: 'the file is not a JSON object with "family" and "cases"', cases: [] };
  if (typeof doc.family !== 'string' || !doc.family) return { file, family: null, error: 'missing or empty "family" (a string naming the op family)', cases: [] };
  if (!Array.isArray(doc.cases)) return { file, family: doc.family, error: 'missing "cases" (an array of cases)', cases: [] };
  const cases = doc.cases.map((c, i) => {
    const name = isObject(c) && typeof c.name === 'string' && c.name ? c.name : `${file}#${i}`;
    try {
      return parseCase(c, i);
    } catch (e) {
      return { name, error: (e as Error).message };
    }
  });
  return { file, family: doc.family, cases };
}

function parseCase(c: unknown, index: number): GoldenCase {
  if (!isObject(c)) throw new Error(`case ${index} is not an object`);
  if (typeof c.name !== 'string' || !c.name) throw new Error(`case ${index} has no "name"`);
  if (c.params !== undefined && !isObject(c.params)) throw new Error('"params" must be an object');
  for (const k of ['params', 'inputs', 'outputs', 'tolerance']) {
    if (c[k] === undefined) throw new Error(`missing "${k}"`);
  }
  const outputs = tensorGroup(c, 'outputs');
  if (!Object.keys(outputs).length) throw new Error('"outputs" is empty: nothing to check');
  return {
    name: c.name,
    params: c.params as Record<string, unknown>,
    inputs: tensorGroup(c, 'inputs'),
    outputs,
    upstream: tensorGroup(c, 'upstream'),
    grads: tensorGroup(c, 'grads'),
    aux: tensorGroup(c, 'aux'),
    tolerance: tolerance(c.tolerance),
  };
}

function tolerance(t: unknown): Tolerance {
  if (!isObject(t)) throw new Error('"tolerance" must be an object {rtol, atol}');
  for (const k of ['rtol', 'atol'] as const) {
    const v = t[k];
    if (typeof v !== 'number' || !Number.isFinite(v) || v < 0) throw new Error(`tolerance.${k} must be a non-negative number, got ${JSON.stringify(v)}`);
  }
  return { rtol: t.rtol as number, atol: t.atol as number };
}

function tensorGroup(c: Record<string, unknown>, group: string): Tensors<GoldenTensor> {
  const g = c[group];
  if (g === undefined) return {};
  if (!isObject(g)) throw new Error(`"${group}" must be an object of name -> tensor`);
  const out: Tensors<GoldenTensor> = {};
  for (const [name, t] of Object.entries(g)) out[name] = decodeTensor(t, `${group}.${name}`);
  return out;
}

function decodeTensor(t: unknown, what: string): GoldenTensor {
  if (!isObject(t)) throw new Error(`${what} is not a tensor {shape, dtype, data}`);
  const { shape, dtype, data } = t;
  if (!Array.isArray(shape) || shape.some((d) => !Number.isInteger(d) || d < 0)) {
    throw new Error(`${what}: "shape" must be an array of non-negative integers, got ${JSON.stringify(shape)}`);
  }
  if (dtype !== 'float32' && dtype !== 'int32') throw new Error(`${what}: dtype must be "float32" or "int32", got ${JSON.stringify(dtype)}`);
  if (!Array.isArray(data)) throw new Error(`${what}: "data" must be a flat array of numbers`);
  const n = (shape as number[]).reduce((a, b) => a * b, 1);
  if (data.length !== n) {
    throw new Error(`${what}: data has ${data.length} values but shape ${JSON.stringify(shape)} needs ${n}`);
  }
  const arr = dtype === 'float32' ? new Float32Array(n) : new Int32Array(n);
  for (let i = 0; i < n; i++) {
    const v = typeof data[i] === 'string' && data[i] in NONFINITE ? NONFINITE[data[i]] : data[i];
    if (typeof v !== 'number') throw new Error(`${what}: data[${i}] is ${JSON.stringify(v)}, not a number`);
    if (dtype === 'int32' && !(Number.isInteger(v) && v >= -2147483648 && v <= 2147483647)) {
      throw new Error(`${what}: data[${i}] = ${v} is not an int32`);
    }
    arr[i] = v;
  }
  return { shape: shape as number[], dtype, data: arr };
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}
