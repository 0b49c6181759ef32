// How each golden family maps onto kiln: dispatch on the file's `family` and the case's params
// (never on case names). A plan names the op being checked, the kiln functions it needs
// (feature-detected at run time, so e.g. matMul is used as soon as it lands) and a forward
// function from named input tensors to named output tensors, in the golden's own names.
//
// `forward` is a pure composition of kiln's public ops, so the runner differentiates it with
// kiln.grads: grads[x] = d/dx sum_k sum(upstream[k] * outputs[k]) (the golden convention),
// compared with the case's `grads`. Every op a mapping uses must therefore record its gradient.
// (For CTC, compare grads.logits, never aux.grad_log_probs_torch: see the README's traps.)
import type * as KilnModule from '../index.ts';
import type { Tensor } from '../tensor.ts';
import type { GoldenCase } from './format.ts';

/** kiln's public module, plus ops that may not exist yet (feature-detected by name). */
export type Kiln = typeof KilnModule & {
  matMul?: (a: Tensor, b: Tensor) => Tensor;
};

export type Forward = (k: Kiln, inputs: Record<string, Tensor>) => Record<string, Tensor>;

export interface Plan {
  /** the op being checked, as shown in reports, e.g. 'cross_entropy(mean)' */
  op: string;
  /** kiln functions that must exist; the first missing one makes the case a SKIP naming it */
  needs: string[];
  /** computes the outputs; absent when kiln has no mapping yet (a SKIP, never a pass) */
  forward?: Forward;
  /** a reason to skip that does not depend on what kiln has (e.g. an unsupported variant) */
  skip?: string;
  /** shown after a "not in kiln yet" skip: how the op will be run once it exists */
  note?: string;
}

/** Thrown by plans for a case that does not follow its family's conventions: a FAIL. */
export class CaseError extends Error {}

export type FamilyMapper = (c: GoldenCase) => Plan;

/** Input by name; a clear FAIL when the case lacks it. */
function need(inputs: Record<string, Tensor>, name: string, family: string): Tensor {
  const t = inputs[name];
  if (!t) throw new CaseError(`the case has no inputs.${name}, which ${family} cases take (inputs: ${Object.keys(inputs).join(', ') || 'none'})`);
  return t;
}

const str = (v: unknown) => (typeof v === 'string' ? v : undefined);
const nums = (v: unknown): number[] | undefined => (Array.isArray(v) && v.every((x) => typeof x === 'number') ? v as number[] : undefined);

// ---- activations --------------------------------------------------------------------------

/** Golden op names (PyTorch's, snake_case) -> kiln unary functions. */
const UNARY: Record<string, string> = {
  relu: 'relu', relu6: 'relu6', sigmoid: 'sigmoid', tanh: 'tanh', softplus: 'softplus', exp: 'exp', log: 'log',
  abs: 'abs', neg: 'neg', sqrt: 'sqrt', rsqrt: 'rsqrt', square: 'square', sin: 'sin', cos: 'cos',
  elu: 'elu', selu: 'selu', gelu: 'gelu', silu: 'silu', swish: 'swish', mish: 'mish', hardswish: 'hardSwish',
  hardsigmoid: 'hardSigmoid', hard_sigmoid: 'hardSigmoid', log_sigmoid: 'logSigmoid', logsigmoid: 'logSigmoid',
};

function activations(c: GoldenCase): Plan {
  const op = str(c.params.op);
  if (!op) return { op: '?', needs: [], skip: 'activations case without params.op: the runner cannot tell which activation it is' };
  if (op === 'leaky_relu') {
    const slope = c.params.negative_slope ?? c.params.alpha ?? 0.01;
    if (typeof slope !== 'number') throw new CaseError(`leaky_relu: params.negative_slope must be a number, got ${JSON.stringify(slope)}`);
    return { op, needs: ['leakyRelu'], forward: (k, i) => ({ y: k.leakyRelu(need(i, 'x', 'activations'), slope) }) };
  }
  const fn = UNARY[op];
  if (!fn) return { op, needs: [op] };
  return { op, needs: [fn], forward: (k, i) => ({ y: (k as unknown as Record<string, (x: Tensor) => Tensor>)[fn](need(i, 'x', 'activations')) }) };
}

// ---- softmax, log_softmax, cross entropy ---------------------------------------------------

