// The optimizer base: gradients in, variables updated in place by one fused WGSL dispatch per
// variable (kernels/optim.ts). State tensors live on the GPU, are created lazily per variable,
// are kept out of tidy() and are freed by dispose(). Hyper-parameters travel as uniforms, so a
// learning-rate schedule never compiles a pipeline.
import { Tensor, engine, fmtShape, keep } from '../tensor.ts';
import { Variable, variables } from '../autograd/variable.ts';
import { variableGrads } from '../autograd/grad.ts';
import { fail } from '../ops/util.ts';
import { clone } from '../ops/elementwise.ts';
import { fill, scalar } from '../ops/creation.ts';
import { checked } from '../ops/run.ts';
import { updateProgram, stateNames, type UpdateKind, type UpdateVariant, type UpdateHyper } from '../../kernels/optim.ts';
import { globalNormUnchecked } from './clip.ts';
import { resolveLr, type LearningRate } from './schedules.ts';

/** Gradients keyed by variable name (as variableGrads returns them), or paired with variables. */
export type GradientList = Record<string, Tensor> | { variable: Variable; grad: Tensor }[];

export interface OptimizerConfig {
  /**
   * Clip the gradients of each applyGradients call by their global norm first (see
   * clipByGlobalNorm); the norm is computed and applied on the GPU.
   */
  clipNorm?: number;
}

export interface MinimizeOptions {
  /** variables to differentiate and update (default: every trainable variable) */
  varList?: Variable[];
  /** return the value of f (else it is disposed and null returned) */
  returnCost?: boolean;
}

/** A named tensor, as tfjs's getWeights/setWeights use. */
export interface NamedTensor { name: string; tensor: Tensor }

interface Slot {
  /** null: not known yet (loaded state of an optimizer without state tensors) */
  shape: number[] | null;
  /** updates applied to this variable (Adam's bias correction uses it, as PyTorch's per-parameter step) */
  step: number;
  state: Record<string, Tensor>;
}

/**
 * Give a variable its own storage before an in-place update, so that tensors sharing it (the
 * value passed to assign(), reshaped views) keep their values, as tensors are immutable.
 */
export function ownStorage(v: Variable): void {
  if (v.storage.refs > 1) {
    const c = clone(v);
    v.assign(c);
    c.dispose();
  }
}

export function checkVariable(op: string, v: unknown): asserts v is Variable {
  if (!(v instanceof Variable)) fail(op, `expected a kiln Variable (kiln.variable), got ${v instanceof Tensor ? 'a plain Tensor' : v === null ? 'null' : typeof v}`);
  v.assertAlive(op);
  if (v.dtype !== 'float32') fail(op, `variable '${v.name}' is ${v.dtype}; only float32 variables can be optimized`);
}

const sameShape = (a: readonly number[], b: readonly number[]) => a.length === b.length && a.every((d, i) => d === b[i]);

/**
 * Base of the first-order optimizers (sgd, momentum, adam, adamw, rmsprop, adagrad). Subclasses
 * name their update kernel and compute its per-step hyper-parameters.
 */
export abstract class Optimizer {
  /** applyGradients calls so far; the step a learning-rate schedule sees */
  iterations = 0;
  readonly clipNorm: number | undefined;
  private slots = new Map<string, Slot>();
  /** step counters materialised by state(), owned here */
  private counters: Tensor[] = [];

  protected constructor(protected readonly op: string, public learningRate: LearningRate, config: OptimizerConfig = {}) {
    if (typeof learningRate !== 'function') resolveLr(op, learningRate, 0);
    if (config.clipNorm !== undefined && !(config.clipNorm >= 0)) fail(op, `clipNorm must be a number >= 0, got ${config.clipNorm}`);
    this.clipNorm = config.clipNorm;
  }

  protected abstract readonly kind: UpdateKind;
  protected abstract variant(): UpdateVariant;
  /** Uniforms of one update at learning rate `lr`, `t` being the variable's step (1 for its first). */
  protected abstract hyper(lr: number, t: number): UpdateHyper;
  /** Initial value of a state tensor (zeros unless the optimizer says otherwise). */
  protected initialState(_name: string): number { return 0; }

  /** The learning rate the next update will use. */
  get currentLearningRate(): number {
    return resolveLr(this.op, this.learningRate, this.iterations);
  }

