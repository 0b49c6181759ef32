// `npm run bench`: kiln against TensorFlow.js's WebGPU backend, both loaded in one process on the
// same Dawn adapter, timed interleaved round by round (bench/interleave.ts). What is measured and
// how: bench/README.md.
//
//   npm run bench -- [--filter REGEX] [--json FILE] [--quick] [--no-tfjs] [--repeat N] [--list]
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { pathToFileURL, fileURLToPath } from 'node:url';
import { availableParallelism, loadavg } from 'node:os';
import { spawnSync } from 'node:child_process';
import * as kiln from '../src/index.ts';
import { engine } from '../src/tensor.ts';
import { SUITES } from './suites/index.ts';
import type { Suite, TF } from './suites/suite.ts';
import { describeAdapter, kilnSide, setupTfjs, suiteData, tfjsSide, type Side } from './sides.ts';
import { interleave, median, quantile, type Plan, type SideResult } from './interleave.ts';
import { fmtLoad, fmtMs, fmtRatio, preamble, table, type Results, type Row, type RunInfo } from './format.ts';

// ---- command line ----

interface Args { filter: RegExp | null; json: string | null; quick: boolean; tfjs: boolean; list: boolean; repeat: number }

function parseArgs(argv: string[]): Args {
  const a: Args = { filter: null, json: null, quick: false, tfjs: true, list: false, repeat: 1 };
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
    else if (flag === '--repeat') {
      a.repeat = Number(value());
      if (!Number.isInteger(a.repeat) || a.repeat < 1) usage('--repeat needs a whole number >= 1');
    } else if (flag === '--help' || flag === '-h') usage();
    else usage(`unknown argument '${argv[i]}'`);
  }
  return a;
}

function usage(error?: string): never {
  if (error) console.error(`bench: ${error}`);
  console.error('usage: npm run bench -- [--filter REGEX] [--json FILE] [--quick] [--no-tfjs] [--repeat N] [--list]');
  process.exit(error ? 2 : 0);
}

