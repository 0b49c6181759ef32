// Gradient functions in tfjs's style: grad, grads, valueAndGrad, valueAndGrads, variableGrads.
// The function runs once with a tape; the backward pass walks the tape in reverse, accumulating
// one gradient per tensor and freeing each upstream gradient as soon as it is consumed. Every
// tensor the function made (but its result) is disposed afterwards, so a training step leaves
// nothing behind.
import { Tensor, beginCapture, endCapture, engine, fmtShape, tidy, view } from '../tensor.ts';
import { Tape, pushTape, popTape, type Node } from './tape.ts';
import { Variable, variables } from './variable.ts';
import { fail } from '../ops/util.ts';
import { add } from '../ops/elementwise.ts';
import { zerosLike, onesLike } from '../ops/creation.ts';

/** the zero gradients backprop made for tensors the result does not depend on */
const UNCONNECTED = new WeakSet<Tensor>();

export interface GradResult {
  value: Tensor;
  grads: Tensor[];
}

/** Run `f` under a tape and differentiate its (scalar) result with respect to `xs`. */
export function gradients(op: string, f: () => Tensor, xs: Tensor[], dy?: Tensor): GradResult {
  xs.forEach((x, i) => {
    if (!(x instanceof Tensor)) fail(op, `argument ${i} must be a Tensor, got ${typeof x}`);
    x.assertAlive(op);
    if (x.dtype !== 'float32') fail(op, `cannot differentiate with respect to a ${x.dtype} tensor ${fmtShape(x.shape)} (argument ${i}); only float32 tensors have gradients`);
  });
  if (dy !== undefined) {
    if (!(dy instanceof Tensor)) fail(op, `dy (the upstream gradient) must be a Tensor, got ${dy === null ? 'null' : typeof dy}`);
    dy.assertAlive(op);
    if (dy.dtype !== 'float32') fail(op, `dy must be float32, got a ${dy.dtype} tensor ${fmtShape(dy.shape)}`);
  }
  const tape = new Tape();
  for (const x of xs) tape.track(x);
  const created = beginCapture();
  pushTape(tape);
  let y: unknown;
  try {
    y = f();
  } catch (e) {
    popTape(tape);
    endCapture(created);
    for (const t of created) if (!t.kept) t.dispose();
    throw e;
  }
  popTape(tape);
  endCapture(created);
  const cleanup = (except: Tensor[]) => {
    for (const t of created) if (!t.kept && !except.includes(t)) t.dispose();
  };
  if (!(y instanceof Tensor)) {
    cleanup([]);
    fail(op, `the function must return a Tensor (the value to differentiate), got ${y === null ? 'null' : typeof y}`);
  }
  const value = y;
  if (dy === undefined && value.size !== 1) {
    cleanup([]);
    fail(op, `the function returned shape ${fmtShape(value.shape)}, not a scalar; pass dy (the upstream gradient, shape ${fmtShape(value.shape)}) or reduce it first, e.g. kiln.sum(...)`);
  }
  if (dy !== undefined && (dy.shape.length !== value.shape.length || dy.shape.some((d, i) => d !== value.shape[i]))) {
    cleanup([]);
    fail(op, `dy has shape ${fmtShape(dy.shape)} but the function returned ${fmtShape(value.shape)}; they must match`);
  }
  if (!tape.isTracked(value) && tape.blocked.size) {
    cleanup([]);
    const ops = [...tape.blocked].map((o) => `kiln.${o}`).join(', ');
    fail(op, `the result does not depend differentiably on the inputs: they reach it only through ${ops}, which ${tape.blocked.size > 1 ? 'are' : 'is'} not differentiable (an integer or bool result has no gradient)`);
  }
  let grads: Tensor[];
  try {
    grads = backprop(op, tape, value, dy, xs);
  } finally {
    cleanup([value]);
  }
  // f may return a tensor it did not make (an input, a variable): the caller gets its own handle,
  // so disposing the value never disposes that tensor
  return { value: created.includes(value) ? value : view(value, value.shape), grads };
}

