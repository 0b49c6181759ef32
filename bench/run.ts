// `npm run bench`: kiln against TensorFlow.js's WebGPU backend, on the same Dawn adapter in one
// process, timed with benchmark.js. What is measured and how: bench/README.md.
//
//   npm run bench -- [--filter REGEX] [--json FILE] [--quick] [--no-tfjs] [--list]
import { createRequire } from 'node:module';
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { pathToFileURL, fileURLToPath } from 'node:url';
import { availableParallelism, loadavg } from 'node:os';
import { spawnSync } from 'node:child_process';
import { create, globals } from 'webgpu';
import * as kiln from '../src/index.ts';
import { engine } from '../src/tensor.ts';
import { SUITES } from './suites/index.ts';
import { uniform, type KilnOps, type Sampling, type Suite, type TF, type TFTensor } from './suites/suite.ts';

// ---- command line ----

interface Args { filter: RegExp | null; json: string | null; quick: boolean; tfjs: boolean; list: boolean }

function parseArgs(argv: string[]): Args {
  const a: Args = { filter: null, json: null, quick: false, tfjs: true, list: false };
  for (let i = 0; i < argv.length; i++) {
    const [flag, inline] = argv[i].split(/=(.*)/s, 2);
    const value = (): string => {
      const v = inline ?? argv[++i];
      if (v === undefined) usage(`${flag} needs a value`);
      return v;
    };
    if (flag === '--filter') a.filter = new RegExp(value());
    else if (flag === '--json') a.json = value();
    else if (flag === '--quick') a.quick = true;
    else if (flag === '--no-tfjs') a.tfjs = false;
    else if (flag === '--list') a.list = true;
    else if (flag === '--help' || flag === '-h') usage();
    else usage(`unknown argument '${argv[i]}'`);
  }
  return a;
}

function usage(error?: string): never {
  if (error) console.error(`bench: ${error}`);
  console.error('usage: npm run bench -- [--filter REGEX] [--json FILE] [--quick] [--no-tfjs] [--list]');
  process.exit(error ? 2 : 0);
}

// ---- benchmark.js (CommonJS, no bundled types: the part used here) ----

interface Deferred { resolve(): void }
interface BenchmarkJs {
  stats: { sample: number[] };
  run(options: { async: boolean }): void;
  abort(): void;
}
type BenchmarkCtor = new (name: string, options: {
  defer: true; fn: (d: Deferred) => void; minSamples: number; maxTime: number; minTime: number;
  initCount: number; delay: number; onComplete: () => void; onError: (e: { message?: unknown }) => void;
}) => BenchmarkJs;
const Benchmark = createRequire(import.meta.url)('benchmark') as BenchmarkCtor;

/**
 * Median ms of `step` (one run, GPU work finished). A tiny minTime makes every benchmark.js sample
 * one run, so the median is that of single runs rather than of cycle means.
 */
function measure(name: string, step: () => Promise<void>, s: Sampling): Promise<{ ms: number; samples: number }> {
  return new Promise((resolve, reject) => {
    const b: BenchmarkJs = new Benchmark(name, {
      defer: true,
      fn: (d) => { step().then(() => d.resolve(), (e) => { reject(e); b.abort(); }); },
      minSamples: s.min,
      maxTime: s.maxTime,
      minTime: 1e-9,
      initCount: 1,
      delay: 0,
      onComplete: () => {
        const xs = [...b.stats.sample].sort((p, q) => p - q);
        if (!xs.length) return reject(new Error('benchmark.js collected no samples'));
        const mid = xs.length >> 1;
        const sec = xs.length % 2 ? xs[mid] : (xs[mid - 1] + xs[mid]) / 2;
        resolve({ ms: sec * 1e3, samples: xs.length });
      },
      onError: (e) => reject(e.message instanceof Error ? e.message : new Error(String(e.message))),
    });
    b.run({ async: true });
  });
}

// ---- the two libraries ----

/** One library's side of a suite: its inputs, one timed run, one run read back for the check. */
export interface Side { step(): Promise<void>; values(): Promise<ArrayLike<number>>; dispose(): void }

