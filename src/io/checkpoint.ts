// Checkpoints: tensors <-> safetensors bytes (saveTensors/loadTensors, browser and Node), and
// files of variables plus optimizer state (saveCheckpoint/loadCheckpoint, Node only: node:fs is
// imported inside them, so the browser bundle only fails if they are called). docs/checkpoint.md.
import { Tensor, fmtShape, type DType } from '../tensor.ts';
import { tensor as makeTensor } from '../ops/creation.ts';
import { fail, assertTensor } from '../ops/util.ts';
import { Variable, variables as liveVariables } from '../autograd/variable.ts';
import { encodeSafetensors, decodeSafetensors, SAFETENSORS_DTYPE, type SafetensorsEntry, type DecodedSafetensor } from './safetensors.ts';

export * from './safetensors.ts';

/** Optimizer state is stored under this prefix, next to the variables, in one file. */
export const OPTIMIZER_PREFIX = 'optimizer/';

function own<T>(o: Record<string, T>, k: string, v: T): void {
  Object.defineProperty(o, k, { value: v, enumerable: true, writable: true, configurable: true });
}

/** Read the tensors back from the GPU and serialize them (with string metadata) as safetensors. */
export async function saveTensors(tensors: Record<string, Tensor>, metadata?: Record<string, string>): Promise<Uint8Array> {
  return save('saveTensors', tensors, metadata);
}

async function save(op: string, tensors: Record<string, Tensor>, metadata?: Record<string, string>): Promise<Uint8Array> {
  if (!tensors || typeof tensors !== 'object') fail(op, `expected a record of tensors, got ${tensors === null ? 'null' : typeof tensors}`);
  const list = Object.entries(tensors);
  for (const [name, t] of list) {
    if (!(t instanceof Tensor)) fail(op, `'${name}' must be a kiln Tensor, got ${t === null ? 'null' : typeof t}`);
    assertTensor(op, name, t);
  }
  const datas = await Promise.all(list.map(([, t]) => t.data()));
  const entries: Record<string, SafetensorsEntry> = {};
  list.forEach(([name, t], i) => own(entries, name, { dtype: t.dtype, shape: t.shape, data: datas[i] }));
  return encodeSafetensors(entries, metadata, op);
}

/** Parse safetensors bytes into new tensors (F16/BF16/F64/I64/... are converted, see decodeSafetensors). */
export function loadTensors(bytes: Uint8Array | ArrayBuffer): Record<string, Tensor> {
  const { tensors } = decodeSafetensors(bytes, {}, 'loadTensors');
  return upload('loadTensors', tensors, '');
}

/** New tensors from decoded entries; all or none (created ones are disposed on failure). */
function upload(op: string, decoded: Record<string, DecodedSafetensor>, source: string, rename = (k: string) => k): Record<string, Tensor> {
  const out: Record<string, Tensor> = {};
  try {
    for (const [name, e] of Object.entries(decoded)) {
      try {
        own(out, rename(name), makeTensor(e.data, e.shape, e.dtype));
      } catch (err) {
        fail(op, `${source}tensor '${name}' (${fmtShape(e.shape)} ${e.dtype}): ${(err as Error).message}`);
      }
    }
  } catch (err) {
    for (const t of Object.values(out)) t.dispose();
    throw err;
  }
  return out;
}

// ---- checkpoint files (Node) ----

export interface CheckpointSaveOptimizer { state(): Record<string, Tensor> }
export interface CheckpointLoadOptimizer { loadState(state: Record<string, Tensor>): unknown }

export interface SaveCheckpointOptions {
  /** what to save: variables (by their names) or a record of tensors; default every live variable */
  variables?: Variable[] | Record<string, Tensor>;
  /** its state() is saved under `optimizer/<key>` */
  optimizer?: CheckpointSaveOptimizer;
  metadata?: Record<string, string>;
}

export interface LoadCheckpointOptions {
  /** where to load: variables (by their names) or a record name -> Variable; default every live variable */
  variables?: Variable[] | Record<string, Tensor>;
  /** receives the `optimizer/` tensors, prefix removed (new tensors it owns); {} when the file has none */
  optimizer?: CheckpointLoadOptimizer;
  /** true (default): a missing or unexpected name, or a shape/dtype mismatch, is an error and nothing is assigned */
  strict?: boolean;
}