/** Move `axis` last (a no-op view for the usual -1), so last-axis ops apply along it. */
function moveLast(k: Kiln, x: Tensor, axis: number): { t: Tensor; back: (y: Tensor) => Tensor } {
  const a = axis < 0 ? axis + x.rank : axis;
  if (a < 0 || a >= x.rank) throw new CaseError(`params.axis ${axis} is out of range for shape [${x.shape}]`);
  if (a === x.rank - 1) return { t: x, back: (y) => y };
  const perm = x.shape.map((_, i) => i).filter((i) => i !== a).concat(a);
  const inv = perm.map((_, i) => perm.indexOf(i));
  return { t: k.transpose(x, perm), back: (y) => k.transpose(y, inv) };
}

/** out[r] = x[r, idx[r]] for x viewed as [rows, K]: a flat gather at r*K + idx[r]. */
function pickPerRow(k: Kiln, x: Tensor, idx: Tensor): Tensor {
  const K = x.shape[x.rank - 1];
  const rows = x.size / K;
  if (idx.size !== rows) throw new CaseError(`${idx.size} indices for ${rows} rows of shape [${x.shape}]`);
  const flatIdx = k.add(k.mul(k.range(0, rows, 1, 'int32'), K), k.reshape(idx, [rows]));
  return k.reshape(k.gather(k.reshape(x, [rows * K]), flatIdx), idx.shape);
}

function softmaxFamily(c: GoldenCase): Plan {
  const p = c.params;
  const axis = p.axis === undefined ? -1 : p.axis;
  if (typeof axis !== 'number' || !Number.isInteger(axis)) throw new CaseError(`params.axis must be an integer, got ${JSON.stringify(axis)}`);
  const op = str(p.op) ?? (p.reduction !== undefined ? 'cross_entropy' : undefined);
  if (op === 'softmax' || op === 'log_softmax') {
    const fn = op === 'softmax' ? 'softmax' : 'logSoftmax';
    return {
      op, needs: [fn],
      forward: (k, i) => {
        const { t, back } = moveLast(k, need(i, 'x', 'softmax'), axis);
        return { y: back(k[fn](t)) };
      },
    };
  }
  if (op === 'cross_entropy') {
    const red = p.reduction ?? 'mean';
    if (red !== 'none' && red !== 'mean' && red !== 'sum') return { op, needs: [], skip: `cross_entropy reduction ${JSON.stringify(red)} is not mapped (none, mean, sum are)` };
    for (const extra of ['label_smoothing', 'weight', 'ignore_index']) {
      if (p[extra] !== undefined && p[extra] !== 0 && p[extra] !== null && !(extra === 'ignore_index' && p[extra] === -100)) {
        return { op, needs: [], skip: `cross_entropy with params.${extra} is not mapped yet` };
      }
    }
    return {
      op: `cross_entropy(${red})`,
      needs: ['logSoftmax', 'gather'],
      forward: (k, i) => {
        // classes along `axis`; targets index them for every other position, in order
        const { t } = moveLast(k, need(i, 'logits', 'cross_entropy'), axis);
        const loss = k.neg(pickPerRow(k, k.logSoftmax(t), need(i, 'targets', 'cross_entropy')));
        return { loss: red === 'none' ? loss : red === 'mean' ? k.mean(loss) : k.sum(loss) };
      },
    };
  }
  return { op: op ?? '?', needs: op ? [op] : [], skip: op ? undefined : 'softmax case with neither params.op nor params.reduction' };
}

// ---- embedding: lookup and skip-gram negative sampling --------------------------------------

function embedding(c: GoldenCase): Plan {
  const op = str(c.params.op) ?? (c.params.num_negatives !== undefined || c.inputs.negatives ? 'sgns' : 'embedding_lookup');
  if (op === 'embedding_lookup' || op === 'embedding') {
    return { op: 'embedding_lookup', needs: ['embedding'], forward: (k, i) => ({ out: k.embedding(need(i, 'table', 'embedding'), need(i, 'ids', 'embedding')) }) };
  }
  if (op === 'sgns') {
    // loss[b] = -log sigmoid(W_out[context].W_in[center]) - sum_k log sigmoid(-W_out[neg_k].W_in[center]): one fused kernel
    return {
      op, needs: ['skipGramLoss'],
      forward: (k, i) => {
        const f = 'sgns';
        return { loss: k.skipGramLoss(need(i, 'W_in', f), need(i, 'W_out', f), need(i, 'center', f), need(i, 'context', f), need(i, 'negatives', f)) };
      },
    };
  }
  return { op, needs: [op] };
}

// ---- upsample / padding (NHWC, pads [top, bottom, left, right]) ------------------------------

