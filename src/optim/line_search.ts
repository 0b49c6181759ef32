// The strong-Wolfe line search of L-BFGS, ported from PyTorch's torch/optim/lbfgs.py (itself from
// torch/optim's lswolfe.lua): bracket a step satisfying the strong Wolfe conditions
//   f(x + t d) <= f(x) + c1 t g'd   and   |g(x + t d)'d| <= -c2 g'd,
// then zoom in with safeguarded cubic interpolation. Only scalars live here; the gradients are
// GPU tensors that this module tracks so that every one it does not return is disposed.
import type { Tensor } from '../tensor.ts';

/** Minimiser of the cubic through (x1, f1, g1) and (x2, f2, g2), clamped to `bounds`. */
export function cubicInterpolate(x1: number, f1: number, g1: number, x2: number, f2: number, g2: number, bounds?: [number, number]): number {
  const [lo, hi] = bounds ?? (x1 <= x2 ? [x1, x2] : [x2, x1]);
  const d1 = g1 + g2 - (3 * (f1 - f2)) / (x1 - x2);
  const d2sq = d1 * d1 - g1 * g2;
  if (d2sq >= 0) {
    const d2 = Math.sqrt(d2sq);
    const minPos = x1 <= x2
      ? x2 - (x2 - x1) * ((g2 + d2 - d1) / (g2 - g1 + 2 * d2))
      : x1 - (x1 - x2) * ((g1 + d2 - d1) / (g1 - g2 + 2 * d2));
    return Math.min(Math.max(minPos, lo), hi);
  }
  return (lo + hi) / 2;
}

/** f, gradient and directional derivative g'd at x + t d. */
export interface LinePoint { f: number; g: Tensor; gtd: number }

export interface StrongWolfeOptions { c1?: number; c2?: number; toleranceChange?: number; maxLs?: number }

/**
 * Search along d from x (where the loss is f, the gradient g and g'd = gtd), starting at step t.
 * `evaluate(t)` returns a new gradient tensor each call; all but the returned one are disposed
 * (`g` stays the caller's). dNorm = max |d|.
 */
export async function strongWolfe(
  evaluate: (t: number) => Promise<LinePoint>, t: number, dNorm: number, f: number, g: Tensor, gtd: number, opts: StrongWolfeOptions = {},
): Promise<{ f: number; g: Tensor; t: number; evals: number }> {
  const c1 = opts.c1 ?? 1e-4;
  const c2 = opts.c2 ?? 0.9;
  const tolChange = opts.toleranceChange ?? 1e-9;
  const maxLs = opts.maxLs ?? 25;
  const made: Tensor[] = [];
  const at = async (step: number) => {
    const p = await evaluate(step);
    made.push(p.g);
    return p;
  };
  try {
    let { f: fNew, g: gNew, gtd: gtdNew } = await at(t);
    let evals = 1;
    let tPrev = 0, fPrev = f, gPrev = g, gtdPrev = gtd;
    let done = false;
    let lsIter = 0;
    let bracket: number[] = [];
    let bf: number[] = [];
    let bg: Tensor[] = [];
    let bgtd: number[] = [];
    while (lsIter < maxLs) {
      if (fNew > f + c1 * t * gtd || (lsIter > 1 && fNew >= fPrev)) {
        bracket = [tPrev, t]; bf = [fPrev, fNew]; bg = [gPrev, gNew]; bgtd = [gtdPrev, gtdNew];
        break;
      }
      if (Math.abs(gtdNew) <= -c2 * gtd) {
        bracket = [t]; bf = [fNew]; bg = [gNew];
        done = true;
        break;
      }
      if (gtdNew >= 0) {
        bracket = [tPrev, t]; bf = [fPrev, fNew]; bg = [gPrev, gNew]; bgtd = [gtdPrev, gtdNew];
        break;
      }
      // extrapolate
      const minStep = t + 0.01 * (t - tPrev);
      const maxStep = t * 10;
      const tmp = t;
      t = cubicInterpolate(tPrev, fPrev, gtdPrev, t, fNew, gtdNew, [minStep, maxStep]);
      tPrev = tmp; fPrev = fNew; gPrev = gNew; gtdPrev = gtdNew;
      ({ f: fNew, g: gNew, gtd: gtdNew } = await at(t));
      evals++;
      lsIter++;
    }
    if (lsIter === maxLs) {
      bracket = [0, t]; bf = [f, fNew]; bg = [g, gNew];
    }

    // zoom: shrink the bracket until a point satisfies the conditions
    let insufProgress = false;
    let [low, high] = bf[0] <= bf[bf.length - 1] ? [0, 1] : [1, 0];
    while (!done && lsIter < maxLs) {
      if (Math.abs(bracket[1] - bracket[0]) * dNorm < tolChange) break;
      t = cubicInterpolate(bracket[0], bf[0], bgtd[0], bracket[1], bf[1], bgtd[1]);
      // keep away from the bracket's ends when progress stalls
      const bmax = Math.max(...bracket), bmin = Math.min(...bracket);
      const eps = 0.1 * (bmax - bmin);
      if (Math.min(bmax - t, t - bmin) < eps) {
        if (insufProgress || t >= bmax || t <= bmin) {
          t = Math.abs(t - bmax) < Math.abs(t - bmin) ? bmax - eps : bmin + eps;
          insufProgress = false;
        } else {
          insufProgress = true;
        }
      } else {
        insufProgress = false;
      }
      ({ f: fNew, g: gNew, gtd: gtdNew } = await at(t));
      evals++;
      lsIter++;
      if (fNew > f + c1 * t * gtd || fNew >= bf[low]) {
        bracket[high] = t; bf[high] = fNew; bg[high] = gNew; bgtd[high] = gtdNew;
        [low, high] = bf[0] <= bf[1] ? [0, 1] : [1, 0];
      } else {
        if (Math.abs(gtdNew) <= -c2 * gtd) {
          done = true;
        } else if (gtdNew * (bracket[high] - bracket[low]) >= 0) {
          bracket[high] = bracket[low]; bf[high] = bf[low]; bg[high] = bg[low]; bgtd[high] = bgtd[low];
        }
        bracket[low] = t; bf[low] = fNew; bg[low] = gNew; bgtd[low] = gtdNew;
      }
    }
    const chosen = bg[low];
    for (const x of made) if (x !== chosen) x.dispose();
    made.length = 0;
    return { f: bf[low], g: chosen, t: bracket[low], evals };
  } finally {
    for (const x of made) x.dispose(); // only on an error
  }
}
