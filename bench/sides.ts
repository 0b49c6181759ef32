// The two libraries' sides of a suite, on the same Dawn adapter in one process: kiln, and
// tfjs-core + tfjs-webgpu (with tfjs-layers' and tfjs-converter's model loaders) bundled once.
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { create, globals } from 'webgpu';
import * as kiln from '../src/index.ts';
import { engine } from '../src/tensor.ts';
import { uniform, type KilnOps, type Suite, type TF, type TFTensor } from './suites/suite.ts';
import type { Tensor } from '../src/index.ts';

/** One library's side of a suite: its inputs, one timed run, one run read back for the check. */
export interface Side { step(): Promise<void>; values(): Promise<Float32Array>; dispose(): void }

/** A suite's output(s) as one array: several tensors concatenated in order. */
async function readAll(ys: { data(): Promise<ArrayLike<number>> }[]): Promise<Float32Array> {
  const parts = await Promise.all(ys.map((y) => y.data()));
  const out = new Float32Array(parts.reduce((n, p) => n + p.length, 0));
  let o = 0;
  for (const p of parts) { out.set(p, o); o += p.length; }
  return out;
}

const list = <T>(y: T | T[]): T[] => (Array.isArray(y) ? y : [y]);

export async function kilnSide(s: Suite, data: Float32Array[]): Promise<Side> {
  const done = s.setup?.kiln ? await s.setup.kiln() : () => {};
  const ops = kiln as unknown as KilnOps;
  const x = s.inputs.map((inp, i) => kiln.tensor(data[i], inp.shape));
  const eng = engine();
  const run = (): Tensor[] => list(kiln.tidy(() => s.kiln(ops, x)));
  return {
    async step() { const y = run(); await eng.sync(); kiln.dispose(y); },
    async values() { const y = run(); try { return await readAll(y); } finally { kiln.dispose(y); } },
    dispose() { kiln.dispose(x); done(); },
  };
}

/** The parts of tfjs-webgpu's WebGPUBackend used to wait for its GPU work. */
interface WebGPUBackendLike {
  device: GPUDevice;
  queue: GPUQueue;
  commandEncoder: GPUCommandEncoder | null;
  endComputePassEncoder(): void;
  submitQueue(): void;
}

// Dawn's GPU object for tfjs. Module-level: dawn.node crashes if it is garbage-collected.
let TFJS_GPU: GPU | null = null;

/** Submit what tfjs has recorded and wait for the queue: the same as kiln's engine().sync(). */
async function tfjsSync(tf: TF): Promise<void> {
  const b = tf.backend() as unknown as WebGPUBackendLike;
  if (b.commandEncoder) { b.endComputePassEncoder(); b.submitQueue(); }
  await b.queue.onSubmittedWorkDone();
}

export async function tfjsSide(tf: TF, s: Suite, data: Float32Array[]): Promise<Side> {
  const done = s.setup?.tfjs ? await s.setup.tfjs(tf) : () => {};
  const x = s.inputs.map((inp, i) => tf.tensor(data[i], inp.shape, 'float32'));
  const run = (): TFTensor[] => list(tf.tidy(() => s.tfjs(tf, x)));
  return {
    async step() { const y = run(); await tfjsSync(tf); tf.dispose(y); },
    async values() { const y = run(); try { return await readAll(y); } finally { tf.dispose(y); } },
    dispose() { tf.dispose(x); done(); },
  };
}

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const version = (p: string): string => JSON.parse(readFileSync(join(ROOT, 'node_modules', p, 'package.json'), 'utf8')).version;

/**
 * tfjs-core, its gradients, tfjs-webgpu and the layers/graph model loaders as one ES module with
 * a single tfjs-core instance. Node's own resolution cannot load tfjs-core's ESM build (directory
 * imports), and its CommonJS build has no gradients (the umbrella 'tfjs' package registers them),
 * so esbuild bundles the ESM sources once into .bench/ (rebuilt when the installed versions change).
 */
async function tfjsBundle(): Promise<string> {
  const pkgs = ['tfjs-core', 'tfjs-backend-webgpu', 'tfjs-layers', 'tfjs-converter'];
  const tag = pkgs.map((p) => version(`@tensorflow/${p}`)).join('-');
  const dir = join(ROOT, '.bench');
  const out = join(dir, `tfjs-webgpu-models-${tag}.mjs`);
  if (existsSync(out)) return out;
  const { build } = await import('esbuild');
  mkdirSync(dir, { recursive: true });
  const entry = join(dir, 'tfjs-entry.mjs');
  writeFileSync(entry, [
    "export * from '@tensorflow/tfjs-core';",
    "import '@tensorflow/tfjs-core/dist/register_all_gradients';",
    "import '@tensorflow/tfjs-backend-webgpu';",
    "export { loadLayersModel } from '@tensorflow/tfjs-layers';",
    "export { loadGraphModel } from '@tensorflow/tfjs-converter';",
  ].join('\n'));
  await build({
    entryPoints: [entry], bundle: true, format: 'esm', platform: 'node', outfile: out,
    mainFields: ['module', 'main'], logLevel: 'error', nodePaths: [join(ROOT, 'node_modules')],
    // CommonJS dependencies inside require Node built-ins: give the ES module a require()
    banner: { js: "import { createRequire as kilnCreateRequire } from 'node:module'; const require = kilnCreateRequire(import.meta.url);" },
  });
  return out;
}

/** Registers tfjs-webgpu on a Dawn GPU object of its own (same adapter) and selects it. */
export async function setupTfjs(): Promise<{ tf: TF; adapter: string }> {
  Object.assign(globalThis, globals);
  TFJS_GPU ??= create([]);
  // tfjs-webgpu registers its backend at import time, only if navigator.gpu exists then.
  Object.defineProperty(globalThis, 'navigator', { value: { gpu: TFJS_GPU }, configurable: true, writable: true });
  const tf = (await import(pathToFileURL(await tfjsBundle()).href)) as unknown as TF;
  // Small inputs still on the CPU may otherwise be computed there: keep every op on the GPU.
  tf.env().set('WEBGPU_CPU_FORWARD', false);
  if (!(await tf.setBackend('webgpu'))) throw new Error('tf.setBackend("webgpu") returned false');
  await tf.ready();
  if (tf.getBackend() !== 'webgpu') throw new Error(`tfjs chose backend '${tf.getBackend()}', not 'webgpu'`);
  return { tf, adapter: describeAdapter((tf.backend() as unknown as WebGPUBackendLike).device) };
}

export function describeAdapter(device: GPUDevice): string {
  const i = (device as GPUDevice & { adapterInfo?: GPUAdapterInfo }).adapterInfo;
  if (!i) return 'unknown';
  return [i.vendor, i.architecture, i.description || i.device].filter(Boolean).join(' / ');
}

/** FNV-1a of the name: a suite's input seed, stable when suites are added or reordered. */
function seedOf(name: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < name.length; i++) h = Math.imul(h ^ name.charCodeAt(i), 0x01000193) >>> 0;
  return h;
}

/** The suite's input values (seeded uniform), the same for both libraries and every run. */
export function suiteData(s: Suite): Float32Array[] {
  const seed = seedOf(s.name);
  return s.inputs.map((inp, j) => uniform(inp.shape.reduce((p, q) => p * q, 1), inp.min ?? -1, inp.max ?? 1, (seed + j + 1) >>> 0));
}
