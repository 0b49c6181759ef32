// Shared test helpers: deterministic random data, awkward sizes, closeness checks.
import * as assert from 'uvu/assert';
import * as kiln from '../src/index.ts';

export { kiln, assert };

/** Sizes that are not tile multiples, per the kernel standards. */
export const AWKWARD = [1, 3, 17, 129];

export function randArray(n: number, seed: number, lo = -1, hi = 1): Float32Array {
  const r = kiln.rng(seed);
  const a = new Float32Array(n);
  for (let i = 0; i < n; i++) a[i] = lo + (hi - lo) * r();
  return a;
}

export function randInts(n: number, seed: number, lo: number, hi: number): Int32Array {
  const r = kiln.rng(seed);
  const a = new Int32Array(n);
  for (let i = 0; i < n; i++) a[i] = lo + Math.floor((hi - lo) * r());
  return a;
}

export interface Tol { rtol?: number; atol?: number }

/** |got - want| <= atol + rtol*|want| everywhere; NaN must match NaN, Inf must match Inf. */
export function expectClose(got: ArrayLike<number>, want: ArrayLike<number>, tol: Tol = {}, what = ''): void {
  const rtol = tol.rtol ?? 1e-5;
  const atol = tol.atol ?? 1e-6;
  assert.is(got.length, want.length, `${what}: length ${got.length} vs expected ${want.length}`);
  let worst = -1;
  let worstErr = 0;
  for (let i = 0; i < got.length; i++) {
    const g = got[i];
    const w = want[i];
    if (Number.isNaN(w) || Number.isNaN(g)) {
      if (Number.isNaN(w) !== Number.isNaN(g)) { worst = i; worstErr = Infinity; break; }
      continue;
    }
    if (!Number.isFinite(w) || !Number.isFinite(g)) {
      if (g !== w) { worst = i; worstErr = Infinity; break; }
      continue;
    }
    const err = Math.abs(g - w) - (atol + rtol * Math.abs(w));
    if (err > worstErr) { worstErr = err; worst = i; }
  }
  if (worst >= 0) {
    assert.unreachable(`${what}: element ${worst}: got ${got[worst]}, expected ${want[worst]} (rtol ${rtol}, atol ${atol})`);
  }
}

export async function expectTensor(t: kiln.Tensor, want: ArrayLike<number>, shape: readonly number[], tol?: Tol, what = ''): Promise<void> {
  assert.equal([...t.shape], [...shape], `${what}: shape ${JSON.stringify(t.shape)} vs expected ${JSON.stringify(shape)}`);
  expectClose(await t.data(), want, tol, what);
}

/** Asserts that fn throws an Error whose message matches every pattern. */
export function expectThrows(fn: () => unknown, ...patterns: RegExp[]): void {
  try {
    fn();
  } catch (e) {
    const m = (e as Error).message;
    for (const p of patterns) assert.match(m, p, `error message "${m}" should match ${p}`);
    return;
  }
  assert.unreachable(`expected an error matching ${patterns.join(', ')}`);
}

/** Product of a shape. */
export const numel = (s: readonly number[]) => s.reduce((a, b) => a * b, 1);

/** Run the `kiln` CLI in-process, capturing what it prints. */
export async function runCli(...args: string[]): Promise<{ code: number; out: string; err: string; outLines: string[] }> {
  const { main } = await import('../src/cli/main.ts');
  const out: string[] = [];
  const err: string[] = [];
  const [log, error] = [console.log, console.error];
  console.log = (...m: unknown[]) => { out.push(m.join(' ')); };
  console.error = (...m: unknown[]) => { err.push(m.join(' ')); };
  try {
    const code = await main(args);
    return { code, out: out.join('\n'), err: err.join('\n'), outLines: out };
  } finally {
    console.log = log;
    console.error = error;
  }
}

/**
 * Let the FinalizationRegistry reclaim tensors that earlier tests dropped without dispose(), so
 * that an exact live-tensor count taken next is not disturbed by them being collected halfway
 * through. Call it before the first count only: after the code under test it could hide a leak.
 * A no-op without node --expose-gc (npm test passes it).
 */
export async function settle(): Promise<void> {
  const gc = (globalThis as { gc?: () => void }).gc;
  if (!gc) return;
  for (let i = 0; i < 3; i++) {
    gc();
    await new Promise((r) => setTimeout(r, 5));
  }
}

/**
 * Train `steps` optimizer steps of `loss` over `params` and check memory stays flat: the live
 * tensor count after two warm-up steps must not move. Returns the first and last loss.
 */
export async function trainFlat(loss: () => kiln.Tensor, params: kiln.Variable[], opt: { applyGradients(g: Record<string, kiln.Tensor>): void }, steps: number): Promise<{ first: number; last: number }> {
  const step = async () => {
    const l = kiln.tidy(() => {
      const { value, grads } = kiln.variableGrads(loss, params);
      opt.applyGradients(grads);
      return value;
    });
    const v = (await l.data())[0];
    l.dispose();
    return v;
  };
  const first = await step();
  await step();
  await settle();
  const before = kiln.memory().numTensors;
  let last = first;
  for (let i = 0; i < steps; i++) last = await step();
  assert.is(kiln.memory().numTensors, before, 'tensors leaked per step');
  return { first, last };
}
