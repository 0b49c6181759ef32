// Recurrent modules with torch.nn's parameter names, layouts and initialisation, so a PyTorch
// state_dict (converted to safetensors) loads as is: nn.LSTM, nn.GRU (multi-layer,
// bidirectional, dropout between layers), nn.LSTMCell, nn.GRUCell, nn.ConvLSTMCell, nn.ConvGRU.
// Every weight starts U(-1/sqrt(hidden), 1/sqrt(hidden)), as torch does.
import { Tensor, tidy, fmtShape } from '../tensor.ts';
import { Module } from './module.ts';
import { Dropout, positiveInt, seeder } from './layers.ts';
import type { Variable } from '../autograd/variable.ts';
import { fail, assertTensor } from '../ops/util.ts';
import { randomUniform } from '../ops/creation.ts';
import { concat, reshape, slice, stack, transpose } from '../ops/movement.ts';
import { lstm, gru, lstmCell, gruCell, type RnnPath } from '../ops/rnn.ts';
import { convLstmCell, convGruCell } from '../ops/conv_rnn.ts';

export interface RnnModuleOptions {
  /** stacked layers (default 1) */
  numLayers?: number;
  /** biases b_ih, b_hh (default true) */
  bias?: boolean;
  /** a second direction running backwards in time; outputs concatenate both (default false) */
  bidirectional?: boolean;
  /** dropout on the outputs of every layer but the last, in train mode (default 0) */
  dropout?: number;
  /** x is [N, T, I] and the output [N, T, D*H] (default false: time-major) */
  batchFirst?: boolean;
  /** seed of the initialisation (default: kiln's global sequence) */
  seed?: number;
  /** how each layer runs (see kiln.lstm); default 'auto' */
  path?: RnnPath;
}

export interface RnnState {
  /** initial hidden state [numLayers * D, N, H] (zeros by default) */
  h0?: Tensor | null;
  /** LSTM initial cell state [numLayers * D, N, H] */
  c0?: Tensor | null;
  /** valid steps per sequence (pack_padded_sequence semantics) */
  lengths?: ArrayLike<number> | null;
}

export interface RnnResult {
  /** [T, N, D*H] (batchFirst: [N, T, D*H]); zero past each sequence's length */
  output: Tensor;
  /** final hidden state of every layer and direction [numLayers * D, N, H] */
  hN: Tensor;
  /** LSTM final cell states [numLayers * D, N, H] */
  cN?: Tensor;
}

abstract class RnnBase extends Module {
  readonly numLayers: number;
  readonly bidirectional: boolean;
  readonly batchFirst: boolean;
  readonly dropout: number;
  private readonly drop: Dropout | null;
  private readonly path: RnnPath;
  protected readonly weights: { wIh: Variable; wHh: Variable; bIh: Variable | null; bHh: Variable | null }[][] = [];

  constructor(private readonly kind: 'lstm' | 'gru', readonly inputSize: number, readonly hiddenSize: number, o: RnnModuleOptions) {
    super();
    const op = `nn.${kind === 'lstm' ? 'LSTM' : 'GRU'}`;
    positiveInt(op, 'inputSize', inputSize);
    positiveInt(op, 'hiddenSize', hiddenSize);
    this.numLayers = positiveInt(op, 'numLayers', o.numLayers ?? 1);
    this.bidirectional = !!o.bidirectional;
    this.batchFirst = !!o.batchFirst;
    this.dropout = o.dropout ?? 0;
    if (typeof this.dropout !== 'number' || !(this.dropout >= 0 && this.dropout < 1)) fail(op, `dropout must be in [0, 1), got ${o.dropout}`);
    this.path = o.path ?? 'auto';
    this.drop = this.dropout > 0 && this.numLayers > 1 ? this.module('drop', new Dropout(this.dropout, { seed: o.seed })) : null;
    const G = kind === 'lstm' ? 4 : 3;
    const H = hiddenSize;
    const k = 1 / Math.sqrt(H);
    const next = seeder(o.seed);
    const init = (shape: number[]) => () => randomUniform(shape, -k, k, 'float32', next());
    for (let l = 0; l < this.numLayers; l++) {
      const inF = l === 0 ? inputSize : H * this.dirs;
      const layer = [];
      for (let d = 0; d < this.dirs; d++) {
        const sfx = `_l${l}${d ? '_reverse' : ''}`;
        layer.push({
          wIh: this.param(`weight_ih${sfx}`, init([G * H, inF])),
          wHh: this.param(`weight_hh${sfx}`, init([G * H, H])),
          bIh: o.bias === false ? this.param(`bias_ih${sfx}`, null) : this.param(`bias_ih${sfx}`, init([G * H])),
          bHh: o.bias === false ? this.param(`bias_hh${sfx}`, null) : this.param(`bias_hh${sfx}`, init([G * H])),
        });
      }
      this.weights.push(layer);
    }
  }

