// L-BFGS in PyTorch's style (torch.optim.LBFGS): minimize(closure) runs up to maxIter iterations,
// calling the closure (through variableGrads) as often as the line search needs. The variables
// are treated as one flat vector; the direction, the history (s, y, rho) and the two-loop
// recursion are GPU tensors and kiln ops (dot products are sum(mul)). Scalars are read back
// only where the algorithm branches: the loss, the curvature check y's > 1e-10, the directional
// derivative, the stopping tests and the line search.
import { Tensor, engine, keep, tidy } from '../tensor.ts';
import { Variable, variables } from '../autograd/variable.ts';
import { variableGrads } from '../autograd/grad.ts';
import { fail } from '../ops/util.ts';
import { add, sub, mul, div, neg, abs, clone, reciprocal } from '../ops/elementwise.ts';
import { sum, max } from '../ops/reduce.ts';
import { concat, reshape, stack } from '../ops/movement.ts';
import { zeros, scalar } from '../ops/creation.ts';
import { axpyProgram } from '../../kernels/optim.ts';
import { checkVariable, ownStorage } from './optimizer.ts';
import { strongWolfe } from './line_search.ts';

export interface LBFGSConfig {
  /** step length: the first iteration's is min(1, 1/|g|_1) * lr (default 1) */
  lr?: number;
  /** iterations per minimize() call (default 20) */
  maxIter?: number;
  /** closure evaluations per minimize() call (default maxIter * 5/4) */
  maxEval?: number;
  /** stop when max |g| <= this (default 1e-7; PyTorch's tolerance_grad) */
  tolerance?: number;
  /** stop when the step or the loss changes by less than this (default 1e-9) */
  toleranceChange?: number;
  /** pairs (s, y) kept (default 10; PyTorch's default is 100) */
  historySize?: number;
  /** 'strong-wolfe' (default) or 'none' (fixed step lr, PyTorch's default) */
  lineSearch?: 'strong-wolfe' | 'none';
  /** the variables to optimize (default: every trainable variable at the first minimize) */
  varList?: Variable[];
}

/** A closure's loss and its gradients keyed by variable name (missing ones count as zeros). */
export interface ValueAndGrads { value: Tensor; grads: Record<string, Tensor> }

/** Read scalar tensors back in one transfer; `build` runs in a tidy() scope. */
async function readScalars(build: () => Tensor[]): Promise<number[]> {
  const packed = tidy(() => stack(build().map((t) => reshape(t, []))));
  try {
    return Array.from(await packed.data());
  } finally {
    packed.dispose();
  }
}

const dot = (a: Tensor, b: Tensor) => sum(mul(a, b));
const maxAbs = (a: Tensor) => max(abs(a));

/**
 * Limited-memory BFGS (torch.optim.LBFGS). One minimize(closure) is PyTorch's step(closure):
 *   d = -H g by the two-loop recursion over the last historySize pairs
 *       s = t d, y = g_new - g (kept when y's > 1e-10), rho = 1 / y's, H0 = y's / y'y;
 *   t from the strong-Wolfe line search (or t = lr), x += t d;
 * stopping when max|g| <= tolerance, g'd > -toleranceChange, |t| max|d| <= toleranceChange,
 * |loss change| < toleranceChange, or after maxIter iterations / maxEval evaluations. The state
 * (history, direction, counters) carries over between calls, as in PyTorch.
 */
export class LBFGS {
  readonly lr: number;
  readonly maxIter: number;
  readonly maxEval: number;
  readonly tolerance: number;
  readonly toleranceChange: number;
  readonly historySize: number;
  readonly lineSearch: 'strong-wolfe' | 'none';
  /** iterations over all minimize() calls */
  nIter = 0;
  /** closure evaluations over all minimize() calls */
  funcEvals = 0;
  private vars: Variable[] | null;
  private numel = -1;
  private d: Tensor | null = null;
  private t = 0;
  private dirs: Tensor[] = [];
  private stps: Tensor[] = [];
  private ro: Tensor[] = [];
  private hDiag: Tensor | null = null;
  private prevGrad: Tensor | null = null;
  private prevLoss = NaN;
  private counters: Tensor[] = [];

