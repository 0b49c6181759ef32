// The conformance runner: every case of every golden file in a directory (test/golden/README.md)
// run through kiln and checked with the case's own tolerance. `kiln golden DIR [--json]` calls
// runGoldenCli; tests call runGolden. Which kiln ops a family maps to lives in cases.ts, file
// parsing in format.ts, the elementwise check in compare.ts. A case passes when its forward
// outputs and its gradients (every `grads` tensor, through kiln's autograd) are within tolerance.
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
  /** the golden tensors compared, e.g. ['outputs.y', 'grads.x'] */
  checked: string[];
  /** per compared tensor, e.g. errors['grads.x'] */
  errors: Record<string, { maxAbsErr: number; maxRelErr: number }>;
  /** the case's grads were compared with kiln's gradients */
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
  /** passes whose gradients were not checked (cases without grads) */
  forwardOnly: number;
  /** tensors left alive by the run (should be 0) */
  leakedTensors: number;
  cases: CaseResult[];
  /** the final line: 'N passed, N failed, N skipped' */
  summary: string;
}

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
  return { id: `${family}/${name}`, file, family, name, op, status, maxAbsErr: null, maxRelErr: null, checked: [], errors: {}, gradsChecked: false };
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
  if (checks.every((ch) => ch.ok) && Object.keys(c.grads).length) {
    // the forward pass is right: now its gradients
    const g = await gradientCheck(plan, forward, c, k);
    if (typeof g === 'string') return { ...summarize(r, checks), status: 'FAIL', reason: g };
    checks.push(...g);
    return { ...summarize(r, checks), gradsChecked: true };
  }
  const done = summarize(r, checks);
  return done.status === 'PASS' && !Object.keys(c.grads).length ? { ...done, gradsNote: 'the case has no grads' } : done;
}

/** The case's result from its checks: PASS when every one is within tolerance. */
function summarize(r: CaseResult, checks: Check[]): CaseResult {
  const bad = checks.filter((ch) => !ch.ok);
  const errors: CaseResult['errors'] = {};
  for (const ch of checks) errors[ch.what] = { maxAbsErr: ch.maxAbsErr, maxRelErr: ch.maxRelErr };
  return {
    ...r,
    status: bad.length ? 'FAIL' : 'PASS',
    maxAbsErr: Math.max(...checks.map((ch) => ch.maxAbsErr)),
    maxRelErr: Math.max(...checks.map((ch) => ch.maxRelErr)),
    checked: checks.map((ch) => ch.what),
    errors,
    ...(bad.length ? { reason: bad.map((ch) => ch.message).join('; ') } : {}),
  };
}

/**
 * The golden gradient convention: grads[x] = d/dx L with L = sum_k sum(upstream[k] * outputs[k]),
 * for every float input x the case has grads for. kiln.grads differentiates the same forward
 * mapping: with dy = upstream for one output, with L itself (the per-output products summed) for
 * several. Returns one check per grads tensor, or why the gradients could not be computed.
 * (CTC, once mapped: its grads hold logits only, never aux.grad_log_probs_torch; README traps.)
 */
async function gradientCheck(plan: Plan, forward: NonNullable<Plan['forward']>, c: GoldenCase, k: Kiln): Promise<Check[] | string> {
  const names = Object.keys(c.grads);
  for (const n of names) {
    const x = c.inputs[n];
    if (!x) return `case does not follow the ${plan.op} conventions: grads.${n} names no input (inputs: ${Object.keys(c.inputs).join(', ')})`;
    if (x.dtype !== 'float32') return `case does not follow the ${plan.op} conventions: grads.${n} is for the ${x.dtype} input ${n}; only float inputs have gradients`;
  }
  const outNames = Object.keys(c.outputs);
  for (const o of outNames) {
    const u = c.upstream[o];
    if (!u) return `case does not follow the gradient convention: grads need upstream.${o}, the upstream gradient of outputs.${o}`;
    const want = c.outputs[o].shape;
    if (u.dtype !== 'float32' || u.shape.length !== want.length || u.shape.some((d, i) => d !== want[i])) {
      return `case does not follow the gradient convention: upstream.${o} is ${u.dtype} [${u.shape}], outputs.${o} is [${want}]`;
    }
  }
  const ins = makeInputs(c);
  const ups: Record<string, Tensor> = {};
  for (const o of outNames) ups[o] = kiln.tensor(c.upstream[o].data, c.upstream[o].shape, 'float32');
  const xs = names.map((n) => ins[n]);
  const run = (...ts: Tensor[]) => {
    const m = { ...ins };
    names.forEach((n, i) => { m[n] = ts[i]; });
    return forward(k, m);
  };
  let grads: Tensor[] = [];
  try {
    if (outNames.length === 1) {
      const o = outNames[0];
      grads = kiln.grads((...ts) => run(...ts)[o])(xs, ups[o]);
    } else {
      grads = kiln.grads((...ts) => {
        const outs = run(...ts);
        return outNames.map((o) => kiln.sum(kiln.mul(outs[o], ups[o]))).reduce((a, b) => kiln.add(a, b));
      })(xs);
    }
    const checks: Check[] = [];
    for (let i = 0; i < names.length; i++) {
      const want = c.grads[names[i]];
      const got = await grads[i].data();
      const ch = compareTensor(`grads.${names[i]}`, got, grads[i].shape, want, c.tolerance);
      if (!ch.ok && got.every((v) => v === 0) && want.data.some((v) => v !== 0)) {
        ch.message += `; kiln's gradient is all zeros: does every op of the ${plan.op} mapping record its gradient?`;
      }
      checks.push(ch);
    }
    return checks;
  } catch (e) {
    return `kiln threw while differentiating ${plan.op}: ${(e as Error).message}`;
  } finally {
    kiln.dispose([grads, ins, ups]);
  }
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
  return `PASS ${id}  ${op}${errs}${r.gradsChecked ? '  (outputs and grads)' : r.gradsNote ? `  (forward only: ${r.gradsNote})` : ''}`;
}

/** The report as lines of text, the last one the summary. */
export function formatReport(rep: Report): string[] {
  const shown = rep.cases.filter((c) => c.status !== 'SKIP' && c.op !== '-');
  const width = Math.max(0, ...shown.map((c) => c.id.length));
  const opWidth = Math.max(0, ...shown.map((c) => c.op.length));
  const lines = rep.cases.map((c) => formatCase(c, width, opWidth));
  const gradsChecked = rep.cases.filter((c) => c.gradsChecked).length;
  lines.push(`gradients: checked in ${gradsChecked} case(s)${rep.forwardOnly ? `; ${rep.forwardOnly} passing case(s) have no grads (forward outputs only)` : ''}`);
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
