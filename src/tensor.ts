// Tensors, the global engine, and memory scopes (tidy/dispose/keep), in tfjs-core's vocabulary.
import { Engine } from './gpu/runtime.ts';
import type { BufferPool } from './gpu/buffer_pool.ts';

export type DType = 'float32' | 'int32' | 'uint32' | 'bool';
export type TypedArray = Float32Array | Int32Array | Uint32Array | Uint8Array;
export type Shape = readonly number[];

export const DTYPES: readonly DType[] = ['float32', 'int32', 'uint32', 'bool'];

/** WGSL scalar type used to store a dtype (bool is stored as u32 0/1). */
export function wgslType(d: DType): 'f32' | 'i32' | 'u32' {
  return d === 'float32' ? 'f32' : d === 'int32' ? 'i32' : 'u32';
}

export function sizeOf(shape: Shape): number {
  let n = 1;
  for (const s of shape) n *= s;
  return n;
}

export function fmtShape(shape: Shape): string {
  return `[${shape.join(',')}]`;
}

/** A GPU buffer shared by a tensor and its reshaped views. */
export class Storage {
  refs = 1;
  /** the pool of the engine that allocated the buffer (a new engine after device loss has its own) */
  constructor(public buffer: GPUBuffer, public bytes: number, public pool: BufferPool) {}
}

let ENGINE: Engine | null = null;
let READY: Promise<Engine> | null = null;
let nextId = 1;
let liveTensors = 0;
let internalTensors = 0;
let liveBytes = 0;
const scopes: Set<Tensor>[] = [];
const observers: Tensor[][] = [];
/** Set by the autograd tape: tensors it still needs survive tidy() until the backward pass. */
let tidyGuard: ((t: Tensor) => boolean) | null = null;
export function setTidyGuard(g: ((t: Tensor) => boolean) | null): void { tidyGuard = g; }
const spare = (t: Tensor) => t.kept || (tidyGuard !== null && tidyGuard(t));

function releaseStorage(s: Storage): void {
  if (--s.refs === 0) {
    liveBytes -= s.bytes;
    s.pool.release(s.buffer);
  }
}

const registry = new FinalizationRegistry<Storage>((s) => {
  // Safety net for tensors that were dropped without dispose(): give the buffer back.
  liveTensors--;
  releaseStorage(s);
});

/** Initialise the GPU (idempotent). Must be awaited once before any op. */
export async function ready(): Promise<Engine> {
  if (ENGINE) {
    try {
      ENGINE.checkAlive('ready');
      return ENGINE;
    } catch {
      ENGINE = null;
      READY = null;
    }
  }
  READY ??= Engine.create().then((e) => (ENGINE = e));
  try {
    return await READY;
  } catch (e) {
    READY = null;
    throw e;
  }
}

export function engine(): Engine {
  if (!ENGINE) throw new Error('kiln: the GPU is not initialised: call `await kiln.ready()` before creating tensors or running ops');
  return ENGINE;
}

export function hasEngine(): boolean {
  return ENGINE !== null;
}

export class Tensor {
  readonly id = nextId++;
  readonly size: number;
  private _disposed = false;
  private _kept = false;
  private _internal = false;

  constructor(readonly shape: readonly number[], readonly dtype: DType, protected _storage: Storage) {
    this.size = sizeOf(shape);
    liveTensors++;
    registry.register(this, _storage, this);
    for (const o of observers) o.push(this);
    const top = scopes[scopes.length - 1];
    if (top) top.add(this);
  }

  get rank(): number { return this.shape.length; }
  get storage(): Storage { return this._storage; }
  get isDisposed(): boolean { return this._disposed; }
  get buffer(): GPUBuffer {
    this.assertAlive('use');
    return this.storage.buffer;
  }

  assertAlive(op: string): void {
    if (this._disposed) {
      throw new Error(`kiln: ${op}: tensor #${this.id} (shape ${fmtShape(this.shape)}, ${this.dtype}) was disposed; keep it (kiln.keep) or clone it before it is disposed`);
    }
    if (ENGINE && this._storage.pool !== ENGINE.pool) {
      const what = this instanceof Tensor && 'name' in this ? `variable '${(this as unknown as { name: string }).name}'` : `tensor #${this.id}`;
      throw new Error(`kiln: ${op}: ${what} (shape ${fmtShape(this.shape)}, ${this.dtype}) was made on a GPU device that was lost; kiln.ready() replaced the device, so make the tensor again (or load it from a checkpoint) and dispose the old one`);
    }
  }

