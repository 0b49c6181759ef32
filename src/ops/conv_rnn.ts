// Convolutional recurrent cells (ConvLSTM, Shi et al. 2015; the convolutional GRU of the
// Residual-GRU image codec, Toderici et al. 2017): the gates come from a conv2d over the input
// plus a conv2d over the hidden state, channel-last, in PyTorch's gate order on the channel axis
// (LSTM i,f,g,o; GRU r,z,n with n = tanh(Wx_n * x + bx_n + r * (Wh_n * h + bh_n))).
// Two convolutions, then one fused kernel for every gate nonlinearity and the state update
// (shaders/rnn_cell.wgsl, the same cell as the sequence layers' matmul path).
import { Tensor, tidy, empty, fmtShape } from '../tensor.ts';
import { assertTensor, assertDtype, fail } from './util.ts';
import { record, tracking } from '../autograd/tape.ts';
import { rnnCellStep, rnnCellGradStep, type Cell } from '../../kernels/rnn.ts';
import { checked } from './run.ts';
import { tensor, zeros } from './creation.ts';
import { clone } from './elementwise.ts';
import { concat, reshape, slice } from './movement.ts';
import { fusedConv2d } from './conv.ts';
import { sum } from './reduce.ts';

export interface ConvRnnWeights {
  /** input-to-gates filter [KH, KW, Cin, G*C] */
  wX: Tensor;
  /** hidden-to-gates filter [KH', KW', C, G*C] */
  wH: Tensor;
  /** input-side bias [G*C] */
  bX?: Tensor | null;
  /** hidden-side bias [G*C] (the GRU's n block stays inside r * (.)) */
  bH?: Tensor | null;
}

export interface ConvRnnOptions {
  /** stride of the input convolution (default 1): the hidden state has the strided size */
  strides?: number | [number, number];
  /** dilation of the hidden-state convolution (default 1) */
  hiddenDilations?: number | [number, number];
}

const ones = (n: number) => tensor(new Int32Array(n).fill(1), [n], 'int32');

/**
 * One fused cell step on M = N*H*W positions: xp, hw [M, G*C] (input and hidden projections),
 * h [M, C], c [M, C] (LSTM) or the hidden bias [G*C] (GRU). Returns the next h (and c).
 */
function cellCore(cell: Cell, xp: Tensor, hw: Tensor, h: Tensor, cOrBhh: Tensor): { h: Tensor; c: Tensor | null } {
  const [M, C] = h.shape;
  const lstm = cell === 'lstm';
  const save = tracking(xp, hw, h, cOrBhh);
  const lens = ones(M);
  const hs = empty([1, M, C], 'float32');
  const hst = clone(h);
  const cs = lstm ? empty([2, M, C], 'float32') : null;
  const gates = save ? empty([1, M, C, 4], 'float32') : null;
  rnnCellStep(cell, 0, xp, hw, cOrBhh, lens, hs, hst, cs, gates, 1, M, C);
  hst.dispose();
  const hNext = checked(reshape(hs, [M, C]), `conv${lstm ? 'Lstm' : 'Gru'}Cell`);
  const cNext = cs ? reshape(slice(cs, [1, 0, 0], [1, M, C]), [M, C]) : null;
  if (!save) { cs?.dispose(); lens.dispose(); return { h: hNext, c: cNext }; }
  const outs = cNext ? [hNext, cNext] : [hNext];
  record(`conv${lstm ? 'Lstm' : 'Gru'}Cell`, [xp, hw, h, cOrBhh], outs, ([dh, dc], needs) => {
    const G = lstm ? 4 : 3;
    const z = zeros([M, C]);
    const st = lstm ? concat([z, dc ?? z], 0) : clone(z);
    const dg = empty([1, M, G * C], 'float32');
    const dgn = empty([M, G * C], 'float32');
    const stateSeq = lstm ? cs! : concat([reshape(h, [1, M, C]), reshape(hNext, [1, M, C])], 0);
    rnnCellGradStep(cell, 0, reshape(dh ?? z, [1, M, C]), gates!, stateSeq, z, lens, dg, dgn, st, 1, M, C);
    return [
      reshape(dg, [M, G * C]),
      dgn,
      lstm ? null : slice(st, [0, 0], [M, C]),
      lstm ? (needs[3] ? slice(st, [M, 0], [M, C]) : null) : (needs[3] ? sum(dgn, 0) : null),
    ];
  }, [gates!, lens, ...(cs ? [cs] : [])]);
  return { h: hNext, c: cNext };
}