export interface LoadCheckpointResult {
  metadata: Record<string, string>;
  /** variables assigned */
  loaded: string[];
  /** variables the file has no tensor for (left unchanged) */
  missing: string[];
  /** tensors of the file (outside `optimizer/`) that match no variable (ignored) */
  unexpected: string[];
  /** variables whose tensor in the file has another shape or dtype (left unchanged) */
  mismatched: string[];
  /** keys passed to optimizer.loadState */
  optimizerState: string[];
}

function named(op: string, v: Variable[] | Record<string, Tensor> | undefined): [string, Tensor][] {
  if (v === undefined) return liveVariables().map((x) => [x.name, x]);
  if (Array.isArray(v)) {
    const seen = new Set<string>();
    return v.map((x, i) => {
      if (!(x instanceof Variable)) fail(op, `variables[${i}] is not a kiln Variable (${x === null ? 'null' : typeof x}); pass a record { name: tensor } to name plain tensors`);
      if (seen.has(x.name)) fail(op, `variable '${x.name}' is listed twice`);
      seen.add(x.name);
      return [x.name, x] as [string, Tensor];
    });
  }
  if (!v || typeof v !== 'object') fail(op, `variables must be an array of Variables or a record of tensors, got ${v === null ? 'null' : typeof v}`);
  return Object.entries(v);
}

/**
 * Optimizer state is keyed by Variable.name, which for module parameters carries a per-process
 * counter (`linear_3.weight`): a new model of the same shape has other names. When the variables
 * are given as a record (a module's stateDict()), the optimizer's per-variable keys are written
 * under the record's stable names and mapped back to the live variables' names on load, so a
 * resumed run gets its Adam moments back. Keys with no match pass through unchanged.
 */
function stableNames(v: Variable[] | Record<string, Tensor> | undefined, dir: 'save' | 'load'): Map<string, string> {
  const m = new Map<string, string>();
  if (!v || Array.isArray(v) || typeof v !== 'object') return m;
  for (const [key, t] of Object.entries(v)) if (t instanceof Variable) m.set(dir === 'save' ? t.name : key, dir === 'save' ? key : t.name);
  return m;
}

function renameSlot(key: string, names: Map<string, string>): string {
  const cut = key.lastIndexOf('/');
  if (cut <= 0) return key;
  const to = names.get(key.slice(0, cut));
  return to === undefined ? key : `${to}${key.slice(cut)}`;
}

/**
 * Write variables (and an optimizer's state, under `optimizer/`) to a safetensors file, atomically:
 * the bytes go to a temporary file next to `path`, which is synced and then renamed over `path`.
 */
export async function saveCheckpoint(path: string, options: SaveCheckpointOptions = {}): Promise<void> {
  const op = 'saveCheckpoint';
  if (typeof path !== 'string' || !path) fail(op, `path must be a non-empty string, got ${JSON.stringify(path)}`);
  const all: Record<string, Tensor> = {};
  for (const [name, t] of named(op, options.variables)) {
    if (name.startsWith(OPTIMIZER_PREFIX)) fail(op, `'${name}': names starting with '${OPTIMIZER_PREFIX}' are reserved for optimizer state`);
    own(all, name, t);
  }
  if (options.optimizer) {
    if (typeof options.optimizer.state !== 'function') fail(op, 'optimizer must have a state() method returning a record of tensors');
    const st = options.optimizer.state();
    if (!st || typeof st !== 'object') fail(op, `optimizer.state() must return a record of tensors, got ${st === null ? 'null' : typeof st}`);
    const rename = stableNames(options.variables, 'save');
    for (const [k, t] of Object.entries(st)) own(all, OPTIMIZER_PREFIX + renameSlot(k, rename), t);
  }
  const bytes = await save(op, all, options.metadata);

  const fs = await import('node:fs/promises');
  const tmp = `${path}.tmp-${(globalThis as { process?: { pid: number } }).process?.pid ?? 0}-${Math.random().toString(36).slice(2, 10)}`;
  let fh: Awaited<ReturnType<typeof fs.open>> | undefined;
  try {
    fh = await fs.open(tmp, 'wx');
    await fh.writeFile(bytes);
    await fh.sync();
    await fh.close();
    fh = undefined;
    await fs.rename(tmp, path);
  } catch (e) {
    await fh?.close().catch(() => {});
    await fs.rm(tmp, { force: true }).catch(() => {});
    fail(op, `cannot write ${path}: ${(e as Error).message}`);
  }
}

