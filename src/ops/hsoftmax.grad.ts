// Gradients of hierarchicalSoftmax. Per example n with g = dL/dloss[n], target t in class k:
//   dz_c = g (softmax(z)_c - [c = k])          over all classes      -> dWc = dz^T h, dbc, dh += dz Wc
//   du_w = g (softmax_k(u)_w - [w = t])        over the words of k  -> dWw, dbw (touched rows only), dh += du Ww
// A first dispatch writes dz [N, C] (from the class logits the forward pass kept in aux); dh is
// dz Wc by (example, column) plus the word part by example; dWc/dbc by (class, column); dWw/dbw
// by word (after a CSR of the examples by target class). Every gradient element has a single writer, so the sums are
// deterministic. The word logits are recomputed.
import { empty, engine, type Tensor } from '../tensor.ts';
import { record, tracking } from '../autograd/tape.ts';
import { exp, mul, sub } from './elementwise.ts';
import { gather } from './movement.ts';
import { csrProgram, hsoftmaxProgram } from '../../kernels/hsoftmax.ts';

export function recordHsoftmax(inputs: Tensor[], csr: Tensor, aux: Tensor, loss: Tensor): Tensor {
  const [h, Wc, bc, Ww, bw, wordClass, targets] = inputs;
  if (!tracking(h, Wc, bc, Ww, bw)) {
    aux.dispose();
    return loss;
  }
  return record('hierarchicalSoftmax', inputs, loss, ([g], needs) => {
    const [n, d] = h.shape;
    const c = Wc.shape[0];
    const v = Ww.shape[0];
    const e = engine();
    const out: (Tensor | null)[] = [null, null, null, null, null, null, null];
    const buf = (ts: Tensor[]) => ts.map((t) => t.buffer);
    if (needs[0] || needs[1] || needs[2]) {
      const dz = empty([n, c], 'float32');
      if (dz.size) e.dispatch(hsoftmaxProgram('DZ', n, c, v, d), buf([aux, g!]), [dz.buffer]);
      if (needs[0]) {
        const dh = empty([n, d], 'float32');
        if (dh.size) {
          e.dispatch(hsoftmaxProgram('BWD_HC', n, c, v, d), buf([Wc, dz]), [dh.buffer]);
          e.dispatch(hsoftmaxProgram('BWD_H', n, c, v, d), buf([h, Ww, bw, targets, csr, aux, g!]), [dh.buffer]);
        }
        out[0] = dh;
      }
      if (needs[1] || needs[2]) {
        const dWc = empty([c, d], 'float32');
        const dbc = empty([c], 'float32');
        e.dispatch(hsoftmaxProgram('BWD_C', n, c, v, d), buf([h, dz]), [dWc.buffer, dbc.buffer]);
        out[1] = dWc;
        out[2] = dbc;
      }
      dz.dispose();
    }
    if (needs[3] || needs[4]) {
      const ecsr = empty([c + 1 + n], 'int32');
      e.dispatch(csrProgram(true, c, v, n), buf([wordClass, targets]), [ecsr.buffer]);
      const dWw = empty([v, d], 'float32');
      const dbw = empty([v], 'float32');
      e.dispatch(hsoftmaxProgram('BWD_W', n, c, v, d), buf([h, Ww, bw, wordClass, targets, ecsr, aux, g!]), [dWw.buffer, dbw.buffer]);
      ecsr.dispose();
      out[3] = dWw;
      out[4] = dbw;
    }
    for (let i = 0; i < 5; i++) if (!needs[i] && out[i]) { out[i]!.dispose(); out[i] = null; }
    return out;
  }, [aux]);
}

/** classLse [N, C] = logsumexp of each class's word logits: dU[n, w] = dL[n, class(w)] * exp(U[n, w] - L[n, class(w)]). */
export function recordClassLse(wl: Tensor, wordClass: Tensor, lse: Tensor): Tensor {
  if (!tracking(wl)) return lse;
  return record('hierarchicalSoftmax.classLse', [wl, wordClass], lse, ([dl]) => [
    mul(gather(dl!, wordClass, 1), exp(sub(wl, gather(lse, wordClass, 1)))),
    null,
  ]);
}
