// Gradient rules of the normalisation ops (src/ops/norm.ts).
//   batchNorm (given statistics), with s = rsqrt(var + eps) and g = dy (masked by a fused activation):
//     dx = g * s * scale;  doffset = sum g;  dscale = sum g * (x - mean) * s;
//     dmean = -sum g * s * scale;  dvar = -0.5 * sum g * (x - mean) * scale * s^3.
//   normalize over [G, L, C] (batch statistics): chunked sums per (g, c) give
//     dgamma[g, c] = sum dz * xhat and dbeta[g, c] = sum dz (summed over g for [C] parameters),
//     then dx = gamma * rstd * (dz - dbeta/L - xhat * dgamma/L) elementwise.
import { Tensor, empty, engine } from '../tensor.ts';
import { record, tracking } from '../autograd/tape.ts';
import { normBackward, type NormAct, type NormDims } from '../../kernels/instance_norm.ts';
import { checked } from './run.ts';
import { reshape, slice } from './movement.ts';
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
    const plan = normBackward(d);
    const dx = empty(x.shape, 'float32');
    const part = empty([2 * d.g * plan.k * d.c], 'float32');
    const gb = [x.buffer, dy!.buffer, stats.buffer, (gamma ?? x).buffer, (beta ?? x).buffer];
    let dgb = part;
    if (dx.size) {
      e.dispatch(plan.bpart, gb, [part.buffer]);
      if (plan.bfin) {
        dgb = empty([2 * d.g * d.c], 'float32');
        e.dispatch(plan.bfin, [part.buffer], [dgb.buffer]);
      }
      if (needs[0]) e.dispatch(plan.dx, [...gb, dgb.buffer], [dx.buffer]);
    } else {
      e.clear(part.buffer, part.size * 4);
    }
    checked(dx, `${op} backward`);
    // dgb is planar [2, G, C]: dgamma, then dbeta
    const planes = reshape(dgb, [2, d.g, d.c]);
    const plane = (k: number): Tensor => {
      const s = slice(planes, [k, 0, 0], [1, d.g, d.c]);
      const r = reshape(s, [d.g, d.c]);
      s.dispose();
      return r;
    };
    const dg = gamma && needs[1] ? plane(0) : null;
    const db = beta && needs[gamma ? 2 : 1] ? plane(1) : null;
    planes.dispose();
    if (dgb !== part) dgb.dispose();
    part.dispose();
    const param = (t: Tensor, partial: Tensor | null, need: boolean): Tensor | null => {
      if (!need || !partial) return null;
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
    dg?.dispose();
    db?.dispose();
    return out;
  }, [stats]);
}
