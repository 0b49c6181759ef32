// Gradient rules of the normalisation ops (src/ops/norm.ts).
//   batchNorm (given statistics), with s = rsqrt(var + eps) and g = dy (masked by a fused activation):
//     dx = g * s * scale;  doffset = sum g;  dscale = sum g * (x - mean) * s;
//     dmean = -sum g * s * scale;  dvar = -0.5 * sum g * (x - mean) * scale * s^3.
//   normalize over [G, L, C] (batch statistics): one kernel per (g, c) writes
//     dx = gamma * rstd * (dz - mean(dz) - xhat * mean(dz * xhat)) and the partial sums
//     dgamma[g, c] = sum dz * xhat, dbeta[g, c] = sum dz (summed over g for [C] parameters).
import { Tensor, empty, engine } from '../tensor.ts';
import { record, tracking } from '../autograd/tape.ts';
import { normBackwardProgram, type NormAct, type NormDims } from '../../kernels/instance_norm.ts';
import { checked } from './run.ts';
import { reshape } from './movement.ts';
import { sum } from './reduce.ts';
import * as E from './elementwise.ts';

/** The upstream gradient through a fused activation, from the op's output y. */
function throughAct(dy: Tensor, y: Tensor, act: NormAct): Tensor {
  if (act === 'none') return dy;
  const live = act === 'relu' ? E.greater(y, 0) : E.logicalAnd(E.greater(y, 0), E.less(y, 6));
  return E.where(live, dy, 0);
}

export function recordBatchNorm(x: Tensor, mean: Tensor, variance: Tensor, offset: Tensor | null, scale: Tensor | null,
  eps: number, act: NormAct, y: Tensor): Tensor {
  const params = [mean, variance, offset, scale].filter((t): t is Tensor => !!t);
  if (!tracking(x, ...params)) return y;
  const inputs = [x, mean, variance, ...(offset ? [offset] : []), ...(scale ? [scale] : [])];
  const C = x.shape[x.rank - 1];
  const axes = x.shape.slice(0, -1).map((_, i) => i);
  return record('batchNorm', inputs, y, ([dy], needs) => {
    const g = throughAct(dy!, y, act);
    const flat = (t: Tensor) => reshape(t, [C]);
    const s = E.rsqrt(E.add(flat(variance), eps));
    const sc = scale ? E.mul(s, flat(scale)) : s;
    const [nx, nm, nv] = needs;
    let k = 3;
    const no = offset ? needs[k++] : false;
    const ns = scale ? needs[k++] : false;
    const sumG = nm || no ? sum(g, axes) : null;
    const xm = nv || ns ? E.sub(x, flat(mean)) : null;
    const sumGX = xm ? sum(E.mul(g, xm), axes) : null;
    const out: (Tensor | null)[] = [
      nx ? E.mul(g, sc) : null,
      nm ? reshape(E.neg(E.mul(sumG!, sc)), mean.shape) : null,
      nv ? reshape(E.mul(sumGX!, E.mul(E.mul(sc, E.square(s)), -0.5)), variance.shape) : null,
    ];
    if (offset) out.push(no ? reshape(sumG!, offset.shape) : null);
    if (scale) out.push(ns ? reshape(E.mul(sumGX!, s), scale.shape) : null);
    return out;
  });
}

/** Records the [G, L, C] normalisation; `stats` (mean, rstd per (g, c)) is kept for the backward pass. */
export function recordNorm(op: string, x: Tensor, gamma: Tensor | null, beta: Tensor | null, d: NormDims, stats: Tensor, y: Tensor): Tensor {
  const inputs = [x, ...(gamma ? [gamma] : []), ...(beta ? [beta] : [])];
  return record(op, inputs, y, ([dy], needs) => {
    const e = engine();
    const dx = empty(x.shape, 'float32');
    const dg = empty([d.g, d.c], 'float32');
    const db = empty([d.g, d.c], 'float32');
    if (dx.size) {
      e.dispatch(normBackwardProgram(d), [x.buffer, dy!.buffer, stats.buffer, (gamma ?? x).buffer, (beta ?? x).buffer], [dx.buffer, dg.buffer, db.buffer]);
    } else {
      e.clear(dg.buffer, dg.size * 4);
      e.clear(db.buffer, db.size * 4);
    }
    checked(dx, `${op} backward`);
    const param = (t: Tensor, partial: Tensor, need: boolean): Tensor | null => {
      if (!need) return null;
      if (d.perGroup) return reshape(partial, t.shape);
      const s = sum(partial, 0);
      const r = reshape(s, t.shape);
      s.dispose();
      return r;
    };
    const out: (Tensor | null)[] = [needs[0] ? dx : null];
    let k = 1;
    if (gamma) out.push(param(gamma, dg, needs[k++]));
    if (beta) out.push(param(beta, db, needs[k++]));
    if (!needs[0]) dx.dispose();
    dg.dispose();
    db.dispose();
    return out;
  }, [stats]);
}