export async function kilnSide(s: Suite, data: Float32Array[]): Promise<Side> {
  const done = s.setup?.kiln ? await s.setup.kiln() : () => {};
  const ops = kiln as unknown as KilnOps;
  const x = s.inputs.map((inp, i) => kiln.tensor(data[i], inp.shape));
  const eng = engine();
  const run = () => kiln.tidy(() => s.kiln(ops, x));
  return {
    async step() { const y = run(); await eng.sync(); y.dispose(); },
    async values() { const y = run(); try { return await y.data(); } finally { y.dispose(); } },
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
  const run = () => tf.tidy(() => s.tfjs(tf, x));
  return {
    async step() { const y = run(); await tfjsSync(tf); y.dispose(); },
    async values() { const y = run(); try { return await y.data(); } finally { y.dispose(); } },
    dispose() { tf.dispose(x); done(); },
  };
}

/**
 * tfjs-core, its gradients and tfjs-webgpu as one ES module with a single tfjs-core instance.
 * Node's own resolution cannot load tfjs-core's ESM build (directory imports), and its CommonJS
 * build has no gradients (the umbrella 'tfjs' package registers them), so esbuild bundles the
 * ESM sources once into .bench/ (rebuilt when the installed versions change).
 */
async function tfjsBundle(): Promise<string> {
  const { build } = await import('esbuild');
  const { readFileSync, existsSync, mkdirSync, writeFileSync } = await import('node:fs');
  const root = fileURLToPath(new URL('..', import.meta.url));
  const ver = (p: string) => JSON.parse(readFileSync(join(root, 'node_modules', p, 'package.json'), 'utf8')).version;
  const tag = `${ver('@tensorflow/tfjs-core')}-${ver('@tensorflow/tfjs-backend-webgpu')}`;
  const dir = join(root, '.bench');
  const out = join(dir, `tfjs-webgpu-${tag}.mjs`);
  if (existsSync(out)) return out;
  mkdirSync(dir, { recursive: true });
  const entry = join(dir, 'tfjs-entry.mjs');
  writeFileSync(entry, [
    "export * from '@tensorflow/tfjs-core';",
    "import '@tensorflow/tfjs-core/dist/register_all_gradients';",
    "import '@tensorflow/tfjs-backend-webgpu';",
  ].join('\n'));
  await build({
    entryPoints: [entry], bundle: true, format: 'esm', platform: 'node', outfile: out,
    mainFields: ['module', 'main'], logLevel: 'error', nodePaths: [join(root, 'node_modules')],
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

function describeAdapter(device: GPUDevice): string {
  const i = (device as GPUDevice & { adapterInfo?: GPUAdapterInfo }).adapterInfo;
  if (!i) return 'unknown';
  return [i.vendor, i.architecture, i.description || i.device].filter(Boolean).join(' / ');
}

// ---- one suite ----

type Outcome = { ms: number; samples: number; values: ArrayLike<number> } | { note: string };

function quickSampling(s: Sampling): Sampling {
  return { min: Math.min(3, Math.max(2, Math.ceil(s.min / 4))), maxTime: Math.min(s.maxTime, 0.25) };
}

async function runSide(label: string, make: () => Promise<Side>, s: Suite, args: Args): Promise<Outcome> {
  let side: Side | null = null;
  try {
    side = await make();
    const t0 = performance.now();
    const values = await side.values(); // first run: compiles the shaders
    for (let i = 1; i < (s.warmup ?? 2); i++) await side.step();
    const warm = (performance.now() - t0) / 1e3;
    const base = s.sampling ?? { min: 10, maxTime: 2 };
    const r = await measure(`${s.name} ${label}`, () => side!.step(), args.quick ? quickSampling(base) : base);
    progress(`  ${label.padEnd(12)} ${fmtMs(r.ms).padStart(10)} ms   median of ${r.samples} (warm-up ${warm.toFixed(1)} s)`);
    return { ...r, values };
  } catch (e) {
    const note = `failed: ${(e as Error).message ?? e}`.split('\n')[0];
    progress(`  ${label.padEnd(12)} ${note}`);
    return { note };
  } finally {
    try { side?.dispose(); } catch { /* the failure above is the one to report */ }
  }
}

/** max |a - b| / max |b|, the check between the two libraries' outputs. */
function relErr(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length) return Infinity;
  let d = 0, m = 0;
  for (let i = 0; i < a.length; i++) {
    const e = Math.abs(a[i] - b[i]);
    if (!(e <= d)) d = e; // NaN propagates
    m = Math.max(m, Math.abs(b[i]));
  }
  return d === 0 ? 0 : d / (m || 1);
}

interface Row {
  name: string;
  kiln_ms: number | null;
  tfjs_webgpu_ms: number | null;
  ratio: number | null;
  /** matmul suites: GFLOP/s (2·M·N·K per run) */
  kiln_gflops?: number | null;
  tfjs_webgpu_gflops?: number | null;
  /** memory-bound suites: GB/s (bytes read + written per run) */
  kiln_gbps?: number | null;
  tfjs_webgpu_gbps?: number | null;
  kiln_samples: number;
  tfjs_webgpu_samples: number;
  check: string;
  kiln_note?: string;
  tfjs_webgpu_note?: string;
}

function rate(s: Suite, ms: number | null): number | null {
  if (ms === null) return null;
  const w = 'flops' in s.work ? s.work.flops : s.work.bytes;
  return w / (ms / 1e3) / 1e9;
}

async function runSuite(s: Suite, pos: string, tf: TF | null, tfNote: string, args: Args): Promise<Row> {
  const work = 'flops' in s.work ? `${(s.work.flops / 1e9).toPrecision(3)} GFLOP` : `${(s.work.bytes / 1e6).toPrecision(3)} MB`;
  progress(`[${pos}] ${s.name} (${work} per run)`);
  const seed = 1000 * SUITES.indexOf(s);
  const data = s.inputs.map((inp, j) => uniform(inp.shape.reduce((p, q) => p * q, 1), inp.min ?? -1, inp.max ?? 1, seed + j + 1));
  const ops = kiln as unknown as Record<string, unknown>;
  const missing = s.needs.filter((n) => typeof ops[n] !== 'function');
  let k: Outcome;
  if (missing.length) {
    k = { note: `skipped: ${missing.map((n) => `kiln.${n}`).join(', ')} not exported yet` };
    progress(`  ${'kiln'.padEnd(12)} ${k.note}`);
  } else {
    k = await runSide('kiln', () => kilnSide(s, data), s, args);
  }
  if (tf && s.tfjsSkip) progress(`  ${'tfjs-webgpu'.padEnd(12)} skipped: ${s.tfjsSkip}`);
  const t: Outcome = tf && s.tfjsSkip ? { note: `skipped: ${s.tfjsSkip}` } : tf ? await runSide('tfjs-webgpu', () => tfjsSide(tf, s, data), s, args) : { note: tfNote };
  const kms = 'ms' in k ? k.ms : null;
  const tms = 'ms' in t ? t.ms : null;
  let check = '-';
  if ('values' in k && 'values' in t) {
    const err = relErr(k.values, t.values);
    const tol = s.tol ?? 1e-4;
    check = err <= tol ? 'ok' : `MISMATCH (rel err ${err.toPrecision(2)} > ${tol})`;
    if (err > tol) progress(`  check        ${check}`);
  }
  const row: Row = {
    name: s.name,
    kiln_ms: round(kms),
    tfjs_webgpu_ms: round(tms),
    ratio: kms !== null && tms !== null ? round(tms / kms) : null,
    ...('flops' in s.work
      ? { kiln_gflops: round(rate(s, kms)), tfjs_webgpu_gflops: round(rate(s, tms)) }
      : { kiln_gbps: round(rate(s, kms)), tfjs_webgpu_gbps: round(rate(s, tms)) }),
    kiln_samples: 'samples' in k ? k.samples : 0,
    tfjs_webgpu_samples: 'samples' in t ? t.samples : 0,
    check,
  };
  if ('note' in k) row.kiln_note = k.note;
  if ('note' in t) row.tfjs_webgpu_note = t.note;
  return row;
}

// ---- output ----

function progress(line: string): void { console.log(line); }
function round(x: number | null): number | null { return x === null ? null : Number(x.toPrecision(4)); }
function fmtMs(ms: number): string { return ms >= 100 ? ms.toFixed(0) : ms >= 10 ? ms.toFixed(1) : ms >= 1 ? ms.toFixed(2) : ms.toFixed(3); }

function table(rows: Row[]): string {
  const head = ['suite', 'kiln ms', 'kiln', 'tfjs-webgpu ms', 'tfjs-webgpu', 'ratio', 'samples k/t', 'check'];
  const body = rows.map((r) => {
    const unit = 'kiln_gflops' in r ? 'GFLOP/s' : 'GB/s';
    const fmtRate = (x: number | null | undefined) => (x == null ? '-' : `${x >= 100 ? x.toFixed(0) : x >= 10 ? x.toFixed(1) : x.toFixed(2)} ${unit}`);
    return [
      r.name,
      r.kiln_ms === null ? (r.kiln_note?.startsWith('skipped') ? 'skipped' : 'failed') : fmtMs(r.kiln_ms),
      fmtRate(r.kiln_gflops ?? r.kiln_gbps),
      r.tfjs_webgpu_ms === null ? (r.tfjs_webgpu_note?.startsWith('skipped') ? 'skipped' : 'failed') : fmtMs(r.tfjs_webgpu_ms),
      fmtRate(r.tfjs_webgpu_gflops ?? r.tfjs_webgpu_gbps),
      r.ratio === null ? '-' : `${r.ratio.toFixed(2)}x`,
      `${r.kiln_samples}/${r.tfjs_webgpu_samples}`,
      r.check,
    ];
  });
  const w = head.map((h, i) => Math.max(h.length, ...body.map((b) => b[i].length)));
  const line = (cells: string[]) => `| ${cells.map((c, i) => (i === 0 || i >= 6 ? c.padEnd(w[i]) : c.padStart(w[i]))).join(' | ')} |`;
  const rule = `|${w.map((n, i) => (i === 0 || i >= 6 ? `:${'-'.repeat(n + 1)}` : `${'-'.repeat(n + 1)}:`)).join('|')}|`;
  const notes = rows.flatMap((r) => [
    r.kiln_note ? `- ${r.name}, kiln: ${r.kiln_note}` : null,
    r.tfjs_webgpu_note ? `- ${r.name}, tfjs-webgpu: ${r.tfjs_webgpu_note}` : null,
  ].filter((x): x is string => x !== null));
  return [line(head), rule, ...body.map(line), ...(notes.length ? ['', ...notes] : [])].join('\n');
}

// ---- main ----

async function main(): Promise<number> {
  const args = parseArgs(process.argv.slice(2));
  const suites = SUITES.filter((s) => !args.filter || args.filter.test(s.name));
  if (args.list) { for (const s of suites) console.log(s.name); return 0; }
  // the FST part (kiln's transducers vs OpenFst's command-line tools, CPU only) runs after the
  // tensor suites, in its own process: bench/fst.ts
  const wantFst = !args.filter || args.filter.test('fst');
  if (!suites.length && !wantFst) usage(`--filter ${args.filter} matches no suite; names: ${SUITES.map((s) => s.name).join(', ')}, fst`);
  if (!suites.length) return runFst(args);

  await kiln.ready();
  const kilnAdapter = describeAdapter(engine().device);
  let tf: TF | null = null;
  let tfNote = 'skipped: --no-tfjs';
  let tfAdapter = '-';
  if (args.tfjs) {
    try {
      ({ tf, adapter: tfAdapter } = await setupTfjs());
    } catch (e) {
      tfNote = `tfjs-webgpu did not initialise: ${(e as Error).message ?? e}`.split('\n')[0];
    }
  }
  const started = new Date();
  // Other processes on the CPUs (lavapipe runs on them) move the numbers: say how busy they were.
  const load = loadavg().map((x) => x.toFixed(2)).join(' ');
  progress(`kiln bench ${started.toISOString()}  node ${process.version}  ${availableParallelism()} CPUs, load ${load}${args.quick ? '  --quick' : ''}`);
  progress(`adapter (kiln):        ${kilnAdapter}`);
  progress(`adapter (tfjs-webgpu): ${tf ? `${tfAdapter}  (tf.getBackend() = '${tf.getBackend()}', tfjs-core ${tf.version_core})` : tfNote}`);
  if (tf && tfAdapter !== kilnAdapter) progress('warning: the two libraries are on different adapters');
  progress(`${suites.length} suite(s); each run = op + wait for the GPU queue (engine().sync() / onSubmittedWorkDone)\n`);

  const rows: Row[] = [];
  for (const [i, s] of suites.entries()) rows.push(await runSuite(s, `${i + 1}/${suites.length}`, tf, tfNote, args));
  const secs = (Date.now() - started.getTime()) / 1e3;

  progress(`\n${table(rows)}\n\nratio = tfjs-webgpu ms / kiln ms (above 1: kiln is faster); median ms per run; ${secs.toFixed(0)} s in all`);
  if (args.json) {
    mkdirSync(dirname(args.json), { recursive: true });
    writeFileSync(args.json, JSON.stringify(rows, null, 2) + '\n');
    progress(`wrote ${args.json}`);
  }
  return wantFst ? runFst(args) : 0;
}

function runFst(args: Args): number {
  progress('\n== FST: kiln vs OpenFst (bench/fst.ts)');
  const r = spawnSync(process.execPath, ['--import', 'tsx', join(dirname(fileURLToPath(import.meta.url)), 'fst.ts'), ...(args.quick ? ['--quick'] : [])], { stdio: 'inherit' });
  return r.status ?? 1;
}

// Dawn keeps the event loop alive: exit explicitly once the results are out. Not when imported
// (bench/lab/depthwise_interleaved.ts uses the two sides above).
if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  main().then((code) => process.exit(code), (e) => { console.error(e); process.exit(1); });
}