  constructor(config: LBFGSConfig = {}) {
    const op = 'lbfgs';
    this.lr = config.lr ?? 1;
    this.maxIter = config.maxIter ?? 20;
    this.maxEval = config.maxEval ?? Math.floor((this.maxIter * 5) / 4);
    this.tolerance = config.tolerance ?? 1e-7;
    this.toleranceChange = config.toleranceChange ?? 1e-9;
    this.historySize = config.historySize ?? 10;
    this.lineSearch = config.lineSearch ?? 'strong-wolfe';
    if (!(this.lr > 0 && Number.isFinite(this.lr))) fail(op, `lr must be a finite number > 0, got ${this.lr}`);
    if (!(Number.isInteger(this.maxIter) && this.maxIter > 0)) fail(op, `maxIter must be a positive integer, got ${this.maxIter}`);
    if (!(Number.isInteger(this.maxEval) && this.maxEval > 0)) fail(op, `maxEval must be a positive integer, got ${this.maxEval}`);
    if (!(Number.isInteger(this.historySize) && this.historySize > 0)) fail(op, `historySize must be a positive integer, got ${this.historySize}`);
    if (!(this.tolerance >= 0) || !(this.toleranceChange >= 0)) fail(op, 'tolerances must be numbers >= 0');
    if (this.lineSearch !== 'strong-wolfe' && this.lineSearch !== 'none') fail(op, `lineSearch must be 'strong-wolfe' or 'none', got ${JSON.stringify(this.lineSearch)}`);
    this.vars = config.varList ? [...config.varList] : null;
  }

  /**
   * Run up to maxIter iterations on the loss `closure` (differentiated with variableGrads with
   * respect to the variables). Returns the loss at the start, as PyTorch's step(closure).
   */
  minimize(closure: () => Tensor): Promise<number> {
    if (typeof closure !== 'function') fail('lbfgs.minimize', `expected a closure returning the loss, got ${typeof closure}`);
    return this.step((vars) => variableGrads(closure, vars));
  }

  /**
   * As minimize(), for a closure that computes its own gradients (e.g. analytically): it returns
   * { value, grads } keyed by variable name. It runs inside tidy(); the optimizer disposes
   * what it returns.
   */
  minimizeValueAndGrads(fn: () => ValueAndGrads): Promise<number> {
    if (typeof fn !== 'function') fail('lbfgs.minimizeValueAndGrads', `expected a closure returning { value, grads }, got ${typeof fn}`);
    return this.step(() => {
      const r = tidy(fn); // the closure's intermediates are freed; its results are ours to dispose
      if (!r || !(r.value instanceof Tensor) || !r.grads || typeof r.grads !== 'object') {
        fail('lbfgs.minimizeValueAndGrads', 'the closure must return { value: Tensor, grads: Record<string, Tensor> }');
      }
      return r;
    });
  }

  private variables(op: string): Variable[] {
    this.vars ??= variables().filter((v) => v.trainable);
    if (!this.vars.length) fail(op, 'no variables to optimize: create them with kiln.variable(...) or pass varList');
    for (const v of this.vars) checkVariable(op, v);
    const n = this.vars.reduce((s, v) => s + v.size, 0);
    if (this.numel >= 0 && n !== this.numel) fail(op, `the variables now have ${n} elements in all, the optimizer's state ${this.numel}; call dispose() to start afresh`);
    this.numel = n;
    return this.vars;
  }

  /** Evaluate: the loss tensor and the flat gradient (kept). */
  private evaluate(op: string, vars: Variable[], f: (vars: Variable[]) => ValueAndGrads): { value: Tensor; g: Tensor } {
    const { value, grads } = f(vars);
    try {
      if (value.size !== 1) fail(op, `the loss must be a scalar, got shape [${value.shape.join(',')}]`);
      for (const v of vars) {
        const gv = grads[v.name];
        if (gv && (gv.size !== v.size || gv.dtype !== 'float32')) fail(op, `the gradient of '${v.name}' has ${gv.size} ${gv.dtype} elements; the variable ${v.size} float32`);
      }
      const g = keep(tidy(() => concat(vars.map((v) => reshape(grads[v.name] ?? zeros(v.shape), [-1])))));
      return { value, g };
    } catch (e) {
      value.dispose();
      throw e;
    } finally {
      for (const t of Object.values(grads)) if (t instanceof Tensor) t.dispose();
    }
  }

  /** The variables as one flat vector. */
  private flatParams(vars: Variable[]): Tensor {
    return keep(tidy(() => concat(vars.map((v) => reshape(v, [-1])))));
  }

  /** Variables <- (x0 ?? variables) + t * d, in place (one axpy dispatch per variable). */
  private moveTo(vars: Variable[], x0: Tensor | null, t: number, d: Tensor): void {
    const e = engine();
    let off = 0;
    for (const v of vars) {
      if (v.size) {
        ownStorage(v);
        e.dispatch(axpyProgram(v.size, off, t, x0 !== null), x0 ? [d.buffer, x0.buffer] : [d.buffer], [v.buffer]);
      }
      off += v.size;
    }
  }