function upsamplePad(c: GoldenCase): Plan {
  const mode = str(c.params.mode);
  if (mode === 'nearest') {
    const scale = nums(c.params.scale) ?? (typeof c.params.scale === 'number' ? [c.params.scale, c.params.scale] : undefined);
    if (!scale || scale.length !== 2 || !scale.every((v) => Number.isInteger(v) && v > 0)) throw new CaseError(`params.scale must be [sh, sw] (positive integers), got ${JSON.stringify(c.params.scale)}`);
    return {
      op: 'upsample_nearest', needs: ['resizeNearestNeighbor'],
      forward: (k, i) => {
        const x = need(i, 'x', 'upsample_pad');
        if (x.rank !== 4) throw new CaseError(`x must be NHWC (rank 4), got shape [${x.shape}]`);
        return { y: k.resizeNearestNeighbor(x, [x.shape[1] * scale[0], x.shape[2] * scale[1]]) };
      },
    };
  }
  if (mode === 'reflect' || mode === 'symmetric' || mode === 'constant') {
    const pads = nums(c.params.pads);
    if (!pads || pads.length !== 4) throw new CaseError(`params.pads must be [top, bottom, left, right], got ${JSON.stringify(c.params.pads)}`);
    const value = c.params.value ?? 0;
    if (typeof value !== 'number') throw new CaseError(`params.value must be a number, got ${JSON.stringify(value)}`);
    return {
      op: `${mode}_pad`, needs: ['pad'],
      forward: (k, i) => {
        const x = need(i, 'x', 'upsample_pad');
        if (x.rank !== 4) throw new CaseError(`x must be NHWC (rank 4), got shape [${x.shape}]`);
        return { y: k.pad(x, [[0, 0], [pads[0], pads[1]], [pads[2], pads[3]], [0, 0]], value, mode) };
      },
    };
  }
  return { op: `${mode ?? '?'}_pad`, needs: [], skip: `upsample_pad mode ${JSON.stringify(mode)} is not mapped (nearest, reflect, symmetric, constant are)` };
}

// ---- conv2d and pointwise conv (NHWC x, HWIO w, pads [top, bottom, left, right]) --------------

/** kiln.fusedConv2d with the case's explicit pads, strides and dilation, bias when present. */
function conv2dFamily(family: string) {
  return (c: GoldenCase): Plan => {
    const stride = nums(c.params.stride) ?? [1, 1];
    const dil = nums(c.params.dilation) ?? [1, 1];
    const pads = nums(c.params.pads) ?? [0, 0, 0, 0];
    if (stride.length !== 2 || dil.length !== 2) throw new CaseError(`params.stride and params.dilation must be [h, w], got ${JSON.stringify(c.params.stride)} and ${JSON.stringify(c.params.dilation)}`);
    if (pads.length !== 4) throw new CaseError(`params.pads must be [top, bottom, left, right], got ${JSON.stringify(c.params.pads)}`);
    const pointwise = stride.every((s) => s === 1) && pads.every((p) => p === 0);
    return {
      op: family, needs: ['fusedConv2d'],
      note: family === 'pointwise_conv2d' && pointwise ? 'runs as reshape + matMul + bias add' : undefined,
      forward: (k, i) => {
        const x = need(i, 'x', family), w = need(i, 'w', family);
        if (x.rank !== 4 || w.rank !== 4) throw new CaseError(`expected x NHWC and w HWIO (rank 4), got [${x.shape}] and [${w.shape}]`);
        const y = k.fusedConv2d({
          x, filter: w, strides: stride as [number, number], dilations: dil as [number, number],
          pad: [[pads[0], pads[1]], [pads[2], pads[3]]], bias: i.b,
        });
        return { y };
      },
    };
  };
}

// ---- depthwise conv (NHWC, filter [KH,KW,C,M], explicit pads [top, bottom, left, right]) ----

function depthwiseConv2dFamily(c: GoldenCase): Plan {
  const f = 'depthwise_conv2d';
  const stride = nums(c.params.stride) ?? [1, 1];
  const pads = nums(c.params.pads);
  const dil = nums(c.params.dilation) ?? (typeof c.params.dilation === 'number' ? [c.params.dilation, c.params.dilation] : [1, 1]);
  if (stride.length !== 2) throw new CaseError(`params.stride must be [sh, sw], got ${JSON.stringify(c.params.stride)}`);
  if (!pads || pads.length !== 4) throw new CaseError(`params.pads must be [top, bottom, left, right], got ${JSON.stringify(c.params.pads)}`);
  return {
    op: 'depthwiseConv2d', needs: ['fusedDepthwiseConv2d'],
    forward: (k, i) => ({
      y: k.fusedDepthwiseConv2d({
        x: need(i, 'x', f), filter: need(i, 'w', f), strides: [stride[0], stride[1]],
        pad: [[pads[0], pads[1]], [pads[2], pads[3]]], dilations: [dil[0], dil[1]], bias: i.b ?? null,
      }),
    }),
  };
}

