// nn.Module: a PyTorch-like container of named parameters (kiln Variables) and submodules.
// A subclass registers what it owns in its constructor:
//
//   class Mlp extends nn.Module {
//     fc1 = this.module('fc1', new nn.Linear(4, 8));
//     scale = this.param('scale', kiln.ones([8]));
//     forward(x: Tensor) { return kiln.mul(kiln.relu(this.fc1.forward(x)), this.scale); }
//   }
//
// Names are dotted paths ('fc1.weight'), as torch's state_dict keys, so a PyTorch checkpoint
// converted to safetensors loads with loadStateDict. docs/nn.md.
import { Tensor, fmtShape, tidy } from '../tensor.ts';
import { Variable, variable } from '../autograd/variable.ts';
import { fail } from '../ops/util.ts';

let moduleCounter = 0;

export interface LoadStateDictOptions {
  /** true (default): a missing or unexpected key, or a shape/dtype mismatch, is an error and nothing is assigned */
  strict?: boolean;
}

export interface LoadStateDictResult {
  loaded: string[];
  missing: string[];
  unexpected: string[];
}

export class Module {
  /** train() / eval() mode (Dropout and similar layers read it). */
  training = true;
  /** unique per instance; prefixes the names of this module's Variables (which must be globally unique) */
  readonly scope: string;
  private readonly _params = new Map<string, Variable | null>();
  private readonly _modules = new Map<string, Module>();
  private _disposed = false;

  constructor() {
    this.scope = `${this.constructor.name.toLowerCase() || 'module'}_${++moduleCounter}`;
  }

  /**
   * Register a parameter under `name` (no dots) and return its Variable. `init` is a tensor (copied
   * into a new trainable Variable; the tensor stays the caller's), a function returning one (run in
   * a tidy, so what it makes is disposed), or an existing Variable (taken over: the module disposes
   * it). null registers an absent parameter (e.g. bias: false).
   */
  protected param(name: string, init: Tensor | (() => Tensor)): Variable;
  protected param(name: string, init: null): null;
  protected param(name: string, init: Tensor | (() => Tensor) | null): Variable | null {
    this.checkName('param', name);
    if (init === null) { this._params.set(name, null); return null; }
    let v: Variable;
    if (init instanceof Variable) v = init;
    else if (init instanceof Tensor) v = variable(init, true, `${this.scope}.${name}`);
    else v = tidy(() => variable(init(), true, `${this.scope}.${name}`));
    this._params.set(name, v);
    return v;
  }

  /** Register a submodule under `name` (no dots); returns it. */
  protected module<M extends Module>(name: string, m: M): M {
    this.checkName('module', name);
    if (!(m instanceof Module)) fail(`nn.${this.constructor.name}`, `submodule '${name}' must be an nn.Module, got ${m === null ? 'null' : typeof m}`);
    this._modules.set(name, m);
    return m;
  }

  private checkName(kind: string, name: string): void {
    const op = `nn.${this.constructor.name}`;
    if (typeof name !== 'string' || !name || name.includes('.')) fail(op, `${kind} name must be a non-empty string without dots, got ${JSON.stringify(name)}`);
    if (this._params.has(name) || this._modules.has(name)) fail(op, `'${name}' is already registered on this module`);
  }

  /** The computation; subclasses override it. */
  forward(..._args: unknown[]): unknown {
    fail(`nn.${this.constructor.name}`, 'forward() is not implemented; subclasses of nn.Module define forward');
  }

  /** Direct submodules, by name. */
  namedChildren(): [string, Module][] { return [...this._modules.entries()]; }
  children(): Module[] { return [...this._modules.values()]; }

  /** This module and every submodule, with dotted names ('' for this one), depth first. */
  namedModules(prefix = ''): [string, Module][] {
    const out: [string, Module][] = [[prefix, this]];
    for (const [n, m] of this._modules) out.push(...m.namedModules(prefix ? `${prefix}.${n}` : n));
    return out;
  }
  modules(): Module[] { return this.namedModules().map(([, m]) => m); }