  /** d = -H g by the two-loop recursion (runs inside tidy). */
  private twoLoop(g: Tensor): Tensor {
    const k = this.dirs.length;
    const al: Tensor[] = new Array(k);
    let q = neg(g);
    for (let i = k - 1; i >= 0; i--) {
      al[i] = mul(dot(this.stps[i], q), this.ro[i]);
      q = sub(q, mul(this.dirs[i], al[i]));
    }
    let r = this.hDiag ? mul(q, this.hDiag) : q;
    for (let i = 0; i < k; i++) {
      const be = mul(dot(this.dirs[i], r), this.ro[i]);
      r = add(r, mul(this.stps[i], sub(al[i], be)));
    }
    return r;
  }

  private async step(f: (vars: Variable[]) => ValueAndGrads): Promise<number> {
    const op = 'lbfgs.minimize';
    const vars = this.variables(op);
    const { lr, maxIter, maxEval, tolerance, toleranceChange: tolChange, historySize } = this;
    const first = this.evaluate(op, vars, f);
    let flatGrad = first.g;
    let loss: number, gmax: number;
    try {
      [loss, gmax] = await readScalars(() => [first.value, maxAbs(flatGrad)]);
    } finally {
      first.value.dispose();
    }
    const origLoss = loss;
    let currentEvals = 1;
    this.funcEvals++;
    try {
      if (gmax <= tolerance) return origLoss;
      let nIter = 0;
      while (nIter < maxIter) {
        nIter++;
        this.nIter++;
        // direction
        if (this.nIter === 1) {
          this.resetHistory();
          this.d?.dispose();
          this.d = keep(neg(flatGrad));
        } else {
          const y = keep(sub(flatGrad, this.prevGrad!));
          const s = keep(mul(this.d!, this.t));
          const ys = keep(tidy(() => dot(y, s)));
          const [ysv] = await readScalars(() => [ys]);
          if (ysv > 1e-10) {
            if (this.dirs.length === historySize) {
              this.dirs.shift()!.dispose();
              this.stps.shift()!.dispose();
              this.ro.shift()!.dispose();
            }
            this.dirs.push(y);
            this.stps.push(s);
            this.ro.push(keep(reciprocal(ys)));
            const h = keep(tidy(() => div(ys, dot(y, y))));
            this.hDiag?.dispose();
            this.hDiag = h;
          } else {
            y.dispose();
            s.dispose();
          }
          ys.dispose();
          const d = keep(tidy(() => this.twoLoop(flatGrad)));
          this.d!.dispose();
          this.d = d;
        }
        this.prevGrad?.dispose();
        this.prevGrad = keep(clone(flatGrad));
        this.prevLoss = loss;
        const d = this.d!;

        // step length and directional derivative
        let gtd: number, dmax: number;
        if (this.nIter === 1) {
          let l1: number;
          [gtd, dmax, l1] = await readScalars(() => [dot(flatGrad, d), maxAbs(d), sum(abs(flatGrad))]);
          this.t = Math.min(1, 1 / l1) * lr;
        } else {
          [gtd, dmax] = await readScalars(() => [dot(flatGrad, d), maxAbs(d)]);
          this.t = lr;
        }
        if (gtd > -tolChange) break;

        let lsEvals = 0;
        let optCond = false;
        if (this.lineSearch === 'strong-wolfe') {
          const x0 = this.flatParams(vars);
          try {
            const res = await strongWolfe(async (t) => {
              this.moveTo(vars, x0, t, d);
              const ev = this.evaluate(op, vars, f);
              try {
                const [fv, gtdNew] = await readScalars(() => [ev.value, dot(ev.g, d)]);
                return { f: fv, g: ev.g, gtd: gtdNew };
              } catch (e) {
                ev.g.dispose();
                throw e;
              } finally {
                ev.value.dispose();
              }
            }, this.t, dmax, loss, flatGrad, gtd, { toleranceChange: tolChange });
            loss = res.f;
            this.t = res.t;
            lsEvals = res.evals;
            if (res.g !== flatGrad) {
              flatGrad.dispose();
              flatGrad = res.g;
            }
            this.moveTo(vars, x0, this.t, d);
          } finally {
            x0.dispose();
          }
          const [gm] = await readScalars(() => [maxAbs(flatGrad)]);
          optCond = gm <= tolerance;
        } else {
          this.moveTo(vars, null, this.t, d);
          if (nIter !== maxIter) {
            const ev = this.evaluate(op, vars, f);
            flatGrad.dispose();
            flatGrad = ev.g;
            let gm: number;
            try {
              [loss, gm] = await readScalars(() => [ev.value, maxAbs(flatGrad)]);
            } finally {
              ev.value.dispose();
            }
            optCond = gm <= tolerance;
            lsEvals = 1;
          }
        }
        currentEvals += lsEvals;
        this.funcEvals += lsEvals;

        // stopping tests
        if (nIter === maxIter) break;
        if (currentEvals >= maxEval) break;
        if (optCond) break;
        if (Math.abs(this.t) * dmax <= tolChange) break; // max |t d|
        if (Math.abs(loss - this.prevLoss) < tolChange) break;
      }
    } finally {
      flatGrad.dispose();
    }
    return origLoss;
  }