  /** Read the values back (flushes pending GPU work). bool reads as Uint8Array, as in tfjs. */
  async data(): Promise<TypedArray> {
    this.assertAlive('data');
    const e = engine();
    const bytes = this.size * 4;
    if (bytes === 0) return emptyOf(this.dtype);
    const buf = await e.read(this.storage.buffer, bytes, 'data');
    switch (this.dtype) {
      case 'float32': return new Float32Array(buf);
      case 'int32': return new Int32Array(buf);
      case 'uint32': return new Uint32Array(buf);
      case 'bool': return Uint8Array.from(new Uint32Array(buf));
    }
  }

  /** Values as nested arrays in the tensor's shape. */
  async array(): Promise<unknown> {
    const d = Array.from(await this.data());
    return nest(d, this.shape);
  }

  dispose(): void {
    if (this._disposed) return;
    this._disposed = true;
    if (this._internal) internalTensors--;
    else liveTensors--;
    registry.unregister(this);
    releaseStorage(this.storage);
  }

  toString(): string {
    return `Tensor#${this.id}(${fmtShape(this.shape)}, ${this.dtype}${this._disposed ? ', disposed' : ''})`;
  }

  /** @internal Variable.assign: take over storage `s` (one reference), releasing the old one. */
  protected replaceStorage(s: Storage): void {
    registry.unregister(this);
    releaseStorage(this._storage);
    this._storage = s;
    registry.register(this, s, this);
  }

  /** @internal used by keep() */
  markKept(): void { this._kept = true; }
  /** @internal kiln's own long-lived tensors (cached scalars): kept, and not reported as leaks */
  markInternal(): this {
    if (!this._internal) { liveTensors--; internalTensors++; }
    this._kept = true;
    this._internal = true;
    return this;
  }
  get internal(): boolean { return this._internal; }
  get kept(): boolean { return this._kept; }
}

function emptyOf(d: DType): TypedArray {
  return d === 'float32' ? new Float32Array(0) : d === 'int32' ? new Int32Array(0) : d === 'uint32' ? new Uint32Array(0) : new Uint8Array(0);
}

function nest(d: number[], shape: Shape): unknown {
  if (shape.length === 0) return d[0];
  if (shape.length === 1) return d;
  const inner = sizeOf(shape.slice(1));
  const out: unknown[] = [];
  for (let i = 0; i < shape[0]; i++) out.push(nest(d.slice(i * inner, (i + 1) * inner), shape.slice(1)));
  return out;
}

/** A new tensor with fresh (uninitialised) storage; used by ops for outputs. */
export function empty(shape: Shape, dtype: DType, forUpload = false): Tensor {
  const e = engine();
  const bytes = Math.max(4, sizeOf(shape) * 4);
  const limit = e.info.limits.maxStorageBufferBindingSize;
  if (bytes > limit) {
    throw new Error(`kiln: a tensor of shape ${fmtShape(shape)} needs ${bytes} bytes, more than this adapter can bind (maxStorageBufferBindingSize ${limit}); split the work into smaller tensors`);
  }
  const buf = e.pool.acquire(bytes, forUpload);
  liveBytes += sizeOf(shape) * 4;
  return new Tensor(shape.slice(), dtype, new Storage(buf, sizeOf(shape) * 4, e.pool));
}

/** A new tensor sharing `t`'s storage with another shape of the same size (reshape is free). */
export function view(t: Tensor, shape: Shape, dtype: DType = t.dtype): Tensor {
  t.assertAlive('reshape');
  t.storage.refs++;
  return new Tensor(shape.slice(), dtype, t.storage);
}

// ---- scopes ----

type Container = Tensor | Container[] | { [k: string]: Container } | unknown;

function collect(x: Container, out: Set<Tensor>): void {
  if (x instanceof Tensor) out.add(x);
  else if (Array.isArray(x)) for (const v of x) collect(v, out);
  else if (x && typeof x === 'object' && !(ArrayBuffer.isView(x))) for (const v of Object.values(x)) collect(v, out);
}

/**
 * Run `fn`, then dispose every tensor it created except those it returns (in any nesting of
 * arrays and plain objects) and those passed to keep(). Like tf.tidy; `fn` must be synchronous.
 */
