// The shape of `npm run bench -- --json FILE` and the markdown table made from it (printed by
// bench/run.ts at the end of a run, and by bench/table.ts from a saved file for the top README).

export interface Row {
  name: string;
  /** median over rounds of each round's ms (the median of that round's batch); null if skipped or failed */
  kiln_ms: number | null;
  tfjs_webgpu_ms: number | null;
  /** matmul, conv and model suites: GFLOP/s at the median ms */
  kiln_gflops?: number | null;
  tfjs_webgpu_gflops?: number | null;
  /** memory-bound suites: GB/s (bytes read + written per run) */
  kiln_gbps?: number | null;
  tfjs_webgpu_gbps?: number | null;
  /** median of the per-round ratios tfjs ms / kiln ms (above 1: kiln is faster); null unless both ran */
  ratio: number | null;
  ratio_q1: number | null;
  ratio_q3: number | null;
  ratio_min: number | null;
  ratio_max: number | null;
  /** timed rounds (after --repeat: over all runs) */
  rounds: number;
  /** runs per round for each side */
  kiln_batch: number;
  tfjs_webgpu_batch: number;
  /** per-round values, in round order (one run; absent from --repeat summaries) */
  kiln_rounds_ms?: number[];
  tfjs_webgpu_rounds_ms?: number[];
  ratios?: number[];
  /** --repeat N summaries: each run's median ratio, and their range */
  ratio_runs?: (number | null)[];
  ratio_runs_min?: number | null;
  ratio_runs_max?: number | null;
  /** the outputs of the first (warm-up) run of each side */
  max_abs_diff: number | null;
  rel_err: number | null;
  /** "ok", "ok (max abs diff 3.1e-6)" (absolute-tolerance suites), "MISMATCH (...)", or "-" when a side did not run */
  check: string;
  /** 1-minute load average when the suite started (after --repeat: the largest over runs) */
  load_1m: number;
  seconds: number;
  kiln_note?: string;
  tfjs_webgpu_note?: string;
}

export interface RunInfo {
  date: string;
  end: string;
  /** os.loadavg(): 1, 5 and 15 minutes */
  load: { start: number[]; end: number[] };
  seconds: number;
  rows: Row[];
}

export interface Results {
  bench: 'kiln';
  /** 2: interleaved rounds (format 1, before, was a bare array of rows) */
  format: 2;
  date: string;
  end: string;
  command: string;
  node: string;
  cpus: number;
  adapter: { kiln: string; tfjs_webgpu: string };
  tfjs_core: string | null;
  quick: boolean;
  repeat: number;
  method: { warmup_rounds: number; batch_ms: number; max_rounds: number; order: string; ratio: string };
  load: { start: number[]; end: number[] };
  seconds: number;
  /** the rows: of the one run, or the summary over --repeat runs */
  rows: Row[];
  /** --repeat N > 1: each run */
  runs?: RunInfo[];
}

export function fmtMs(ms: number): string { return ms >= 100 ? ms.toFixed(0) : ms >= 10 ? ms.toFixed(1) : ms >= 1 ? ms.toFixed(2) : ms.toFixed(3); }
export function fmtRatio(x: number | null | undefined): string { return x == null ? '-' : x >= 100 ? x.toFixed(0) : x >= 10 ? x.toFixed(1) : x.toFixed(2); }
export function fmtLoad(l: number[]): string { return l.map((x) => x.toFixed(2)).join(' '); }

/** The markdown table: one line per row, the notes (skipped, failed) below it. */
export function table(rows: Row[], repeat = 1): string {
  const head = ['suite', 'kiln ms', 'kiln', 'tfjs-webgpu ms', 'tfjs-webgpu', repeat > 1 ? `ratio (median of ${repeat} runs)` : 'ratio', 'IQR', 'min-max',
    ...(repeat > 1 ? ['runs min-max'] : []), 'rounds', 'load', 'check'];
  const body = rows.map((r) => {
    const unit = 'kiln_gflops' in r ? 'GFLOP/s' : 'GB/s';
    const rate = (x: number | null | undefined) => (x == null ? '-' : `${x >= 100 ? x.toFixed(0) : x >= 10 ? x.toFixed(1) : x.toFixed(2)} ${unit}`);
    const ms = (x: number | null, note?: string) => (x === null ? (note?.startsWith('skipped') ? 'skipped' : 'failed') : fmtMs(x));
    const range = (a: number | null | undefined, b: number | null | undefined) => (a == null || b == null ? '-' : `${fmtRatio(a)}-${fmtRatio(b)}`);
    return [
      r.name,
      ms(r.kiln_ms, r.kiln_note),
      rate(r.kiln_gflops ?? r.kiln_gbps),
      ms(r.tfjs_webgpu_ms, r.tfjs_webgpu_note),
      rate(r.tfjs_webgpu_gflops ?? r.tfjs_webgpu_gbps),
      r.ratio === null ? '-' : `${fmtRatio(r.ratio)}x`,
      range(r.ratio_q1, r.ratio_q3),
      range(r.ratio_min, r.ratio_max),
      ...(repeat > 1 ? [range(r.ratio_runs_min, r.ratio_runs_max)] : []),
      String(r.rounds),
      r.load_1m.toFixed(2),
      r.check,
    ];
  });
  const left = (i: number) => i === 0 || i === head.length - 1;
  const w = head.map((h, i) => Math.max(h.length, ...body.map((b) => b[i].length)));
  const line = (cells: string[]) => `| ${cells.map((c, i) => (left(i) ? c.padEnd(w[i]) : c.padStart(w[i]))).join(' | ')} |`;
  const rule = `|${w.map((n, i) => (left(i) ? `:${'-'.repeat(n + 1)}` : `${'-'.repeat(n + 1)}:`)).join('|')}|`;
  const notes = rows.flatMap((r) => [
    r.kiln_note ? `- ${r.name}, kiln: ${r.kiln_note}` : null,
    r.tfjs_webgpu_note ? `- ${r.name}, tfjs-webgpu: ${r.tfjs_webgpu_note}` : null,
  ].filter((x): x is string => x !== null));
  return [line(head), rule, ...body.map(line), ...(notes.length ? ['', ...notes] : [])].join('\n');
}

/** The lines above the table: when, where, how busy, which command. */
export function preamble(res: Results): string {
  const runs = res.repeat > 1 ? `; ${res.repeat} runs, per row the median of the runs' median ratios and their min-max` : '';
  return [
    `${res.date.slice(0, 10)} (${res.date} to ${res.end}, ${Math.round(res.seconds)} s${runs}), \`${res.command}\``,
    `Node ${res.node}, ${res.cpus} CPUs, load average (1/5/15 min) ${fmtLoad(res.load.start)} at the start, ${fmtLoad(res.load.end)} at the end.`,
    `Both libraries in one process on \`${res.adapter.kiln}\`${res.adapter.tfjs_webgpu !== res.adapter.kiln ? ` (tfjs-webgpu: \`${res.adapter.tfjs_webgpu}\`)` : ''}${res.tfjs_core ? `, tfjs-core ${res.tfjs_core}` : ''}.`,
    `Interleaved: ${res.method.warmup_rounds} warm-up rounds, then per round a batch of kiln runs and a batch of tfjs-webgpu runs (each >= ${res.method.batch_ms} ms, the order alternating);`,
    'ms = median over rounds of each round\'s median run; ratio = median of the per-round ratios tfjs-webgpu / kiln (above 1: kiln is faster), IQR and min-max over the rounds; load = 1-minute load average as the row started.',
  ].join('\n');
}