  private resetHistory(): void {
    for (const t of [...this.dirs, ...this.stps, ...this.ro]) t.dispose();
    this.dirs = [];
    this.stps = [];
    this.ro = [];
    this.hDiag?.dispose();
    this.hDiag = null;
  }

  /**
   * The state in PyTorch's names: `d`, `prev_flat_grad`, `old_dirs/i` (y), `old_stps/i` (s),
   * `ro/i`, `H_diag`, and scalars `t`, `prev_loss`, `n_iter`, `func_evals`. Owned by the
   * optimizer (do not dispose); valid until its next minimize() or state() call.
   */
  state(): Record<string, Tensor> {
    for (const t of this.counters) t.dispose();
    this.counters = [];
    const num = (v: number, dtype: 'float32' | 'int32' = 'float32') => {
      const t = keep(scalar(v, dtype));
      this.counters.push(t);
      return t;
    };
    const out: Record<string, Tensor> = {
      t: num(this.t), prev_loss: num(this.prevLoss), n_iter: num(this.nIter, 'int32'), func_evals: num(this.funcEvals, 'int32'),
    };
    if (this.d) out.d = this.d;
    if (this.prevGrad) out.prev_flat_grad = this.prevGrad;
    if (this.hDiag) out.H_diag = this.hDiag;
    this.dirs.forEach((t, i) => { out[`old_dirs/${i}`] = t; });
    this.stps.forEach((t, i) => { out[`old_stps/${i}`] = t; });
    this.ro.forEach((t, i) => { out[`ro/${i}`] = t; });
    return out;
  }

  /**
   * Replace the state with `rec` (as state() names it). Takes ownership of the tensors (a tensor
   * kept elsewhere is copied instead).
   */
  async loadState(rec: Record<string, Tensor>): Promise<void> {
    const op = 'lbfgs.loadState';
    if (!rec || typeof rec !== 'object') fail(op, `expected a record of tensors, got ${rec === null ? 'null' : typeof rec}`);
    const known = /^(t|prev_loss|n_iter|func_evals|d|prev_flat_grad|H_diag|(old_dirs|old_stps|ro)\/\d+)$/;
    for (const [k, t] of Object.entries(rec)) {
      if (!known.test(k)) fail(op, `unexpected state '${k}'`);
      if (!(t instanceof Tensor)) fail(op, `'${k}' must be a kiln Tensor`);
      t.assertAlive(op);
    }
    const list = (p: string) => {
      const out: Tensor[] = [];
      for (let i = 0; rec[`${p}/${i}`]; i++) out.push(rec[`${p}/${i}`]);
      return out;
    };
    const dirs = list('old_dirs'), stps = list('old_stps'), ro = list('ro');
    if (dirs.length !== stps.length || dirs.length !== ro.length) fail(op, `old_dirs, old_stps and ro must have the same length (got ${dirs.length}, ${stps.length}, ${ro.length})`);
    const scalars = ['t', 'prev_loss', 'n_iter', 'func_evals'].map((k) => rec[k]);
    const vals = await Promise.all(scalars.map(async (t) => (t ? Number((await t.data())[0]) : NaN)));
    this.dispose();
    const adopt = (t: Tensor | undefined) => (t ? (t.kept ? keep(clone(t)) : keep(t)) : null);
    this.t = Number.isNaN(vals[0]) ? 0 : vals[0];
    this.prevLoss = vals[1];
    this.nIter = Number.isNaN(vals[2]) ? 0 : vals[2];
    this.funcEvals = Number.isNaN(vals[3]) ? 0 : vals[3];
    this.d = adopt(rec.d);
    this.prevGrad = adopt(rec.prev_flat_grad);
    this.hDiag = adopt(rec.H_diag);
    this.dirs = dirs.map((t) => adopt(t)!);
    this.stps = stps.map((t) => adopt(t)!);
    this.ro = ro.map((t) => adopt(t)!);
    if (this.d) this.numel = this.d.size;
    for (const t of scalars) if (t && !t.kept) t.dispose();
  }

  /** Free every state tensor; the next minimize() starts afresh. */
  dispose(): void {
    this.resetHistory();
    for (const t of [this.d, this.prevGrad, ...this.counters]) t?.dispose();
    this.d = null;
    this.prevGrad = null;
    this.counters = [];
    this.t = 0;
    this.prevLoss = NaN;
    this.nIter = 0;
    this.funcEvals = 0;
    this.numel = -1;
  }
}

/** An L-BFGS optimizer (torch.optim.LBFGS); see LBFGS. */
export function lbfgs(config?: LBFGSConfig): LBFGS {
  return new LBFGS(config);
}