// ---- hierarchical (class-factored) softmax ----------------------------------------------------

function hierarchicalSoftmax(): Plan {
  // logp_all[n,w] = log_softmax(class_logits)[n, class(w)] + word_logits[n,w]
  //                 - logsumexp_{w': class(w') = class(w)} word_logits[n,w'];  loss[n] = -logp_all[n, targets[n]]
  return {
    op: 'hierarchical_softmax', needs: ['hierarchicalSoftmax'],
    forward: (k, i) => {
      const f = 'hierarchical_softmax';
      const h = need(i, 'h', f), Wc = need(i, 'Wc', f), Ww = need(i, 'Ww', f), wordClass = need(i, 'word_class', f);
      const bc = i.bc ?? k.zeros([Wc.shape[0]]), bw = i.bw ?? k.zeros([Ww.shape[0]]);
      // without targets (logp_all only) every row targets word 0; its loss is not reported
      const targets = i.targets ?? k.zeros([h.shape[0]], 'int32');
      const r = k.hierarchicalSoftmax(h, Wc, bc, Ww, bw, wordClass, targets, { full: true });
      const out: Record<string, Tensor> = { logp_all: r.logp! };
      if (i.targets) out.loss = r.loss;
      return out;
    },
  };
}

// ---- normalisation (NHWC, channel last; eps from params) ------------------------------------

function epsOf(c: GoldenCase, family: string): number {
  const eps = c.params.eps;
  if (typeof eps !== 'number' || !(eps >= 0)) throw new CaseError(`${family}: params.eps must be a non-negative number, got ${JSON.stringify(eps)}`);
  return eps;
}

function batchNormInference(c: GoldenCase): Plan {
  const f = 'batchnorm_inference';
  const eps = epsOf(c, f);
  const bn = (k: Kiln, i: Record<string, Tensor>, x: Tensor) =>
    k.batchNorm(x, need(i, 'mean', f), need(i, 'var', f), need(i, 'beta', f), need(i, 'gamma', f), eps);
  if (c.inputs.w) {
    // conv2d(x, w) + b, then batchNorm with the running statistics (aux.w_folded/b_folded fold it)
    const stride = nums(c.params.stride) ?? [1, 1];
    const pads = nums(c.params.pads);
    if (!pads || pads.length !== 4) throw new CaseError(`params.pads must be [top, bottom, left, right], got ${JSON.stringify(c.params.pads)}`);
    return {
      op: 'conv2d+batchNorm', needs: ['conv2d', 'batchNorm'],
      forward: (k, i) => {
        const conv = (k as unknown as Record<string, (...a: unknown[]) => Tensor>).conv2d;
        const x = need(i, 'x', f);
        const padded = k.pad(x, [[0, 0], [pads[0], pads[1]], [pads[2], pads[3]], [0, 0]]);
        let y = conv(padded, need(i, 'w', f), stride, 'valid');
        if (i.b) y = k.add(y, i.b);
        return { y: bn(k, i, y) };
      },
    };
  }
  return { op: 'batchNorm', needs: ['batchNorm'], forward: (k, i) => ({ y: bn(k, i, need(i, 'x', f)) }) };
}

function instanceNormFamily(c: GoldenCase): Plan {
  const f = 'instance_norm';
  const eps = epsOf(c, f);
  if (c.params.variance !== undefined && c.params.variance !== 'biased') return { op: 'instanceNorm', needs: [], skip: `instance_norm with params.variance ${JSON.stringify(c.params.variance)} is not mapped (biased is)` };
  return {
    op: 'instanceNorm', needs: ['instanceNorm'],
    forward: (k, i) => ({ y: k.instanceNorm(need(i, 'x', f), i.gamma ?? null, i.beta ?? null, eps) }),
  };
}