/** The command as typed (near enough to paste): npm's when run through `npm run bench`. */
function commandLine(argv: string[]): string {
  const q = (s: string) => (/^[\w@%+=:,./-]+$/.test(s) ? s : `'${s.replace(/'/g, `'\\''`)}'`);
  const rest = argv.map(q).join(' ');
  if (process.env.npm_lifecycle_event === 'bench') return `npm run bench${rest ? ` -- ${rest}` : ''}`;
  return `node --import tsx bench/run.ts${rest ? ` ${rest}` : ''}`;
}

// ---- one suite ----

const BATCH_MS = 50;
const MAX_ROUNDS = 41;

function plan(s: Suite, quick: boolean): Plan {
  const base = s.sampling ?? { rounds: 9, maxTime: 2 };
  return {
    warmupRounds: Math.max(2, s.warmup ?? 2),
    minRounds: quick ? Math.min(3, base.rounds) : base.rounds,
    maxTime: quick ? 0 : base.maxTime,
    maxRounds: MAX_ROUNDS,
    batchMs: BATCH_MS,
    maxBatch: 200,
  };
}

/** max |a - b| and that over max |b|: the check between the two libraries' outputs. */
function diff(a: ArrayLike<number>, b: ArrayLike<number>): { abs: number; rel: number } {
  if (a.length !== b.length) return { abs: Infinity, rel: Infinity };
  let d = 0, m = 0;
  for (let i = 0; i < a.length; i++) {
    const e = Math.abs(a[i] - b[i]);
    if (!(e <= d)) d = e; // NaN propagates
    m = Math.max(m, Math.abs(b[i]));
  }
  return { abs: d, rel: d === 0 ? 0 : d / (m || 1) };
}

const fmtErr = (x: number): string => (x === 0 ? '0' : x.toExponential(1));

function round(x: number | null): number | null { return x === null || !Number.isFinite(x) ? x : Number(x.toPrecision(4)); }

function rateOf(s: Suite, ms: number | null): number | null {
  if (ms === null) return null;
  const w = 'flops' in s.work ? s.work.flops : s.work.bytes;
  return w > 0 ? w / (ms / 1e3) / 1e9 : null;
}

async function makeSide(make: () => Promise<Side>): Promise<Side | string> {
  try {
    return await make();
  } catch (e) {
    return `failed: ${(e as Error).message ?? e}`.split('\n')[0];
  }
}

async function runSuite(s: Suite, pos: string, tf: TF | null, tfNote: string, args: Args): Promise<Row> {
  const load1 = loadavg()[0];
  const t0 = performance.now();
  progress(`[${pos}] ${s.name} (load ${load1.toFixed(2)})`);
  const data = suiteData(s);
  const ops = kiln as unknown as Record<string, unknown>;
  const missing = s.needs.filter((n) => typeof ops[n] !== 'function');
  const notes: (string | undefined)[] = [undefined, undefined];
  const k = missing.length ? `skipped: ${missing.map((n) => `kiln.${n}`).join(', ')} not exported yet` : await makeSide(() => kilnSide(s, data));
  const t = !tf ? tfNote : s.tfjsSkip ? `skipped: ${s.tfjsSkip}` : await makeSide(() => tfjsSide(tf, s, data));
  if (typeof k === 'string') notes[0] = k;
  if (typeof t === 'string') notes[1] = t;
  const work = 'flops' in s.work ? `${(s.work.flops / 1e9).toPrecision(3)} GFLOP` : `${(s.work.bytes / 1e6).toPrecision(3)} MB`;
  progress(`  work         ${work} per run`);
  const sides = [typeof k === 'string' ? null : k, typeof t === 'string' ? null : t];
  let timed;
  try {
    timed = await interleave(sides, plan(s, args.quick));
  } finally {
    for (const side of sides) { try { side?.dispose(); } catch { /* a failure is already recorded */ } }
  }
  const res = timed.sides;
  const msOf = (r: SideResult | null) => (r && r.roundsMs.length ? median(r.roundsMs) : null);
  const [kms, tms] = [msOf(res[0]), msOf(res[1])];
  for (const [i, label] of ['kiln', 'tfjs-webgpu'].entries()) {
    const r = res[i];
    if (r?.note) notes[i] = r.note;
    if (notes[i] !== undefined) progress(`  ${label.padEnd(12)} ${notes[i]}`);
    else if (r) progress(`  ${label.padEnd(12)} ${fmtMs(msOf(r)!).padStart(8)} ms   batch ${r.batch}, warm-up ${r.warmupS.toFixed(1)} s`);
  }
  let check = '-', abs: number | null = null, rel: number | null = null;
  if (res[0]?.values && res[1]?.values) {
    ({ abs, rel } = diff(res[0].values, res[1].values));
    if (s.tolAbs !== undefined) check = abs <= s.tolAbs ? `ok (max abs diff ${fmtErr(abs)})` : `MISMATCH (max abs diff ${fmtErr(abs)} > ${s.tolAbs})`;
    else check = rel <= (s.tol ?? 1e-4) ? 'ok' : `MISMATCH (rel err ${fmtErr(rel)} > ${s.tol ?? 1e-4})`;
    progress(`  check        ${check}${s.tolAbs === undefined ? ` (rel err ${fmtErr(rel)})` : ''}`);
  }
  const q = timed.ratios;
  const seconds = (performance.now() - t0) / 1e3;
  const flops = 'flops' in s.work;
  const row: Row = {
    name: s.name,
    kiln_ms: round(kms),
    tfjs_webgpu_ms: round(tms),
    ...(flops
      ? { kiln_gflops: round(rateOf(s, kms)), tfjs_webgpu_gflops: round(rateOf(s, tms)) }
      : { kiln_gbps: round(rateOf(s, kms)), tfjs_webgpu_gbps: round(rateOf(s, tms)) }),
    ratio: q.length ? round(median(q)) : null,
    ratio_q1: q.length ? round(quantile(q, 0.25)) : null,
    ratio_q3: q.length ? round(quantile(q, 0.75)) : null,
    ratio_min: q.length ? round(Math.min(...q)) : null,
    ratio_max: q.length ? round(Math.max(...q)) : null,
    rounds: timed.rounds,
    kiln_batch: res[0]?.batch ?? 0,
    tfjs_webgpu_batch: res[1]?.batch ?? 0,
    kiln_rounds_ms: (res[0]?.roundsMs ?? []).map((x) => round(x)!),
    tfjs_webgpu_rounds_ms: (res[1]?.roundsMs ?? []).map((x) => round(x)!),
    ratios: q.map((x) => round(x)!),
    max_abs_diff: round(abs),
    rel_err: round(rel),
    check,
    load_1m: load1,
    seconds: round(seconds)!,
  };
  if (row.ratio !== null) progress(`  ratio        ${fmtRatio(row.ratio)}x   IQR ${fmtRatio(row.ratio_q1)}-${fmtRatio(row.ratio_q3)}, min-max ${fmtRatio(row.ratio_min)}-${fmtRatio(row.ratio_max)}, ${row.rounds} rounds, ${seconds.toFixed(1)} s`);
  else progress(`  ${row.rounds} rounds, ${seconds.toFixed(1)} s`);
  if (notes[0] !== undefined) row.kiln_note = notes[0];
  if (notes[1] !== undefined) row.tfjs_webgpu_note = notes[1];
  return row;
}

// ---- --repeat: one row per suite over the runs ----

function summarize(runs: Row[][]): Row[] {
  return runs[0].map((first) => {
    const rs = runs.map((rows) => rows.find((r) => r.name === first.name)!);
    const med = (f: (r: Row) => number | null | undefined) => {
      const v = rs.map(f).filter((x): x is number => x != null && Number.isFinite(x));
      return v.length ? round(median(v)) : null;
    };
    const per = rs.map((r) => r.ratio);
    const got = per.filter((x): x is number => x !== null);
    const pooled = rs.flatMap((r) => r.ratios ?? []);
    const { kiln_rounds_ms: _k, tfjs_webgpu_rounds_ms: _t, ratios: _r, ...keep } = first;
    const out: Row = {
      ...keep,
      kiln_ms: med((r) => r.kiln_ms),
      tfjs_webgpu_ms: med((r) => r.tfjs_webgpu_ms),
      ...('kiln_gflops' in first
        ? { kiln_gflops: med((r) => r.kiln_gflops), tfjs_webgpu_gflops: med((r) => r.tfjs_webgpu_gflops) }
        : { kiln_gbps: med((r) => r.kiln_gbps), tfjs_webgpu_gbps: med((r) => r.tfjs_webgpu_gbps) }),
      ratio: got.length ? round(median(got)) : null,
      ratio_q1: pooled.length ? round(quantile(pooled, 0.25)) : null,
      ratio_q3: pooled.length ? round(quantile(pooled, 0.75)) : null,
      ratio_min: pooled.length ? round(Math.min(...pooled)) : null,
      ratio_max: pooled.length ? round(Math.max(...pooled)) : null,
      ratio_runs: per,
      ratio_runs_min: got.length ? Math.min(...got) : null,
      ratio_runs_max: got.length ? Math.max(...got) : null,
      rounds: rs.reduce((n, r) => n + r.rounds, 0),
      max_abs_diff: rs.some((r) => r.max_abs_diff !== null) ? Math.max(...rs.map((r) => r.max_abs_diff ?? 0)) : null,
      rel_err: rs.some((r) => r.rel_err !== null) ? Math.max(...rs.map((r) => r.rel_err ?? 0)) : null,
      check: rs.find((r) => !r.check.startsWith('ok'))?.check ?? first.check,
      load_1m: Math.max(...rs.map((r) => r.load_1m)),
      seconds: round(rs.reduce((n, r) => n + r.seconds, 0))!,
    };
    const kn = rs.find((r) => r.kiln_note)?.kiln_note, tn = rs.find((r) => r.tfjs_webgpu_note)?.tfjs_webgpu_note;
    if (kn) out.kiln_note = kn; else delete out.kiln_note;
    if (tn) out.tfjs_webgpu_note = tn; else delete out.tfjs_webgpu_note;
    return out;
  });
}

// ---- main ----

function progress(line: string): void { console.log(line); }

async function main(): Promise<number> {
  const argv = process.argv.slice(2);
  const args = parseArgs(argv);
  const suites = SUITES.filter((s) => !args.filter || args.filter.test(s.name));
  if (args.list) { for (const s of suites) console.log(s.name); return 0; }
  // the FST part (kiln's transducers vs OpenFst's command-line tools, CPU only) runs after the
  // tensor suites, in its own process, once whatever --repeat says: bench/fst.ts
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
  const command = commandLine(argv);
  const started = new Date();
  // Other processes on the CPUs (lavapipe runs on them) move the numbers: say how busy they were.
  const load0 = loadavg();
  progress(`kiln bench ${started.toISOString()}  node ${process.version}  ${availableParallelism()} CPUs, load ${fmtLoad(load0)}`);
  progress(`command: ${command}`);
  progress(`adapter (kiln):        ${kilnAdapter}`);
  progress(`adapter (tfjs-webgpu): ${tf ? `${tfAdapter}  (tf.getBackend() = '${tf.getBackend()}', tfjs-core ${tf.version_core})` : tfNote}`);
  if (tf && tfAdapter !== kilnAdapter) progress('warning: the two libraries are on different adapters');
  progress(`${suites.length} suite(s)${args.repeat > 1 ? `, ${args.repeat} runs` : ''}; a run = op + wait for the GPU queue; interleaved rounds, each a batch of >= ${BATCH_MS} ms a side\n`);

  const runs: RunInfo[] = [];
  for (let n = 0; n < args.repeat; n++) {
    const date = new Date(), start = loadavg();
    if (args.repeat > 1) progress(`== run ${n + 1}/${args.repeat}, load ${fmtLoad(start)}`);
    const rows: Row[] = [];
    for (const [i, s] of suites.entries()) rows.push(await runSuite(s, `${i + 1}/${suites.length}`, tf, tfNote, args));
    const end = new Date();
    runs.push({ date: date.toISOString(), end: end.toISOString(), load: { start, end: loadavg() }, seconds: (end.getTime() - date.getTime()) / 1e3, rows });
    if (args.repeat > 1) progress(`\nrun ${n + 1}/${args.repeat} (load ${fmtLoad(runs[n].load.start)} to ${fmtLoad(runs[n].load.end)}):\n${table(rows)}\n`);
  }
  const end = new Date();
  const res: Results = {
    bench: 'kiln', format: 2,
    date: started.toISOString(), end: end.toISOString(), command,
    node: process.version, cpus: availableParallelism(),
    adapter: { kiln: kilnAdapter, tfjs_webgpu: tf ? tfAdapter : tfNote },
    tfjs_core: tf ? tf.version_core : null,
    quick: args.quick, repeat: args.repeat,
    method: {
      warmup_rounds: 2, batch_ms: BATCH_MS, max_rounds: MAX_ROUNDS,
      order: 'round r: kiln batch then tfjs batch on even r, tfjs then kiln on odd r',
      ratio: 'per round tfjs_webgpu ms / kiln ms (each the median of its batch); median, quartiles and min-max over the rounds',
    },
    load: { start: load0, end: loadavg() },
    seconds: (end.getTime() - started.getTime()) / 1e3,
    rows: args.repeat > 1 ? summarize(runs.map((r) => r.rows)) : runs[0].rows,
    ...(args.repeat > 1 ? { runs } : {}),
  };
  progress(`\n${preamble(res)}\n\n${table(res.rows, res.repeat)}`);
  if (args.json) {
    mkdirSync(dirname(args.json), { recursive: true });
    writeFileSync(args.json, JSON.stringify(res, null, 2) + '\n');
    progress(`wrote ${args.json}`);
  }
  const bad = res.rows.filter((r) => r.check.startsWith('MISMATCH')).map((r) => r.name);
  if (bad.length) progress(`\noutputs disagree beyond the tolerance: ${bad.join(', ')}`);
  const fst = wantFst ? runFst(args) : 0;
  return bad.length ? 1 : fst;
}

function runFst(args: Args): number {
  progress('\n== FST: kiln vs OpenFst (bench/fst.ts)');
  const r = spawnSync(process.execPath, ['--import', 'tsx', join(dirname(fileURLToPath(import.meta.url)), 'fst.ts'), ...(args.quick ? ['--quick'] : [])], { stdio: 'inherit' });
  return r.status ?? 1;
}

// Dawn keeps the event loop alive: exit explicitly once the results are out. Not when imported.
if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  main().then((code) => process.exit(code), (e) => { console.error(e); process.exit(1); });
}