export function tidy<T>(fn: () => T): T;
export function tidy<T>(name: string, fn: () => T): T;
export function tidy<T>(a: string | (() => T), b?: () => T): T {
  const fn = typeof a === 'function' ? a : b!;
  const scope = new Set<Tensor>();
  scopes.push(scope);
  let result: T;
  try {
    result = fn();
  } catch (e) {
    scopes.pop();
    for (const t of scope) if (!spare(t)) t.dispose();
    throw e;
  }
  scopes.pop();
  if (result && typeof (result as { then?: unknown }).then === 'function') {
    throw new Error('kiln: tidy: the function returned a Promise; tidy only takes synchronous functions (await outside it)');
  }
  const keepSet = new Set<Tensor>();
  collect(result, keepSet);
  const parent = scopes[scopes.length - 1];
  for (const t of scope) {
    if (keepSet.has(t)) {
      if (parent) parent.add(t);
    } else if (!spare(t)) t.dispose();
    else if (parent && !t.kept) parent.add(t); // held by the tape: the outer scope decides later
  }
  return result;
}

/** Exempt a tensor from the enclosing tidy() scopes. */
export function keep<T extends Tensor>(t: T): T {
  t.markKept();
  return t;
}

/** Dispose a tensor, or every tensor in an array/object. */
export function dispose(x: Container): void {
  const s = new Set<Tensor>();
  collect(x, s);
  for (const t of s) t.dispose();
}

/** Start listing every tensor created from now on (synchronous use; see endCapture). */
export function beginCapture(): Tensor[] {
  const list: Tensor[] = [];
  observers.push(list);
  return list;
}

export function endCapture(list: Tensor[]): void {
  const i = observers.indexOf(list);
  if (i >= 0) observers.splice(i, 1);
}

/**
 * Run `fn` and list every tensor created meanwhile (for leak checks that, unlike live counts,
 * are not disturbed by the garbage collector reclaiming unrelated tensors).
 */
export async function observeTensors<T>(fn: () => T | Promise<T>): Promise<{ result: T; created: Tensor[]; leaked: Tensor[] }> {
  const created: Tensor[] = [];
  observers.push(created);
  try {
    const result = await fn();
    const keepSet = new Set<Tensor>();
    collect(result, keepSet);
    return { result, created, leaked: created.filter((t) => !t.isDisposed && !t.internal && !keepSet.has(t)) };
  } finally {
    observers.splice(observers.indexOf(created), 1);
  }
}

/**
 * An LRU cache of kiln's own long-lived tensors (cached scalars, index maps): entries are internal
 * (kept out of tidy, not reported as leaks), evicted ones are disposed, and entries made on an
 * engine that a device loss replaced are rebuilt.
 */
export class InternalTensorCache {
  private map = new Map<string, Tensor>();
  constructor(private capacity: number) {}

  get(key: string, make: () => Tensor): Tensor {
    let t = this.map.get(key);
    if (t && !t.isDisposed && ENGINE && t.storage.pool === ENGINE.pool) {
      this.map.delete(key); // re-insert: the map's order is least recently used first
      this.map.set(key, t);
      return t;
    }
    t?.dispose();
    t = make().markInternal();
    this.map.set(key, t);
    if (this.map.size > this.capacity) {
      const [oldKey, old] = this.map.entries().next().value as [string, Tensor];
      this.map.delete(oldKey);
      old.dispose();
    }
    return t;
  }
}

export interface MemoryInfo {
  /** tensors created and not yet disposed (kiln's own cached scalars are counted apart) */
  numTensors: number;
  /** kiln's own long-lived tensors: scalars cached for numbers used as operands */
  internalTensors: number;
  /** bytes held by live tensors */
  numBytes: number;
  /** bytes held by the pool for reuse */
  pooledBytes: number;
  /** bytes of GPU buffers allocated in all */
  allocatedBytes: number;
  /** GPU buffers created since start */
  buffersCreated: number;
}

export function memory(): MemoryInfo {
  const p = ENGINE?.pool;
  return {
    numTensors: liveTensors,
    internalTensors,
    numBytes: liveBytes,
    pooledBytes: p?.pooledBytes ?? 0,
    allocatedBytes: p?.allocatedBytes ?? 0,
    buffersCreated: p?.created ?? 0,
  };
}