  /** Parameters with dotted names ('fc1.weight'), this module's first, then each submodule's. A shared Variable is listed once. */
  namedParameters(prefix = ''): [string, Variable][] {
    const out: [string, Variable][] = [];
    const seen = new Set<Variable>();
    for (const [mp, m] of this.namedModules(prefix)) {
      for (const [n, v] of m._params) {
        if (!v || seen.has(v)) continue;
        seen.add(v);
        out.push([mp ? `${mp}.${n}` : n, v]);
      }
    }
    return out;
  }
  parameters(): Variable[] { return this.namedParameters().map(([, v]) => v); }

  /** Number of parameter elements (trainable ones only with `trainableOnly`). */
  numParameters(trainableOnly = false): number {
    return this.parameters().filter((v) => !trainableOnly || v.trainable).reduce((s, v) => s + v.size, 0);
  }

  /** Set the mode of this module and every submodule (torch's train(mode)). */
  train(mode = true): this {
    for (const m of this.modules()) m.training = mode;
    return this;
  }
  eval(): this { return this.train(false); }

  /**
   * The parameters by dotted name: the Variables themselves (not copies), so
   * `kiln.saveTensors(m.stateDict())` or `saveCheckpoint(path, { variables: m.stateDict() })` writes them.
   */
  stateDict(): Record<string, Tensor> {
    const out: Record<string, Tensor> = {};
    for (const [n, v] of this.namedParameters()) out[n] = v;
    return out;
  }

  /**
   * Assign parameters from tensors by dotted name (e.g. `kiln.loadTensors(bytes)`); the tensors stay
   * the caller's. strict (default): every parameter must be present with its shape and dtype and no
   * other key may appear, else nothing is assigned and the error lists the differences.
   */
  loadStateDict(state: Record<string, Tensor>, options: LoadStateDictOptions = {}): LoadStateDictResult {
    const op = `nn.${this.constructor.name}.loadStateDict`;
    const strict = options.strict ?? true;
    if (!state || typeof state !== 'object') fail(op, `expected a record of tensors, got ${state === null ? 'null' : typeof state}`);
    const params = this.namedParameters();
    const names = new Set(params.map(([n]) => n));
    const missing = params.filter(([n]) => !Object.prototype.hasOwnProperty.call(state, n)).map(([n]) => n);
    const unexpected = Object.keys(state).filter((k) => !names.has(k));
    const mismatched: string[] = [];
    for (const [n, v] of params) {
      const t = state[n];
      if (t === undefined) continue;
      if (!(t instanceof Tensor)) fail(op, `'${n}' must be a kiln Tensor, got ${t === null ? 'null' : typeof t}`);
      if (t.dtype !== v.dtype || t.shape.length !== v.shape.length || t.shape.some((d, i) => d !== v.shape[i])) {
        mismatched.push(`${n}: module ${fmtShape(v.shape)} ${v.dtype}, state ${fmtShape(t.shape)} ${t.dtype}`);
      }
    }
    if (mismatched.length) fail(op, `shape/dtype mismatch: ${mismatched.join('; ')}`);
    if (strict && (missing.length || unexpected.length)) {
      fail(op, `${missing.length ? `missing keys: ${missing.join(', ')}` : ''}${missing.length && unexpected.length ? '; ' : ''}${unexpected.length ? `unexpected keys: ${unexpected.join(', ')}` : ''} (pass { strict: false } to load the common keys only)`);
    }
    const loaded: string[] = [];
    for (const [n, v] of params) {
      const t = state[n];
      if (t === undefined) continue;
      v.assign(t);
      loaded.push(n);
    }
    return { loaded, missing, unexpected };
  }

  /** Dispose every parameter of this module and its submodules. */
  dispose(): void {
    if (this._disposed) return;
    this._disposed = true;
    for (const v of this._params.values()) v?.dispose();
    for (const m of this._modules.values()) m.dispose();
  }
}