  /**
   * Update variables in place from their gradients: one fused GPU dispatch per variable reads
   * the gradient and the state, and writes the variable and the state. With `clipNorm` the
   * gradients are first scaled by min(1, clipNorm / (globalNorm + 1e-6)) on the GPU.
   * Gradients stay owned by the caller. Variables whose gradient is absent are left alone.
   */
  applyGradients(grads: GradientList): void {
    const op = `${this.op}.applyGradients`;
    const pairs = this.pairs(op, grads);
    const lr = resolveLr(this.op, this.learningRate, this.iterations);
    const e = engine();
    const variant: UpdateVariant = { ...this.variant(), clip: this.clipNorm !== undefined };
    const names = stateNames(this.kind, variant);
    const slots = pairs.map((p) => this.slot(op, p.variable, names)); // all checked before any update
    const norm = variant.clip ? globalNormUnchecked(pairs.map((p) => p.grad)) : null;
    try {
      for (const [i, { variable: v, grad }] of pairs.entries()) {
        const slot = slots[i];
        slot.step++;
        if (!v.size) continue;
        ownStorage(v);
        // a gradient sharing the variable's buffer cannot be bound next to it for writing
        const g = grad.buffer === v.buffer ? clone(grad) : grad;
        const h = { ...this.hyper(lr, slot.step), first: slot.step === 1, maxNorm: this.clipNorm };
        const inputs = norm ? [g.buffer, norm.buffer] : [g.buffer];
        e.dispatch(updateProgram(this.kind, v.size, variant, h), inputs, [v.buffer, ...names.map((s) => slot.state[s].buffer)]);
        if (g !== grad) g.dispose();
        checked(v, `${this.op}(${v.name})`);
      }
    } finally {
      norm?.dispose();
    }
    this.iterations++;
  }

  /**
   * Differentiate `f` with respect to `varList` (default: every trainable variable) with
   * variableGrads, apply the gradients and dispose them. Returns f's value with `returnCost`,
   * else null. Also accepts tfjs's positional form minimize(f, returnCost, varList).
   */
  minimize(f: () => Tensor, opts?: MinimizeOptions | boolean, varList?: Variable[]): Tensor | null {
    const o: MinimizeOptions = typeof opts === 'object' && opts !== null ? opts : { returnCost: !!opts, varList };
    const { value, grads } = variableGrads(f, o.varList);
    try {
      this.applyGradients(grads);
    } finally {
      for (const g of Object.values(grads)) g.dispose();
    }
    if (o.returnCost) return value;
    value.dispose();
    return null;
  }

  private pairs(op: string, grads: GradientList): { variable: Variable; grad: Tensor }[] {
    let pairs: { variable: Variable; grad: Tensor }[];
    if (Array.isArray(grads)) {
      pairs = grads;
    } else if (grads && typeof grads === 'object') {
      const byName = new Map(variables().map((v) => [v.name, v]));
      pairs = Object.keys(grads).map((name) => {
        const v = byName.get(name);
        if (!v) fail(op, `no live variable is named '${name}' (gradients are keyed by variable name, as variableGrads returns them)`);
        return { variable: v, grad: grads[name] };
      });
    } else {
      fail(op, `expected a record of gradients keyed by variable name or a list of { variable, grad }, got ${grads === null ? 'null' : typeof grads}`);
    }
    const seen = new Set<Variable>();
    for (const { variable: v, grad } of pairs) {
      checkVariable(op, v);
      if (seen.has(v)) fail(op, `variable '${v.name}' appears twice`);
      seen.add(v);
      if (!(grad instanceof Tensor)) fail(op, `the gradient of '${v.name}' must be a kiln Tensor, got ${grad === null ? 'null' : typeof grad}`);
      grad.assertAlive(op);
      if (grad.dtype !== 'float32' || !sameShape(grad.shape, v.shape)) {
        fail(op, `the gradient of '${v.name}' is ${fmtShape(grad.shape)} ${grad.dtype}; the variable is ${fmtShape(v.shape)} float32`);
      }
    }
    return pairs;
  }

  private slot(op: string, v: Variable, names: string[]): Slot {
    let s = this.slots.get(v.name);
    if (s && s.shape === null) s.shape = [...v.shape];
    if (s && !sameShape(s.shape!, v.shape)) {
      fail(op, `the optimizer state of '${v.name}' is for shape ${fmtShape(s.shape!)}, but the variable is ${fmtShape(v.shape)}; call dispose() (or loadState) to start afresh`);
    }
    if (!s) {
      const state: Record<string, Tensor> = {};
      for (const n of names) state[n] = keep(fill(v.shape, this.initialState(n)));
      s = { shape: [...v.shape], step: 0, state };
      this.slots.set(v.name, s);
    }
    return s;
  }

  /**
   * The optimizer state by name, for checkpoints: `${variable}/${slot}` (e.g. `w/m`, `w/v`),
   * `${variable}/step` (int32 scalar) and `iterations`. The tensors are owned by the optimizer
   * (do not dispose them) and change as it steps; read them before the next update. Slot names
   * per optimizer: momentum `buf`; adam/adamw `m`, `v` (and `vmax` with amsgrad); rmsprop `sq`
   * (and `ga` when centered, `buf` with momentum); adagrad `sum`.
   */
  state(): Record<string, Tensor> {
    for (const t of this.counters) t.dispose();
    this.counters = [];
    const counter = (v: number) => {
      const t = keep(scalar(v, 'int32'));
      this.counters.push(t);
      return t;
    };
    const out: Record<string, Tensor> = {};
    out.iterations = counter(this.iterations);
    for (const [name, s] of this.slots) {
      for (const [k, t] of Object.entries(s.state)) out[`${name}/${k}`] = t;
      out[`${name}/step`] = counter(s.step);
    }
    return out;
  }