function backprop(op: string, tape: Tape, y: Tensor, dy: Tensor | undefined, xs: Tensor[]): Tensor[] {
  const e = engine();
  const want = new Set(xs.map((x) => x.id));
  const acc = new Map<number, Tensor>();
  acc.set(y.id, dy ? view(dy, dy.shape) : onesLike(y));
  const prefix = e.labelPrefix;
  try {
    for (let i = tape.nodes.length - 1; i >= 0; i--) {
      const node = tape.nodes[i];
      const dys = node.outputs.map((o) => acc.get(o.id) ?? null);
      if (dys.every((d) => d === null)) continue;
      e.labelPrefix = `${prefix}gradient of kiln.${node.op}: `;
      const dxs = tidy(() => runBackward(node, dys, node.inputs.map((x) => tape.isTracked(x))));
      node.inputs.forEach((x, k) => {
        const dx = dxs[k];
        if (!dx || !tape.isTracked(x)) return;
        const mine = view(dx, dx.shape); // own handle: dx may be shared (an upstream gradient, or two inputs)
        const prev = acc.get(x.id);
        if (prev) {
          acc.set(x.id, add(prev, mine));
          prev.dispose();
          mine.dispose();
        } else {
          acc.set(x.id, mine);
        }
      });
      // upstream gradients are consumed: free them (views made above keep shared storage alive)
      for (const o of node.outputs) {
        if (want.has(o.id)) continue;
        const g = acc.get(o.id);
        if (g) { acc.delete(o.id); g.dispose(); }
      }
      for (const dx of new Set(dxs)) if (dx && !dys.includes(dx)) dx.dispose();
    }
  } finally {
    e.labelPrefix = prefix;
  }
  const given = new Map<number, Tensor>();
  const out = xs.map((x) => {
    const g = acc.get(x.id);
    if (g) {
      acc.delete(x.id);
      given.set(x.id, g);
      return g;
    }
    // the same tensor passed twice gets the same (whole) gradient twice, as in PyTorch
    const first = given.get(x.id);
    if (first) return view(first, first.shape);
    // a tensor the result does not depend on has a zero gradient (PyTorch's materialize_grads)
    const z = zerosLike(x);
    UNCONNECTED.add(z);
    return z;
  });
  for (const g of acc.values()) g.dispose();
  return out;
}

function runBackward(node: Node, dys: (Tensor | null)[], needs: boolean[]): (Tensor | null)[] {
  const dxs = node.backward(dys, needs);
  if (dxs.length !== node.inputs.length) {
    throw new Error(`kiln: internal error: the gradient of ${node.op} returned ${dxs.length} gradients for ${node.inputs.length} inputs`);
  }
  dxs.forEach((dx, k) => {
    const x = node.inputs[k];
    if (dx && (dx.shape.length !== x.shape.length || dx.shape.some((d, j) => d !== x.shape[j]))) {
      throw new Error(`kiln: internal error: the gradient of ${node.op} for input ${k} has shape ${fmtShape(dx.shape)}, the input ${fmtShape(x.shape)}`);
    }
  });
  return dxs;
}

/** df/dx for a scalar-valued f of one tensor (tf.grad). */
export function grad(f: (x: Tensor) => Tensor): (x: Tensor, dy?: Tensor) => Tensor {
  return (x, dy) => {
    const r = gradients('grad', () => f(x), [x], dy);
    r.value.dispose();
    return r.grads[0];
  };
}

/** Gradients with respect to every argument (tf.grads). */
export function grads(f: (...xs: Tensor[]) => Tensor): (xs: Tensor[], dy?: Tensor) => Tensor[] {
  return (xs, dy) => {
    const r = gradients('grads', () => f(...xs), xs, dy);
    r.value.dispose();
    return r.grads;
  };
}

/** The value and df/dx (tf.valueAndGrad). */
export function valueAndGrad(f: (x: Tensor) => Tensor): (x: Tensor, dy?: Tensor) => { value: Tensor; grad: Tensor } {
  return (x, dy) => {
    const r = gradients('valueAndGrad', () => f(x), [x], dy);
    return { value: r.value, grad: r.grads[0] };
  };
}

/** The value and the gradients with respect to every argument (tf.valueAndGrads). */
export function valueAndGrads(f: (...xs: Tensor[]) => Tensor): (xs: Tensor[], dy?: Tensor) => GradResult {
  return (xs, dy) => gradients('valueAndGrads', () => f(...xs), xs, dy);
}

/**
 * The value of `f` and its gradients with respect to `varList` (default: every trainable
 * variable), keyed by variable name (tf.variableGrads). As in tfjs, a variable `f` does not use
 * has no entry (so an optimizer leaves it alone), and a result that uses none of them is an error.
 */
export function variableGrads(f: () => Tensor, varList?: Variable[]): { value: Tensor; grads: Record<string, Tensor> } {
  const vars = varList ?? variables().filter((v) => v.trainable);
  if (!vars.length) fail('variableGrads', 'no trainable variables: create them with kiln.variable(...) or pass varList');
  const r = gradients('variableGrads', f, vars);
  const out: Record<string, Tensor> = {};
  vars.forEach((v, i) => {
    if (UNCONNECTED.has(r.grads[i])) r.grads[i].dispose();
    else out[v.name] = r.grads[i];
  });
  if (!Object.keys(out).length) {
    r.value.dispose();
    fail('variableGrads', `the result does not depend on any of the ${vars.length} variable(s) (${vars.slice(0, 3).map((v) => `'${v.name}'`).join(', ')}${vars.length > 3 ? ', ...' : ''}): use the variables inside f, or pass the ones it uses as varList`);
  }
  return { value: r.value, grads: out };
}
