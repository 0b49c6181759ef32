// Checking one computed tensor against a golden one with the case's tolerance:
// |got - want| <= atol + rtol * |want| elementwise; NaN must meet NaN and ±Infinity the same
// infinity. Also the error measures the reports show.
import type { GoldenTensor, Tolerance } from './format.ts';

export interface Check {
  /** e.g. 'outputs.y' */
  what: string;
  ok: boolean;
  /** max |got - want| over finite pairs (Infinity when a non-finite value does not match) */
  maxAbsErr: number;
  /** max |got - want| / |want| over elements with want != 0 */
  maxRelErr: number;
  /** values outside the tolerance */
  bad: number;
  /** a sentence on the first problem; absent when ok */
  message?: string;
}

const fmt = (v: number) => (Number.isFinite(v) ? Number(v.toPrecision(7)).toString() : String(v));

export function compareTensor(what: string, got: ArrayLike<number>, gotShape: readonly number[], want: GoldenTensor, tol: Tolerance): Check {
  const shapeOk = gotShape.length === want.shape.length && gotShape.every((d, i) => d === want.shape[i]);
  if (!shapeOk || got.length !== want.data.length) {
    return {
      what, ok: false, maxAbsErr: Infinity, maxRelErr: Infinity, bad: want.data.length,
      message: `${what}: kiln's shape [${gotShape}] does not match the golden shape [${want.shape}]`,
    };
  }
  let maxAbsErr = 0, maxRelErr = 0, bad = 0, first = -1;
  for (let i = 0; i < got.length; i++) {
    const g = got[i], w = want.data[i];
    let ok: boolean;
    if (Number.isNaN(w) || Number.isNaN(g) || !Number.isFinite(w) || !Number.isFinite(g)) {
      ok = Object.is(g, w) || (Number.isNaN(g) && Number.isNaN(w));
      if (!ok) { maxAbsErr = Infinity; maxRelErr = Infinity; }
    } else {
      const err = Math.abs(g - w);
      ok = err <= tol.atol + tol.rtol * Math.abs(w);
      if (err > maxAbsErr) maxAbsErr = err;
      if (w !== 0 && err / Math.abs(w) > maxRelErr) maxRelErr = err / Math.abs(w);
    }
    if (!ok) { bad++; if (first < 0) first = i; }
  }
  if (!bad) return { what, ok: true, maxAbsErr, maxRelErr, bad };
  const g = got[first], w = want.data[first];
  const why = Number.isFinite(g) && Number.isFinite(w)
    ? `|diff| ${fmt(Math.abs(g - w))} > atol + rtol*|want| = ${fmt(tol.atol + tol.rtol * Math.abs(w))}`
    : 'NaN and infinities must match exactly';
  return {
    what, ok: false, maxAbsErr, maxRelErr, bad,
    message: `${what}[${first}]: got ${fmt(g)}, want ${fmt(w)} (${why}); ${bad} of ${got.length} values out of tolerance`,
  };
}
