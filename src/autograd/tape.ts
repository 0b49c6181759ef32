// The tape: while a gradient function (grad, valueAndGrads, variableGrads) runs its function,
// every op whose inputs include a tracked tensor records a node with a backward closure. Ops do
// this through `record`, right where they are defined, with their gradient rule beside them.
import { Tensor, setTidyGuard, fmtShape } from '../tensor.ts';

/**
 * Upstream gradients in, one gradient (or null: none) per input out. `needs[k]` says whether
 * input k's gradient is wanted (the input is tracked); a rule may skip the others (null).
 */
export type Backward = (dys: (Tensor | null)[], needs: boolean[]) => (Tensor | null)[];

export interface Node {
  op: string;
  inputs: Tensor[];
  outputs: Tensor[];
  backward: Backward;
}

export class Tape {
  nodes: Node[] = [];
  tracked = new Set<number>();
  /** non-differentiable ops that tracked tensors went into (for a clear error if nothing else is left) */
  blocked = new Set<string>();
  /** tensors the backward closures may read: they survive tidy() until the tape is done */
  held = new Set<Tensor>();

  track(t: Tensor): void { this.tracked.add(t.id); }
  isTracked(t: Tensor): boolean { return this.tracked.has(t.id); }
}

const tapes: Tape[] = [];

setTidyGuard((t) => {
  for (const tape of tapes) if (tape.held.has(t)) return true;
  return false;
});

export function activeTape(): Tape | null {
  return tapes.length ? tapes[tapes.length - 1] : null;
}

export function pushTape(t: Tape): void { tapes.push(t); }
export function popTape(t: Tape): void {
  const i = tapes.lastIndexOf(t);
  if (i >= 0) tapes.splice(i, 1);
}

/** Is any input tracked by the active tape (so the op must record)? */
export function tracking(...inputs: (Tensor | undefined)[]): boolean {
  const tape = activeTape();
  if (!tape) return false;
  for (const x of inputs) if (x && tape.isTracked(x)) return true;
  return false;
}

/**
 * Record an op for the backward pass when one of its inputs is tracked; returns `out`.
 * `backward` gets the upstream gradient of each output and returns one gradient per input,
 * shaped like that input (null for inputs with no gradient, e.g. int indices).
 */
export function record<T extends Tensor | Tensor[]>(op: string, inputs: Tensor[], out: T, backward: Backward, saved: Tensor[] = []): T {
  const tape = activeTape();
  if (!tape || !inputs.some((x) => tape.isTracked(x))) return out;
  const outputs: Tensor[] = Array.isArray(out) ? (out as Tensor[]) : [out as Tensor];
  tape.nodes.push({ op, inputs, outputs, backward });
  for (const o of outputs) tape.track(o);
  for (const t of inputs) tape.held.add(t);
  for (const t of outputs) tape.held.add(t);
  for (const t of saved) tape.held.add(t);
  return out;
}

/** Note that a tracked input went into `op`, whose integer or bool result carries no gradient. */
export function noteBlocked(op: string, ...inputs: Tensor[]): void {
  const tape = activeTape();
  if (tape && inputs.some((x) => tape.isTracked(x))) tape.blocked.add(op);
}

/** Backward of an op that has no gradient: fails clearly if a gradient ever flows into it. */
export function notDifferentiable(op: string, why: string): Backward {
  return () => {
    throw new Error(`kiln.${op} is not differentiable (${why}); a gradient cannot flow through it. Stop the gradient before it, e.g. compute it outside the function passed to kiln.grad`);
  };
}

export function describe(t: Tensor): string {
  return `${fmtShape(t.shape)} ${t.dtype}`;
}

/**
 * Run `fn` without recording for gradients (torch.no_grad): tensors it makes are constants to
 * any enclosing grad function. Ops also use it for internal steps that their own rule covers.
 */
export function noGrad<T>(fn: () => T): T {
  const t = new Tape();
  pushTape(t);
  try {
    return fn();
  } finally {
    popTape(t);
  }
}
