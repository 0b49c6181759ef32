// Engine-level API: flush, sync, profile, warmup, backend info, debug flags.
import { engine, tidy, ready } from './tensor.ts';
import type { DeviceInfo } from './gpu/device.ts';
import type { ProfileEntry, RecordedDispatch } from './gpu/runtime.ts';

/** Submit all recorded GPU work now (kiln otherwise submits on readback). */
export function flush(): void {
  engine().flush();
}

/** Wait until the GPU has finished all submitted work. */
export async function sync(): Promise<void> {
  await engine().sync();
}

/** Adapter, backend, features and limits of the device kiln runs on. */
export async function backendInfo(): Promise<DeviceInfo> {
  return (await ready()).info;
}

export interface ProfileResult<T> {
  result: T;
  /** one entry per dispatch, in order: kernel label and GPU milliseconds (timestamp queries) */
  kernels: ProfileEntry[];
  /** per kernel label: calls and total GPU ms, slowest first */
  byKernel: { kernel: string; calls: number; ms: number }[];
  /** sum of per-dispatch GPU times */
  totalMs: number;
  wallMs: number;
}

/**
 * Run `fn` with GPU timestamp queries around every dispatch (like tf.profile). Each dispatch gets
 * its own compute pass while profiling, so timings include a little pass overhead. Needs the
 * adapter's timestamp-query feature (see `kiln info`).
 */
export async function profile<T>(fn: () => T | Promise<T>): Promise<ProfileResult<T>> {
  const e = engine();
  e.beginProfile();
  const t0 = performance.now();
  let result: T;
  let kernels: ProfileEntry[] = [];
  try {
    result = await fn();
  } finally {
    kernels = await e.endProfile(); // leave profiling mode even when fn throws
  }
  const wallMs = performance.now() - t0;
  const agg = new Map<string, { kernel: string; calls: number; ms: number }>();
  for (const k of kernels) {
    const a = agg.get(k.kernel) ?? { kernel: k.kernel, calls: 0, ms: 0 };
    a.calls++;
    a.ms += k.ms;
    agg.set(k.kernel, a);
  }
  return {
    result,
    kernels,
    byKernel: [...agg.values()].sort((a, b) => b.ms - a.ms),
    totalMs: kernels.reduce((s, k) => s + k.ms, 0),
    wallMs,
  };
}

/**
 * Compile every pipeline `fn` uses before you time or serve it: a dry run of `fn` lists its
 * kernels without executing them, their pipelines are created asynchronously and in parallel
 * (createComputePipelineAsync), then one real run primes drivers that compile at the first
 * dispatch (software Vulkan). Tensors made by `fn` are disposed. Returns the number of distinct
 * pipelines `fn` uses.
 */
export async function warmup(fn: () => unknown): Promise<number> {
  const e = engine();
  const programs: RecordedDispatch[] = [];
  e.recording = programs;
  try {
    tidy(() => { fn(); });
  } finally {
    e.recording = null;
  }
  await e.compile(programs);
  e.takeUsedPipelines();
  tidy(() => { fn(); });
  await e.sync();
  return e.takeUsedPipelines();
}

export interface DebugOptions {
  /** print the final WGSL of every newly compiled shader, and GPU errors as they happen */
  shaders?: boolean;
  /**
   * check every float32 op output for NaN/Inf on the GPU (like tfjs's DEBUG flag or tfdbg's
   * has_inf_or_nan); the next readback throws an Error naming the first op that produced one.
   * Costs one extra dispatch per op.
   */
  checkNumerics?: boolean;
}

/** Debug switches; `setDebug(true)` turns all of them on. */
export function setDebug(opts: boolean | DebugOptions): void {
  const o = typeof opts === 'boolean' ? { shaders: opts, checkNumerics: opts } : opts;
  const e = engine();
  if (o.shaders !== undefined) e.debugShaders = o.shaders;
  if (o.checkNumerics !== undefined) e.checkNumerics = o.checkNumerics;
}