  /**
   * Replace the whole state with `rec` (as state() names it). Takes ownership of the tensors, as
   * loadCheckpoint hands them over; a tensor that is kept elsewhere (another optimizer's state(),
   * a variable) is copied instead. Shapes are checked against the variables at the next update.
   */
  async loadState(rec: Record<string, Tensor>): Promise<void> {
    const op = `${this.op}.loadState`;
    if (!rec || typeof rec !== 'object') fail(op, `expected a record of tensors, got ${rec === null ? 'null' : typeof rec}`);
    const names = stateNames(this.kind, { ...this.variant() });
    const vars = new Map<string, { step?: Tensor; state: Record<string, Tensor> }>();
    let iterations: Tensor | undefined;
    for (const [key, t] of Object.entries(rec)) {
      if (!(t instanceof Tensor)) fail(op, `'${key}' must be a kiln Tensor, got ${t === null ? 'null' : typeof t}`);
      t.assertAlive(op);
      if (key === 'iterations') { iterations = t; continue; }
      const cut = key.lastIndexOf('/');
      const name = key.slice(0, cut);
      const what = key.slice(cut + 1);
      if (cut <= 0 || (what !== 'step' && !names.includes(what))) {
        fail(op, `unexpected state '${key}'; this optimizer keeps 'iterations', '<variable>/step'${names.length ? ` and ${names.map((n) => `'<variable>/${n}'`).join(', ')}` : ''}`);
      }
      const entry = vars.get(name) ?? { state: {} };
      vars.set(name, entry);
      if (what === 'step') entry.step = t;
      else {
        if (t.dtype !== 'float32') fail(op, `'${key}' is ${t.dtype}; optimizer state is float32`);
        entry.state[what] = t;
      }
    }
    const counterOk = (t: Tensor | undefined, key: string) => {
      if (!t) return;
      if (t.size !== 1) fail(op, `'${key}' must hold one number, got shape ${fmtShape(t.shape)}`);
    };
    counterOk(iterations, 'iterations');
    for (const [name, entry] of vars) {
      counterOk(entry.step, `${name}/step`);
      if (!entry.step) fail(op, `'${name}/step' is missing (the variable's update count)`);
      const missing = names.filter((n) => !entry.state[n]);
      if (missing.length) fail(op, `missing ${missing.map((n) => `'${name}/${n}'`).join(', ')}`);
      const shapes = names.map((n) => entry.state[n].shape);
      if (shapes.some((s) => !sameShape(s, shapes[0]))) fail(op, `the state tensors of '${name}' have different shapes: ${shapes.map(fmtShape).join(', ')}`);
    }
    const read = async (t: Tensor) => Number((await t.data())[0]);
    const iters = iterations ? await read(iterations) : 0;
    const steps = new Map<string, number>();
    for (const [name, entry] of vars) steps.set(name, await read(entry.step!));
    // all checked and read: adopt
    this.disposeSlots();
    this.iterations = iters;
    const adopt = (t: Tensor) => (t.kept ? keep(clone(t)) : keep(t));
    for (const [name, entry] of vars) {
      const state: Record<string, Tensor> = {};
      for (const n of names) state[n] = adopt(entry.state[n]);
      this.slots.set(name, { shape: names.length ? [...entry.state[names[0]].shape] : null, step: steps.get(name)!, state });
    }
    // counters were read; ones handed over are ours to free
    for (const t of [iterations, ...[...vars.values()].map((e) => e.step)]) if (t && !t.kept) t.dispose();
  }

  /** tfjs's form of state(): a list of { name, tensor }. */
  async getWeights(): Promise<NamedTensor[]> {
    return Object.entries(this.state()).map(([name, tensor]) => ({ name, tensor }));
  }

  /** tfjs's form of loadState(). */
  async setWeights(list: NamedTensor[]): Promise<void> {
    const rec: Record<string, Tensor> = {};
    for (const { name, tensor } of list) rec[name] = tensor;
    await this.loadState(rec);
  }

  private disposeSlots(): void {
    for (const s of this.slots.values()) for (const t of Object.values(s.state)) t.dispose();
    this.slots.clear();
    for (const t of this.counters) t.dispose();
    this.counters = [];
  }

  /** Free every state tensor. The optimizer stays usable and starts afresh (iterations = 0). */
  dispose(): void {
    this.disposeSlots();
    this.iterations = 0;
  }
}
