// The executable form of an imported model: steps in topological order, each computing one named
// value from named inputs with kiln ops. A step may stand for several layers/nodes fused at load
// time (conv + batch norm + activation); the names it absorbed ("covers") stay reachable through
// `partial`, so execute() can still return any layer's output.
import { Tensor, tidy, fmtShape } from '../../tensor.ts';
import { TfjsImportError } from './model_json.ts';
import { clone } from '../../ops/elementwise.ts';
import { reshape } from '../../ops/movement.ts';

export interface Step {
  /** the value this step produces (the last of a fused group) */
  name: string;
  inputs: string[];
  /** what it does, for summary(): 'Conv2D 3x3/2 +BatchNormalization +relu6' */
  desc: string;
  /** layer/node names fused into this step, each computable by partial() */
  covers: string[];
  /** parameter count (elements of the weights it holds) */
  params: number;
  run(xs: Tensor[]): Tensor;
  partial?(name: string, xs: Tensor[]): Tensor;
}

export interface Plan {
  steps: Step[];
  inputName: string;
  outputNames: string[];
}

/** Strips a ':0' output suffix; other output indices are refused. */
export function valueName(ref: string, source: string): string {
  const m = /^(.*):(\d+)$/.exec(ref);
  if (!m) return ref;
  if (m[2] !== '0') throw new TfjsImportError(`${source}: ${ref} refers to output ${m[2]} of ${m[1]}; only single-output nodes are supported`);
  return m[1];
}

/** Names that execute() accepts, in step order. */
export function planNames(plan: Plan): string[] {
  const out = [plan.inputName];
  for (const s of plan.steps) out.push(...s.covers, s.name);
  return out;
}

/** Runs the steps `want` depends on; returns one new tensor per wanted name (intermediates disposed). */
export function executePlan(plan: Plan, x: Tensor, want: string[], source: string): Tensor[] {
  const producer = new Map<string, Step>();
  for (const s of plan.steps) {
    producer.set(s.name, s);
    for (const c of s.covers) producer.set(c, s);
  }
  const names = want.map((n) => valueName(n, source));
  const unknown = names.filter((n) => n !== plan.inputName && !producer.has(n));
  if (unknown.length) {
    const all = planNames(plan);
    throw new TfjsImportError(`${source}: no layer/node named ${unknown.map((n) => JSON.stringify(n)).join(', ')}; the model has ${all.length} names, e.g. ${all.slice(-5).map((n) => JSON.stringify(n)).join(', ')} (model.nodeNames lists them all)`, 'TfjsModel.execute');
  }
  // the steps needed, and how many needed steps read each value
  const needed = new Set<Step>();
  const stack = names.filter((n) => n !== plan.inputName).map((n) => producer.get(n)!);
  while (stack.length) {
    const s = stack.pop()!;
    if (needed.has(s)) continue;
    needed.add(s);
    for (const i of s.inputs) if (i !== plan.inputName) stack.push(producer.get(i)!);
  }
  const uses = new Map<string, number>();
  for (const s of needed) for (const i of s.inputs) uses.set(i, (uses.get(i) ?? 0) + 1);
  const wanted = new Set(names);
  return tidy(() => {
    const values = new Map<string, Tensor>([[plan.inputName, x]]);
    for (const s of plan.steps) {
      if (!needed.has(s)) continue;
      const xs = s.inputs.map((i) => {
        const v = values.get(i);
        if (!v) throw new TfjsImportError(`${source}: ${s.name} reads ${i} before it is computed (the layers are not in topological order)`, 'TfjsModel.execute');
        return v;
      });
      // a step that hands back one of its inputs gets a view, so disposing the input spares it
      const own = (y: Tensor) => (xs.includes(y) ? reshape(y, y.shape) : y);
      for (const c of s.covers) if (wanted.has(c)) values.set(c, own(s.partial!(c, xs)));
      values.set(s.name, own(s.run(xs)));
      for (const i of s.inputs) {
        const u = (uses.get(i) ?? 1) - 1;
        uses.set(i, u);
        if (u === 0 && !wanted.has(i) && i !== plan.inputName) values.get(i)!.dispose();
      }
    }
    // a fresh tensor per request (a name may be asked for twice, or be the input itself)
    const out: Tensor[] = [];
    const used = new Set<Tensor>();
    for (const n of names) {
      const v = values.get(n)!;
      if (v === x || used.has(v)) out.push(clone(v));
      else { used.add(v); out.push(v); }
    }
    return out;
  });
}

/** Checks x against the declared input shape (null = any); `spatialFree` lets H and W differ. */
export function checkInput(op: string, x: unknown, shape: (number | null)[], spatialFree: boolean, disposed: boolean, source: string): asserts x is Tensor {
  if (disposed) throw new TfjsImportError(`the model (${source}) was disposed`, `TfjsModel.${op}`);
  if (!(x instanceof Tensor)) throw new TfjsImportError(`x must be a kiln Tensor, got ${x === null ? 'null' : typeof x}`, `TfjsModel.${op}`);
  x.assertAlive(op);
  const exp = shape.map((d, i) => (i === 0 || (spatialFree && (i === 1 || i === 2)) ? null : d));
  const ok = x.rank === shape.length && exp.every((d, i) => d === null || d < 0 || d === x.shape[i]);
  if (!ok || x.dtype !== 'float32') {
    const want = `[${exp.map((d) => (d === null || d < 0 ? '*' : d)).join(', ')}] float32`;
    throw new TfjsImportError(`x has shape ${fmtShape(x.shape)} (${x.dtype}); the model (${source}) takes ${want} (NHWC, * = any)`, `TfjsModel.${op}`);
  }
}