  get dirs(): number { return this.bidirectional ? 2 : 1; }

  override forward(x: Tensor, state: RnnState = {}): RnnResult {
    const op = `nn.${this.kind === 'lstm' ? 'LSTM' : 'GRU'}`;
    assertTensor(op, 'x', x);
    if (x.rank !== 3) fail(op, `x must be ${this.batchFirst ? '[N, T, I]' : '[T, N, I]'}, got ${fmtShape(x.shape)}`);
    const L = this.numLayers * this.dirs;
    const N = this.batchFirst ? x.shape[0] : x.shape[1];
    const H = this.hiddenSize;
    for (const [name, s] of [['h0', state.h0], ['c0', state.c0]] as const) {
      if (s == null) continue;
      assertTensor(op, name, s);
      if (s.rank !== 3 || s.shape[0] !== L || s.shape[1] !== N || s.shape[2] !== H) fail(op, `${name} must be [numLayers * directions, N, H] = [${L}, ${N}, ${H}], got ${fmtShape(s.shape)}`);
    }
    if (this.kind === 'gru' && state.c0 != null) fail(op, 'c0 is an LSTM state: a GRU has none');
    return tidy(() => {
      let inp = this.batchFirst ? transposeTN(x) : x;
      const hN: Tensor[] = [], cN: Tensor[] = [];
      for (let l = 0; l < this.numLayers; l++) {
        if (l > 0 && this.drop) inp = this.drop.forward(inp);
        const outs: Tensor[] = [];
        for (let d = 0; d < this.dirs; d++) {
          const i = l * this.dirs + d;
          const pick = (s: Tensor | null | undefined) => (s ? reshape(slice(s, [i, 0, 0], [1, N, H]), [N, H]) : null);
          const opts = { h0: pick(state.h0), c0: pick(state.c0), lengths: state.lengths, reverse: d === 1, path: this.path };
          const w = this.weights[l][d];
          const r = this.kind === 'lstm' ? lstm(inp, w, opts) : gru(inp, w, opts);
          outs.push(r.hs);
          hN.push(r.hT);
          if ('cT' in r) cN.push(r.cT as Tensor);
        }
        inp = outs.length === 1 ? outs[0] : concat(outs, 2);
      }
      const output = this.batchFirst ? transposeTN(inp) : inp;
      return this.kind === 'lstm' ? { output, hN: stack(hN, 0), cN: stack(cN, 0) } : { output, hN: stack(hN, 0) };
    });
  }
}

/** [A, B, C] -> [B, A, C] */
function transposeTN(x: Tensor): Tensor {
  return transpose(x, [1, 0, 2]);
}

/** torch.nn.LSTM: forward(x, { h0, c0, lengths }) -> { output, hN, cN }. */
export class LSTM extends RnnBase {
  constructor(inputSize: number, hiddenSize: number, options: RnnModuleOptions = {}) { super('lstm', inputSize, hiddenSize, options); }
}

/** torch.nn.GRU: forward(x, { h0, lengths }) -> { output, hN }. */
export class GRU extends RnnBase {
  constructor(inputSize: number, hiddenSize: number, options: RnnModuleOptions = {}) { super('gru', inputSize, hiddenSize, options); }
}

abstract class CellBase extends Module {
  readonly weightIh: Variable; readonly weightHh: Variable; readonly biasIh: Variable | null; readonly biasHh: Variable | null;
  constructor(op: string, G: number, readonly inputSize: number, readonly hiddenSize: number, o: { bias?: boolean; seed?: number }) {
    super();
    positiveInt(op, 'inputSize', inputSize);
    positiveInt(op, 'hiddenSize', hiddenSize);
    const k = 1 / Math.sqrt(hiddenSize);
    const next = seeder(o.seed);
    const init = (shape: number[]) => () => randomUniform(shape, -k, k, 'float32', next());
    this.weightIh = this.param('weight_ih', init([G * hiddenSize, inputSize]));
    this.weightHh = this.param('weight_hh', init([G * hiddenSize, hiddenSize]));
    this.biasIh = o.bias === false ? this.param('bias_ih', null) : this.param('bias_ih', init([G * hiddenSize]));
    this.biasHh = o.bias === false ? this.param('bias_hh', null) : this.param('bias_hh', init([G * hiddenSize]));
  }
  protected get w() { return { wIh: this.weightIh, wHh: this.weightHh, bIh: this.biasIh, bHh: this.biasHh }; }
}

