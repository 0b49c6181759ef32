// Reading a TensorFlow.js model.json: plain JSON, or the JS wrappers some npm packages ship
// (browserify/UMD bundles whose one module does `x.exports = {...}` or `x.exports = "base64..."`).
//
// The wrappers are not evaluated: the literal after `.exports=` is read by a small parser for the
// subset of JavaScript a minifier emits for data (objects with bare or quoted keys, arrays,
// strings, numbers, true/false/null, `!0`/`!1`, `void 0`). Evaluating a file from node_modules
// would run whatever code it holds; this reads data only, and refuses anything else.

import { KilnOpError } from '../../ops/util.ts';

export type ModelFormat = 'layers' | 'graph';

export interface WeightEntry {
  name: string;
  shape: number[];
  dtype: string;
  quantization?: { dtype: string; scale?: number; min?: number; original_dtype?: string };
  /** a string/complex tensor group; not supported */
  group?: string;
}

export interface WeightGroup { paths: string[]; weights: WeightEntry[] }

export interface ModelJson {
  format: ModelFormat;
  modelTopology: Record<string, unknown>;
  weightsManifest: WeightGroup[];
  signature?: Record<string, unknown>;
  /** where it came from, for error messages */
  source: string;
}

/** A model that cannot be imported or run; a KilnOpError ('kiln.loadTfjsModel: ...'). */
export class TfjsImportError extends KilnOpError {
  constructor(message: string, op = 'loadTfjsModel') {
    super(op, message);
    this.name = 'TfjsImportError';
  }
}