function conditionalInstanceNormFamily(c: GoldenCase): Plan {
  const f = 'conditional_instance_norm';
  const eps = epsOf(c, f);
  const byId = !!c.inputs.style_ids;
  if (byId === !!c.inputs.style_weights) throw new CaseError('a conditional_instance_norm case has exactly one of inputs.style_ids and inputs.style_weights');
  return {
    op: byId ? 'conditionalInstanceNorm(ids)' : 'conditionalInstanceNorm(weights)', needs: ['conditionalInstanceNorm'],
    forward: (k, i) => ({
      y: k.conditionalInstanceNorm(need(i, 'x', f), need(i, 'gamma_table', f), need(i, 'beta_table', f),
        byId ? { styleIds: need(i, 'style_ids', f) } : { styleWeights: need(i, 'style_weights', f) }, eps),
    }),
  };
}

// ---- CTC loss --------------------------------------------------------------------------------

function ctcFamily(c: GoldenCase): Plan {
  // logits -> logSoftmax -> ctcLoss; grads.logits is checked (never aux.grad_log_probs_torch)
  const f = 'ctc';
  const p = c.params;
  const reduction = p.reduction ?? 'mean';
  if (reduction !== 'none' && reduction !== 'mean' && reduction !== 'sum') return { op: 'ctcLoss', needs: [], skip: `ctc reduction ${JSON.stringify(reduction)} is not mapped (none, mean, sum are)` };
  const blank = p.blank ?? 0;
  if (typeof blank !== 'number') throw new CaseError(`ctc: params.blank must be a number, got ${JSON.stringify(blank)}`);
  const zeroInfinity = p.zero_infinity === true;
  return {
    op: `ctcLoss(${reduction})`, needs: ['ctcLoss', 'logSoftmax'],
    forward: (k, i) => ({
      loss: k.ctcLoss(k.logSoftmax(need(i, 'logits', f)), i.targets ?? need(i, 'targets_concat', f),
        need(i, 'input_lengths', f), need(i, 'target_lengths', f), { reduction, blank, zeroInfinity }),
    }),
  };
}

// ---- recurrent cells and sequences -------------------------------------------------------------

/** LSTM/GRU cells and time-major sequences in PyTorch's layout (W_ih, W_hh, b_ih, b_hh). */
function recurrent(kind: 'lstm' | 'gru') {
  return (c: GoldenCase): Plan => {
    const f = kind;
    const order = str(c.params.gate_order);
    const want = kind === 'lstm' ? 'i,f,g,o' : 'r,z,n';
    if (order !== undefined && order.replace(/\s/g, '') !== want) return { op: kind, needs: [], skip: `${kind} gate_order ${JSON.stringify(order)} is not mapped (${want} is, PyTorch's)` };
    const weights = (i: Record<string, Tensor>) => ({ wIh: need(i, 'W_ih', f), wHh: need(i, 'W_hh', f), bIh: i.b_ih ?? null, bHh: i.b_hh ?? null });
    const seq = c.params.seq_len !== undefined || c.params.time_major !== undefined || c.inputs.h0 !== undefined;
    if (seq) {
      if (c.params.time_major === false) return { op: kind, needs: [], skip: `${kind} with time_major false is not mapped (transpose to [T, N, I] first)` };
      return kind === 'lstm'
        ? { op: 'lstm', needs: ['lstm'], forward: (k, i) => k.lstm(need(i, 'x', f), weights(i), { h0: i.h0, c0: i.c0 }) }
        : { op: 'gru', needs: ['gru'], forward: (k, i) => k.gru(need(i, 'x', f), weights(i), { h0: i.h0 }) };
    }
    return kind === 'lstm'
      ? { op: 'lstmCell', needs: ['lstmCell'], forward: (k, i) => { const o = k.lstmCell(need(i, 'x', f), need(i, 'h', f), need(i, 'c', f), weights(i)); return { h_next: o.h, c_next: o.c }; } }
      : { op: 'gruCell', needs: ['gruCell'], forward: (k, i) => ({ h_next: k.gruCell(need(i, 'x', f), need(i, 'h', f), weights(i)) }) };
  };
}

/** family -> mapper. Add a family here; a family not listed is a SKIP naming it. */
export const FAMILIES: Record<string, FamilyMapper> = {
  activations,
  softmax: softmaxFamily,
  embedding,
  upsample_pad: upsamplePad,
  pointwise_conv2d: conv2dFamily('pointwise_conv2d'),
  hierarchical_softmax: hierarchicalSoftmax,
  conv2d: conv2dFamily('conv2d'),
  depthwise_conv2d: depthwiseConv2dFamily,
  batchnorm_inference: batchNormInference,
  instance_norm: instanceNormFamily,
  conditional_instance_norm: conditionalInstanceNormFamily,
  lstm: recurrent('lstm'),
  gru: recurrent('gru'),
  ctc: ctcFamily,
};