/** torch.nn.LSTMCell: forward(x [N, I], h [N, H], c [N, H]) -> { h, c }. */
export class LSTMCell extends CellBase {
  constructor(inputSize: number, hiddenSize: number, options: { bias?: boolean; seed?: number } = {}) { super('nn.LSTMCell', 4, inputSize, hiddenSize, options); }
  override forward(x: Tensor, h: Tensor, c: Tensor): { h: Tensor; c: Tensor } { return lstmCell(x, h, c, this.w); }
}

/** torch.nn.GRUCell: forward(x [N, I], h [N, H]) -> h'. */
export class GRUCell extends CellBase {
  constructor(inputSize: number, hiddenSize: number, options: { bias?: boolean; seed?: number } = {}) { super('nn.GRUCell', 3, inputSize, hiddenSize, options); }
  override forward(x: Tensor, h: Tensor): Tensor { return gruCell(x, h, this.w); }
}

export interface ConvRnnModuleOptions {
  /** kernel size of the input convolution (default 3) */
  kernelSize?: number;
  /** kernel size of the hidden-state convolution (default 3; the codec uses 1 or 3) */
  hiddenKernelSize?: number;
  /** stride of the input convolution (default 1) */
  stride?: number;
  bias?: boolean;
  seed?: number;
}

abstract class ConvCellBase extends Module {
  readonly wX: Variable; readonly wH: Variable; readonly bX: Variable | null; readonly bH: Variable | null;
  readonly stride: number;
  constructor(op: string, G: number, readonly inChannels: number, readonly hiddenChannels: number, o: ConvRnnModuleOptions) {
    super();
    positiveInt(op, 'inChannels', inChannels);
    positiveInt(op, 'hiddenChannels', hiddenChannels);
    const kx = positiveInt(op, 'kernelSize', o.kernelSize ?? 3), kh = positiveInt(op, 'hiddenKernelSize', o.hiddenKernelSize ?? 3);
    this.stride = positiveInt(op, 'stride', o.stride ?? 1);
    const next = seeder(o.seed);
    // torch.nn.Conv2d's default: U(-1/sqrt(fan_in), 1/sqrt(fan_in)) for weights and bias
    const init = (shape: number[], fanIn: number) => () => randomUniform(shape, -1 / Math.sqrt(fanIn), 1 / Math.sqrt(fanIn), 'float32', next());
    const C = hiddenChannels;
    this.wX = this.param('conv_x_weight', init([kx, kx, inChannels, G * C], kx * kx * inChannels));
    this.wH = this.param('conv_h_weight', init([kh, kh, C, G * C], kh * kh * C));
    this.bX = o.bias === false ? this.param('conv_x_bias', null) : this.param('conv_x_bias', init([G * C], kx * kx * inChannels));
    this.bH = o.bias === false ? this.param('conv_h_bias', null) : this.param('conv_h_bias', init([G * C], kh * kh * C));
  }
  protected get w() { return { wX: this.wX, wH: this.wH, bX: this.bX, bH: this.bH }; }
}

/** Convolutional LSTM cell (NHWC): forward(x, h, c) -> { h, c }. */
export class ConvLSTMCell extends ConvCellBase {
  constructor(inChannels: number, hiddenChannels: number, options: ConvRnnModuleOptions = {}) { super('nn.ConvLSTMCell', 4, inChannels, hiddenChannels, options); }
  override forward(x: Tensor, h: Tensor, c: Tensor): { h: Tensor; c: Tensor } { return convLstmCell(x, h, c, this.w, { strides: this.stride }); }
}

/** Convolutional GRU cell (NHWC), the Residual-GRU image codec's recurrent unit: forward(x, h) -> h'. */
export class ConvGRU extends ConvCellBase {
  constructor(inChannels: number, hiddenChannels: number, options: ConvRnnModuleOptions = {}) { super('nn.ConvGRU', 3, inChannels, hiddenChannels, options); }
  override forward(x: Tensor, h: Tensor): Tensor { return convGruCell(x, h, this.w, { strides: this.stride }); }
}
