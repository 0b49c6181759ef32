// The conformance runner: every case of every golden file in a directory (../shared/golden/README.md)
// run through kiln and checked with the case's own tolerance. `kiln golden DIR [--json]` calls
// runGoldenCli; tests call runGolden. Which kiln ops a family maps to lives in cases.ts, file
// parsing in format.ts, the elementwise check in compare.ts.
import { observeTensors } from '../tensor.ts';
import * as kilnModule from '../index.ts';
import type { Tensor } from '../tensor.ts';
import { FAMILIES, CaseError, type Kiln, type Plan } from './cases.ts';
import { compareTensor, type Check } from './compare.ts';
import { isBadCase, listCaseFiles, loadGoldenFile, type GoldenCase, type Tolerance } from './format.ts';

const kiln = kilnModule as Kiln;

export type Status = 'PASS' | 'FAIL' | 'SKIP';

export interface CaseResult {
  /** 'family/case' */
  id: string;
  file: string;
  family: string;
  name: string;
  /** the op checked ('-' when the file or case could not be read) */
  op: string;
  status: Status;
  /** over every checked tensor; null when nothing was computed */
  maxAbsErr: number | null;
  maxRelErr: number | null;
  /** why a case failed or was skipped */
  reason?: string;
  /** the golden tensors compared, e.g. ['outputs.y'] */
  checked: string[];
  gradsChecked: boolean;
  /** for a forward-only pass: why the case's grads were not checked */
  gradsNote?: string;
  tolerance?: Tolerance;
}

export interface Report {
  dir: string;
  passed: number;
  failed: number;
  skipped: number;
  /** passes whose gradients were not checked */
  forwardOnly: number;
  /** tensors left alive by the run (should be 0) */
  leakedTensors: number;
  cases: CaseResult[];
  /** the final line: 'N passed, N failed, N skipped' */
  summary: string;
}

const AUTOGRAD_MISSING = 'autograd not in kiln yet';

export interface RunOptions {
  /**
   * Ops to use in place of (or in addition to) kiln's, by name: a test seam, e.g. to check the
   * matMul-based mappings with a reference matMul before kiln has one.
   */
  ops?: Partial<Kiln>;
}

/** Run every case file (*.json except MANIFEST.json) in `dir`. Throws only if kiln cannot start. */
export async function runGolden(dir: string, opts: RunOptions = {}): Promise<Report> {
  await kiln.ready();
  const k: Kiln = opts.ops ? { ...kiln, ...opts.ops } : kiln;
  const cases: CaseResult[] = [];
  const { leaked } = await observeTensors(() => runFiles(dir, k, cases));
  const count = (s: Status) => cases.filter((c) => c.status === s).length;
  const [passed, failed, skipped] = [count('PASS'), count('FAIL'), count('SKIP')];
  return {
    dir, passed, failed, skipped,
    forwardOnly: cases.filter((c) => c.status === 'PASS' && c.gradsNote).length,
    leakedTensors: leaked.length,
    cases,
    summary: `${passed} passed, ${failed} failed, ${skipped} skipped`,
  };
}

async function runFiles(dir: string, k: Kiln, cases: CaseResult[]): Promise<void> {
  let files: string[] = [];
  try {
    files = listCaseFiles(dir);
    if (!files.length) cases.push(broken(dir, '-', `no golden case files (*.json other than MANIFEST.json) in ${dir}`));
  } catch (e) {
    cases.push(broken(dir, '-', (e as Error).message));
  }
  for (const file of files) {
    const f = loadGoldenFile(dir, file);
    if (f.error !== undefined || f.family === null) {
      cases.push(broken(file, f.family ?? '-', f.error ?? 'unreadable'));
      continue;
    }
    if (!f.cases.length) cases.push(broken(file, f.family, '"cases" is empty'));
    for (const c of f.cases) {
      cases.push(isBadCase(c)
        ? { ...result(file, f.family, c.name, '-', 'FAIL'), reason: `${file}: malformed case: ${c.error}` }
        : await runCase(file, f.family, c, k));
    }
  }
}

function result(file: string, family: string, name: string, op: string, status: Status): CaseResult {
  return { id: `${family}/${name}`, file, family, name, op, status, maxAbsErr: null, maxRelErr: null, checked: [], gradsChecked: false };
}

/** A file (or directory) that yields no cases: reported under its own name. */
function broken(file: string, family: string, reason: string): CaseResult {
  return { ...result(file, family, file, '-', 'FAIL'), id: file, reason };
}

