// Trainable parameters (tf.variable): long-lived tensors that tidy() never disposes, that
// optimizers update in place, and that variableGrads() differentiates by default.
import { Tensor, Storage, engine, fmtShape, type DType } from '../tensor.ts';
import { assertTensor, fail } from '../ops/util.ts';
import { clone, cast } from '../ops/elementwise.ts';

const VARIABLES = new Map<string, Variable>();
let autoName = 0;

export class Variable extends Tensor {
  constructor(shape: readonly number[], dtype: DType, storage: Storage, readonly name: string, public trainable: boolean) {
    super(shape, dtype, storage);
    this.markKept();
  }

  /** Replace the value (same shape and dtype); `value` stays usable and owned by the caller. */
  assign(value: Tensor): void {
    assertTensor('Variable.assign', 'value', value);
    this.assertAlive('Variable.assign');
    if (value.dtype !== this.dtype || value.shape.length !== this.shape.length || value.shape.some((d, i) => d !== this.shape[i])) {
      fail('Variable.assign', `variable '${this.name}' is ${fmtShape(this.shape)} ${this.dtype}; cannot assign ${fmtShape(value.shape)} ${value.dtype}`);
    }
    value.storage.refs++;
    this.replaceStorage(value.storage);
  }

  override dispose(): void {
    if (VARIABLES.get(this.name) === this) VARIABLES.delete(this.name);
    super.dispose();
  }
}

/**
 * A trainable (or not) variable initialised with a copy of `initial` (tf.variable). Names must be
 * unique among live variables; one is made up when omitted. `initial` stays the caller's: create
 * it inside kiln.tidy (`kiln.tidy(() => kiln.variable(kiln.randomNormal(...)))`) or dispose it.
 */
export function variable(initial: Tensor, trainable = true, name?: string, dtype?: DType): Variable {
  assertTensor('variable', 'initial', initial);
  engine();
  const n = name ?? `variable_${++autoName}`;
  if (VARIABLES.has(n)) fail('variable', `a variable named '${n}' already exists; dispose it first or pick another name`);
  const src = dtype && dtype !== initial.dtype ? cast(initial, dtype) : clone(initial);
  src.storage.refs++;
  const v = new Variable(src.shape, src.dtype, src.storage, n, trainable);
  src.dispose();
  VARIABLES.set(n, v);
  return v;
}

/** Live variables, in creation order. */
export function variables(): Variable[] {
  return [...VARIABLES.values()].filter((v) => !v.isDisposed);
}

/** Dispose every registered variable (e.g. between tests or models). */
export function disposeVariables(): void {
  for (const v of [...VARIABLES.values()]) v.dispose();
}