/**
 * Read a checkpoint written by saveCheckpoint (or any safetensors file) and assign its tensors to
 * the variables of the same name (Variable.assign); `optimizer/` tensors go to optimizer.loadState.
 * In strict mode (default) everything is checked before anything is assigned.
 */
export async function loadCheckpoint(path: string, options: LoadCheckpointOptions = {}): Promise<LoadCheckpointResult> {
  const op = 'loadCheckpoint';
  if (typeof path !== 'string' || !path) fail(op, `path must be a non-empty string, got ${JSON.stringify(path)}`);
  const strict = options.strict ?? true;
  const targets = named(op, options.variables);
  for (const [name, t] of targets) {
    if (!(t instanceof Variable)) fail(op, `'${name}' is a plain Tensor; loading assigns into Variables (kiln.variable)`);
    t.assertAlive(op);
  }
  if (options.optimizer && typeof options.optimizer.loadState !== 'function') fail(op, 'optimizer must have a loadState(state) method');

  const fs = await import('node:fs/promises');
  let bytes: Uint8Array;
  try {
    bytes = await fs.readFile(path);
  } catch (e) {
    return fail(op, `cannot read ${path}: ${(e as Error).message}`);
  }
  const { tensors, metadata } = decodeSafetensors(bytes, {}, op, path);

  const found = new Map<string, DecodedSafetensor>();
  const optState: Record<string, DecodedSafetensor> = {};
  for (const [name, e] of Object.entries(tensors)) {
    if (name.startsWith(OPTIMIZER_PREFIX)) own(optState, name.slice(OPTIMIZER_PREFIX.length), e);
    else found.set(name, e);
  }
  const res: LoadCheckpointResult = { metadata, loaded: [], missing: [], unexpected: [], mismatched: [], optimizerState: [] };
  const problems: string[] = [];
  const desc = (shape: readonly number[], dtype: DType) => `${fmtShape(shape)} ${dtype}`;
  const want = new Set<string>();
  const todo: [string, Variable, DecodedSafetensor][] = [];
  for (const [name, v] of targets as [string, Variable][]) {
    want.add(name);
    const e = found.get(name);
    if (!e) {
      res.missing.push(name);
      problems.push(`'${name}': expected ${desc(v.shape, v.dtype)}, not found in the file`);
    } else if (e.dtype !== v.dtype || e.shape.length !== v.shape.length || e.shape.some((d, i) => d !== v.shape[i])) {
      res.mismatched.push(name);
      const src = e.sourceDtype !== SAFETENSORS_DTYPE[e.dtype] ? ` (${e.sourceDtype} in the file)` : '';
      problems.push(`'${name}': expected ${desc(v.shape, v.dtype)}, found ${desc(e.shape, e.dtype)}${src}`);
    } else todo.push([name, v, e]);
  }
  for (const [name, e] of found) {
    if (!want.has(name)) {
      res.unexpected.push(name);
      problems.push(`'${name}': unexpected (${desc(e.shape, e.dtype)} in the file, no such variable)`);
    }
  }
  if (strict && problems.length) {
    const shown = problems.slice(0, 20).map((p) => `\n  ${p}`).join('') + (problems.length > 20 ? `\n  ... and ${problems.length - 20} more` : '');
    fail(op, `${path} does not match the variables (${problems.length} problem${problems.length > 1 ? 's' : ''}; nothing was loaded; pass strict: false to load what matches):${shown}`);
  }

  for (const [name, v, e] of todo) {
    const t = makeTensor(e.data, e.shape, e.dtype);
    try {
      v.assign(t);
    } finally {
      t.dispose();
    }
    res.loaded.push(name);
  }
  if (options.optimizer) {
    const back = stableNames(options.variables, 'load');
    const renamed: Record<string, DecodedSafetensor> = {};
    for (const [k, e] of Object.entries(optState)) own(renamed, renameSlot(k, back), e);
    const rec = upload(op, renamed, `${path}: optimizer state `);
    res.optimizerState = Object.keys(rec);
    try {
      await options.optimizer.loadState(rec);
    } catch (e) {
      for (const t of Object.values(rec)) if (!t.isDisposed && !t.kept) t.dispose();
      fail(op, `${path}: optimizer.loadState failed: ${(e as Error).message}`);
    }
  }
  return res;
}