export async function runCase(file: string, family: string, c: GoldenCase, k: Kiln = kiln): Promise<CaseResult> {
  const mapper = FAMILIES[family];
  if (!mapper) return { ...result(file, family, c.name, '-', 'SKIP'), reason: `unknown family '${family}': the golden runner has no mapping for it` };
  let plan: Plan;
  try {
    plan = mapper(c);
  } catch (e) {
    return { ...result(file, family, c.name, '-', 'FAIL'), reason: `case does not follow the ${family} conventions: ${(e as Error).message}` };
  }
  const r = { ...result(file, family, c.name, plan.op, 'SKIP'), tolerance: c.tolerance };
  if (plan.skip) return { ...r, reason: plan.skip };
  const missing = plan.needs.filter((n) => typeof (k as unknown as Record<string, unknown>)[n] !== 'function');
  if (missing.length) return { ...r, reason: `op ${missing.join(', ')} not in kiln yet${plan.note ? ` (${plan.note})` : ''}` };
  if (!plan.forward) {
    return { ...r, reason: `kiln.${plan.needs.join(', kiln.')} exists, but the golden runner has no mapping for ${plan.op} yet (src/golden/cases.ts)` };
  }

  const forward = plan.forward;
  let outs: Record<string, Tensor>;
  try {
    outs = kiln.tidy(() => forward(k, makeInputs(c)));
  } catch (e) {
    const msg = (e as Error).message;
    return { ...r, status: 'FAIL', reason: e instanceof CaseError ? `case does not follow the ${family} conventions: ${msg}` : `kiln threw: ${msg}` };
  }
  const checks: Check[] = [];
  try {
    for (const [name, want] of Object.entries(c.outputs)) {
      const got = outs[name];
      if (!got) {
        checks.push({ what: `outputs.${name}`, ok: false, maxAbsErr: Infinity, maxRelErr: Infinity, bad: want.data.length, message: `outputs.${name}: the runner's ${plan.op} mapping does not compute it` });
        continue;
      }
      checks.push(compareTensor(`outputs.${name}`, await got.data(), got.shape, want, c.tolerance));
    }
    for (const name of Object.keys(outs)) {
      if (!c.outputs[name]) checks.push({ what: `outputs.${name}`, ok: false, maxAbsErr: 0, maxRelErr: 0, bad: 0, message: `the runner computed outputs.${name}, which the case does not have` });
    }
  } catch (e) {
    return { ...r, status: 'FAIL', reason: `reading kiln's result failed: ${(e as Error).message}` };
  } finally {
    kiln.dispose(outs);
  }
  const done: CaseResult = {
    ...r,
    status: checks.every((ch) => ch.ok) ? 'PASS' : 'FAIL',
    maxAbsErr: Math.max(...checks.map((ch) => ch.maxAbsErr)),
    maxRelErr: Math.max(...checks.map((ch) => ch.maxRelErr)),
    checked: checks.map((ch) => ch.what),
  };
  const bad = checks.filter((ch) => !ch.ok);
  if (bad.length) return { ...done, reason: bad.map((ch) => ch.message).join('; ') };
  const grads = gradientCheck(plan, c);
  return Object.keys(c.grads).length ? { ...done, gradsChecked: grads.checked, gradsNote: grads.note } : done;
}

/**
 * Where gradient checks plug in once kiln has autograd: differentiate
 * L = sum_k sum(upstream[k] * forward(inputs)[k]) w.r.t. every float input and compare with
 * c.grads through compareTensor (CTC: grads.logits only; see the golden README's traps).
 */
function gradientCheck(_plan: Plan, _c: GoldenCase): { checked: boolean; note?: string } {
  return { checked: false, note: AUTOGRAD_MISSING };
}

function makeInputs(c: GoldenCase): Record<string, Tensor> {
  const ins: Record<string, Tensor> = {};
  for (const [name, t] of Object.entries(c.inputs)) ins[name] = kiln.tensor(t.data, t.shape, t.dtype);
  return ins;
}

// ---- the command line ---------------------------------------------------------------------------

const num = (v: number | null) => (v === null ? '-' : v.toExponential(2));

export function formatCase(r: CaseResult, width = 0, opWidth = 0): string {
  const id = r.id.padEnd(width);
  const op = r.op.padEnd(opWidth);
  if (r.status === 'SKIP') return `SKIP ${r.id}: ${r.reason}`;
  const errs = r.maxAbsErr === null ? '' : `  max abs err ${num(r.maxAbsErr)}  max rel err ${num(r.maxRelErr)}`;
  if (r.status === 'FAIL') return r.op === '-' ? `FAIL ${r.id}: ${r.reason}` : `FAIL ${id}  ${op}${errs}: ${r.reason}`;
  return `PASS ${id}  ${op}${errs}${r.gradsNote ? `  (forward only; grads not checked: ${r.gradsNote})` : ''}`;
}

/** The report as lines of text, the last one the summary. */
export function formatReport(rep: Report): string[] {
  const shown = rep.cases.filter((c) => c.status !== 'SKIP' && c.op !== '-');
  const width = Math.max(0, ...shown.map((c) => c.id.length));
  const opWidth = Math.max(0, ...shown.map((c) => c.op.length));
  const lines = rep.cases.map((c) => formatCase(c, width, opWidth));
  const gradsChecked = rep.cases.filter((c) => c.gradsChecked).length;
  lines.push(`gradients: checked in ${gradsChecked} case(s); not checked in ${rep.forwardOnly} passing case(s) (forward outputs only: ${AUTOGRAD_MISSING})`);
  if (rep.leakedTensors) lines.push(`warning: the run left ${rep.leakedTensors} tensor(s) alive`);
  lines.push(rep.summary);
  return lines;
}

/** JSON with non-finite errors written as strings ("Infinity") instead of null. */
export function reportJson(rep: Report): string {
  return JSON.stringify(rep, (_k, v) => (typeof v === 'number' && !Number.isFinite(v) ? String(v) : v), 2);
}

/** `kiln golden DIR [--json]`: prints the report and returns the exit code (1 on any failure). */
export async function runGoldenCli(dir: string, opts: { json: boolean; write?: (line: string) => void }): Promise<number> {
  const write = opts.write ?? ((l: string) => console.log(l));
  let rep: Report;
  try {
    rep = await runGolden(dir);
  } catch (e) {
    write(`kiln golden: ${(e as Error).message}`);
    write('0 passed, 1 failed');
    return 1;
  }
  if (opts.json) write(reportJson(rep));
  else for (const l of formatReport(rep)) write(l);
  return rep.failed ? 1 : 0;
}
