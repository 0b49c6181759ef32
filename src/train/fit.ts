// A small training loop with a progress line (steps/s, loss, ETA) and a loss history that can be
// written as CSV or JSON. Loss values are read back only every `logEvery` steps, so the GPU is
// not stalled each step.
import { Tensor, tidy } from '../tensor.ts';

export interface Progress {
  step: number;
  steps: number;
  loss: number;
  stepsPerSec: number;
  etaSec: number;
  elapsedSec: number;
}

export interface HistoryEntry { step: number; loss: number; elapsedSec: number }

/** Anything with tfjs's `minimize(f, returnCost)` shape (kiln's optimizers have it). */
export interface Minimizer {
  minimize(f: () => Tensor, ...rest: unknown[]): Tensor | null | void;
}

export interface FitOptions {
  steps: number;
  /** the loss of one step, built from variables (with `optimizer`) */
  loss?: (step: number) => Tensor;
  optimizer?: Minimizer;
  /** or a whole custom step returning the loss tensor (instead of loss + optimizer) */
  step?: (step: number) => Tensor | null | void;
  /** read the loss back every N steps for the progress line and history (default 10) */
  logEvery?: number;
  /** a progress line on stderr (default: when stderr is a terminal), or a callback; false: silent */
  progress?: boolean | ((p: Progress) => void);
  /** write the loss history when done (Node): CSV (step,loss,elapsed_s) and/or JSON */
  history?: { csv?: string; json?: string };
  /** stop early (checked between steps) */
  signal?: AbortSignal;
}

export interface FitResult {
  history: HistoryEntry[];
  steps: number;
  stepsPerSec: number;
  finalLoss: number;
}

function fmtTime(s: number): string {
  if (!Number.isFinite(s)) return '?';
  if (s < 60) return `${s.toFixed(0)}s`;
  const m = Math.floor(s / 60);
  return m < 60 ? `${m}m${String(Math.round(s % 60)).padStart(2, '0')}s` : `${Math.floor(m / 60)}h${String(m % 60).padStart(2, '0')}m`;
}

/** One progress line, as printed by fit(). */
export function formatProgress(p: Progress): string {
  return `step ${String(p.step).padStart(String(p.steps).length)}/${p.steps}  loss ${p.loss.toPrecision(5)}  ${p.stepsPerSec.toFixed(1)} steps/s  ETA ${fmtTime(p.etaSec)}`;
}

/**
 * Train for `steps` steps: either `loss` + `optimizer` (calls optimizer.minimize(loss, true))
 * or a custom `step`. Throws if the loss becomes NaN or Inf, naming the step (rerun with
 * kiln.setDebug({ checkNumerics: true }) to find the op).
 */
export async function fit(opts: FitOptions): Promise<FitResult> {
  const { steps } = opts;
  if (!Number.isInteger(steps) || steps < 0) throw new Error(`kiln.fit: steps must be a non-negative integer, got ${steps}`);
  let stepFn: (i: number) => Tensor | null | void;
  if (opts.step) stepFn = opts.step;
  else if (opts.loss && opts.optimizer) {
    const { loss, optimizer } = opts;
    stepFn = (i) => optimizer.minimize(() => loss(i), true);
  } else throw new Error('kiln.fit: pass { loss, optimizer } or { step }');
  const logEvery = Math.max(1, opts.logEvery ?? 10);
  const proc = (globalThis as { process?: NodeJS.Process }).process;
  const tty = !!proc?.stderr?.isTTY;
  const report = typeof opts.progress === 'function' ? opts.progress
    : (opts.progress ?? tty) ? (p: Progress) => {
      const line = formatProgress(p);
      if (tty) proc!.stderr.write(`\r${line}\x1b[K${p.step === p.steps ? '\n' : ''}`);
      else proc?.stderr?.write(`${line}\n`);
    } : null;
  const history: HistoryEntry[] = [];
  const t0 = performance.now();
  let finalLoss = NaN;
  let done = 0;
  for (let i = 1; i <= steps; i++) {
    if (opts.signal?.aborted) break;
    const out = tidy(() => {
      const l = stepFn(i);
      return l instanceof Tensor ? l : null;
    });
    done = i;
    if (out && (i % logEvery === 0 || i === steps)) {
      const v = (await out.data())[0];
      out.dispose();
      if (!Number.isFinite(v)) {
        throw new Error(`kiln.fit: the loss is ${v} at step ${i}; rerun with kiln.setDebug({ checkNumerics: true }) to find the op that produced it`);
      }
      finalLoss = v;
      const elapsedSec = (performance.now() - t0) / 1000;
      history.push({ step: i, loss: v, elapsedSec });
      const sps = i / elapsedSec;
      report?.({ step: i, steps, loss: v, stepsPerSec: sps, etaSec: (steps - i) / sps, elapsedSec });
    } else {
      out?.dispose();
    }
  }
  const secs = (performance.now() - t0) / 1000;
  if (opts.history) await writeHistory(history, opts.history);
  return { history, steps: done, stepsPerSec: done / Math.max(secs, 1e-9), finalLoss };
}

/** The history as CSV text: step,loss,elapsed_s. */
export function historyCsv(h: HistoryEntry[]): string {
  return `step,loss,elapsed_s\n${h.map((e) => `${e.step},${e.loss},${e.elapsedSec.toFixed(3)}`).join('\n')}\n`;
}

async function writeHistory(h: HistoryEntry[], to: { csv?: string; json?: string }): Promise<void> {
  const { writeFile } = await import('node:fs/promises');
  if (to.csv) await writeFile(to.csv, historyCsv(h));
  if (to.json) await writeFile(to.json, `${JSON.stringify(h, null, 1)}\n`);
}