function convCell(op: string, cell: Cell, x: Tensor, h: Tensor, c: Tensor | null, w: ConvRnnWeights, o: ConvRnnOptions): { h: Tensor; c: Tensor | null } {
  const G = cell === 'lstm' ? 4 : 3;
  for (const [name, t] of [['x', x], ['h', h], ...(c ? [['c', c]] : []), ['wX', w?.wX], ['wH', w?.wH]] as [string, Tensor][]) {
    assertTensor(op, name, t);
    assertDtype(op, name, t, ['float32']);
  }
  if (x.rank !== 4 || h.rank !== 4) fail(op, `x and h must be NHWC [N, H, W, C], got x ${fmtShape(x.shape)}, h ${fmtShape(h.shape)}`);
  const [N, OH, OW, C] = h.shape;
  if (c && c.shape.some((d, i) => d !== h.shape[i])) fail(op, `c ${fmtShape(c.shape)} must have the shape of h ${fmtShape(h.shape)}`);
  if (w.wX.rank !== 4 || w.wX.shape[2] !== x.shape[3] || w.wX.shape[3] !== G * C) {
    fail(op, `wX must be [KH, KW, Cin=${x.shape[3]}, ${G}*C=${G * C}] for x ${fmtShape(x.shape)} and h ${fmtShape(h.shape)}, got ${fmtShape(w.wX.shape)}`);
  }
  if (w.wH.rank !== 4 || w.wH.shape[2] !== C || w.wH.shape[3] !== G * C) fail(op, `wH must be [KH, KW, C=${C}, ${G * C}], got ${fmtShape(w.wH.shape)}`);
  for (const [name, b] of [['bX', w.bX], ['bH', w.bH]] as const) {
    if (b == null) continue;
    assertTensor(op, name, b);
    if (b.rank !== 1 || b.shape[0] !== G * C) fail(op, `${name} must be [${G * C}], got ${fmtShape(b.shape)}`);
  }
  return tidy(() => {
    const xc = fusedConv2d({ x, filter: w.wX, strides: o.strides ?? 1, pad: 'same', bias: w.bX ?? undefined });
    if (xc.shape[0] !== N || xc.shape[1] !== OH || xc.shape[2] !== OW) {
      fail(op, `the input convolution gives ${fmtShape(xc.shape.slice(0, 3))} positions but h is ${fmtShape(h.shape.slice(0, 3))}: set strides so that ceil(H / stride) matches`);
    }
    // the LSTM's hidden bias simply adds; the GRU's goes inside the cell (r * (Wh_n * h + bh_n))
    const hb = cell === 'lstm' ? (w.bH ?? undefined) : undefined;
    const hc = fusedConv2d({ x: h, filter: w.wH, strides: 1, pad: 'same', dilations: o.hiddenDilations ?? 1, bias: hb });
    const M = N * OH * OW;
    const r = cellCore(cell, reshape(xc, [M, G * C]), reshape(hc, [M, G * C]), reshape(h, [M, C]),
      cell === 'lstm' ? reshape(c!, [M, C]) : (w.bH ?? zeros([G * C])));
    return { h: reshape(r.h, h.shape), c: r.c ? reshape(r.c, h.shape) : null };
  });
}

/**
 * A convolutional LSTM step: gates = conv2d(x, wX, strides, 'same') + bX + conv2d(h, wH, 1,
 * 'same') + bH, i,f,g,o on the channel axis; c' = f*c + i*g, h' = o*tanh(c'). NHWC. Returns h', c'.
 */
export function convLstmCell(x: Tensor, h: Tensor, c: Tensor, weights: ConvRnnWeights, opts: ConvRnnOptions = {}): { h: Tensor; c: Tensor } {
  const r = convCell('convLstmCell', 'lstm', x, h, c, weights, opts);
  return { h: r.h, c: r.c! };
}

/**
 * A convolutional GRU step (the image codec's cell): r, z from conv2d(x, wX) + bX + conv2d(h, wH)
 * + bH, n = tanh(x-side n + r * (h-side n)), h' = (1 - z) * n + z * h. NHWC. Returns h'.
 */
export function convGruCell(x: Tensor, h: Tensor, weights: ConvRnnWeights, opts: ConvRnnOptions = {}): Tensor {
  return convCell('convGruCell', 'gru', x, h, null, weights, opts).h;
}