/** Parses one JS data literal starting at `start`; returns the value and the index after it. */
export function parseJsLiteral(text: string, start = 0): { value: unknown; end: number } {
  let i = start;
  const err = (what: string): never => {
    const near = JSON.stringify(text.slice(i, i + 30));
    throw new TfjsImportError(`cannot read the JS data literal at character ${i} (near ${near}): expected ${what}`);
  };
  const ws = () => {
    for (;;) {
      const c = text.charCodeAt(i);
      if (c === 32 || c === 9 || c === 10 || c === 13) i++;
      else if (c === 47 && text[i + 1] === '*') { const e = text.indexOf('*/', i + 2); if (e < 0) err('the end of a comment'); i = e + 2; }
      else if (c === 47 && text[i + 1] === '/') { const e = text.indexOf('\n', i); i = e < 0 ? text.length : e + 1; }
      else return;
    }
  };
  let nextBs = -1; // the next backslash at or after i (Infinity: none left)
  const str = (): string => {
    const q = text[i];
    let out = '';
    i++;
    for (;;) {
      if (i >= text.length) err(`a closing ${q}`);
      const c = text[i];
      if (c === q) { i++; return out; }
      if (c === '\\') {
        const n = text[i + 1];
        const simple: Record<string, string> = { n: '\n', r: '\r', t: '\t', b: '\b', f: '\f', v: '\v', '0': '\0', '\\': '\\', '"': '"', "'": "'", '/': '/', '\n': '' };
        if (n === 'u') {
          if (text[i + 2] === '{') { const e = text.indexOf('}', i); out += String.fromCodePoint(parseInt(text.slice(i + 3, e), 16)); i = e + 1; }
          else { out += String.fromCharCode(parseInt(text.slice(i + 2, i + 6), 16)); i += 6; }
        } else if (n === 'x') { out += String.fromCharCode(parseInt(text.slice(i + 2, i + 4), 16)); i += 4; }
        else if (n in simple) { out += simple[n]; i += 2; }
        else { out += n; i += 2; }
        continue;
      }
      // fast path: copy the run of plain characters up to the next quote or backslash
      if (nextBs < i) { nextBs = text.indexOf('\\', i); if (nextBs < 0) nextBs = Infinity; }
      let j = text.indexOf(q, i);
      if (j < 0) j = text.length;
      if (nextBs < j) j = nextBs;
      out += text.slice(i, j);
      i = j;
    }
  };
  const ident = (): string => {
    const m = /^[A-Za-z_$][\w$]*/.exec(text.slice(i, i + 256));
    if (!m) return err('a name');
    i += m[0].length;
    return m[0];
  };
  const num = (): number => {
    const m = /^-?(?:0[xX][0-9a-fA-F]+|(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?)/.exec(text.slice(i, i + 64));
    if (!m) return err('a number');
    i += m[0].length;
    return Number(m[0]);
  };
  const value = (depth: number): unknown => {
    if (depth > 200) err('less nesting');
    ws();
    const c = text[i];
    if (c === '{') {
      i++;
      const o: Record<string, unknown> = {};
      for (;;) {
        ws();
        if (text[i] === '}') { i++; return o; }
        const k = text[i] === '"' || text[i] === "'" ? str() : /[\d.]/.test(text[i]) ? String(num()) : ident();
        ws();
        if (text[i] !== ':') err('":"');
        i++;
        Object.defineProperty(o, k, { value: value(depth + 1), enumerable: true, writable: true, configurable: true });
        ws();
        if (text[i] === ',') { i++; continue; }
        if (text[i] === '}') { i++; return o; }
        err('"," or "}"');
      }
    }
    if (c === '[') {
      i++;
      const a: unknown[] = [];
      for (;;) {
        ws();
        if (text[i] === ']') { i++; return a; }
        a.push(value(depth + 1));
        ws();
        if (text[i] === ',') { i++; continue; }
        if (text[i] === ']') { i++; return a; }
        err('"," or "]"');
      }
    }
    if (c === '"' || c === "'") return str();
    if (c === '!') {
      if (text[i + 1] === '0') { i += 2; return true; }
      if (text[i + 1] === '1') { i += 2; return false; }
      err('!0 or !1');
    }
    if (c === '-' || c === '.' || (c >= '0' && c <= '9')) return num();
    const id = ident();
    if (id === 'true') return true;
    if (id === 'false') return false;
    if (id === 'null') return null;
    if (id === 'void') { ws(); num(); return undefined; }
    if (id === 'NaN') return NaN;
    if (id === 'Infinity') return Infinity;
    return err(`a data value (found the name ${id}: code, not data)`);
  };
  const v = value(0);
  return { value: v, end: i };
}

/**
 * The data a JS wrapper exports: the first `.exports = <literal>` (or `export default <literal>`)
 * whose literal parses and satisfies `accept`. Throws when there is none.
 */
export function extractJsExport<T>(text: string, source: string, accept: (v: unknown) => v is T): T {
  const re = /(?:\.exports|\bexport\s+default)\s*=?\s*(?=[{["'])/g;
  let m: RegExpExecArray | null;
  const errors: string[] = [];
  while ((m = re.exec(text))) {
    try {
      const { value } = parseJsLiteral(text, m.index + m[0].length);
      if (accept(value)) return value;
    } catch (e) {
      errors.push((e as Error).message);
    }
  }
  throw new TfjsImportError(`${source}: found no exported data literal of the expected kind${errors.length ? ` (${errors[0]})` : ''}; expected a model.json file or a JS wrapper doing module.exports = {...}`);
}

const isObj = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** Parses model.json text (JSON, or a JS wrapper around the same object). */
export function parseModelJsonText(text: string, source = 'model.json'): ModelJson {
  const t = text.replace(/^\uFEFF/, '').trimStart();
  let obj: unknown;
  if (t.startsWith('{')) {
    try { obj = JSON.parse(t); } catch (e) { throw new TfjsImportError(`${source}: not valid JSON: ${(e as Error).message}`); }
  } else {
    obj = extractJsExport(t, source, (v): v is Record<string, unknown> => isObj(v) && 'modelTopology' in v);
  }
  return normalizeModelJson(obj, source);
}

/** Checks the model.json object and works out its format. */
export function normalizeModelJson(obj: unknown, source = 'model.json'): ModelJson {
  if (!isObj(obj)) throw new TfjsImportError(`${source}: a model.json must be an object with modelTopology and weightsManifest`);
  const topo = obj.modelTopology;
  if (!isObj(topo)) throw new TfjsImportError(`${source}: missing modelTopology (is this a TensorFlow.js model.json?)`);
  let format: ModelFormat;
  if (obj.format === 'graph-model' || Array.isArray(topo.node)) format = 'graph';
  else if (obj.format === 'layers-model' || isObj(topo.model_config) || typeof topo.class_name === 'string') format = 'layers';
  else throw new TfjsImportError(`${source}: modelTopology has neither a Keras model_config (layers format) nor a node list (graph format)`);
  const man = obj.weightsManifest ?? [];
  if (!Array.isArray(man) || !man.every((g) => isObj(g) && Array.isArray(g.paths) && Array.isArray(g.weights))) {
    throw new TfjsImportError(`${source}: weightsManifest must be a list of { paths: [...], weights: [...] }`);
  }
  for (const g of man as WeightGroup[]) {
    for (const w of g.weights) {
      if (typeof w.name !== 'string' || !Array.isArray(w.shape) || typeof w.dtype !== 'string') {
        throw new TfjsImportError(`${source}: a weightsManifest entry lacks name/shape/dtype: ${JSON.stringify(w).slice(0, 200)}`);
      }
    }
  }
  return { format, modelTopology: topo, weightsManifest: man as WeightGroup[], signature: isObj(obj.signature) ? obj.signature : undefined, source };
}
