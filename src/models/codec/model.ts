// The Residual-GRU image codec (Toderici et al. 2017, "Full Resolution Image Compression with
// Recurrent Neural Networks"; docs/codec.md), on kiln's ConvGRU cells, binarizer and
// depthToSpace. Channel-last (NHWC), pixels in [0, 1].
//
// One coding iteration t:
//   encoder  r_{t-1} -> conv 3x3 s2 -> ConvGRU s2 -> ConvGRU s2 -> ConvGRU s2     (1/16 size)
//   binarizer          conv 1x1 -> tanh -> binarize        bits [N, H/16, W/16, B] in {-1, +1}
//   decoder  bits -> conv 1x1 -> ConvGRU -> d2s -> ConvGRU -> d2s -> ConvGRU -> d2s -> ConvGRU
//            -> d2s -> conv 1x1 -> 3 channels
// Every GRU keeps its state across iterations, so each iteration codes what is still wrong.
// Reconstruction: 'one-shot' (the decoder's output is the whole image estimate x^_t, the paper's
// best GRU setting) or 'additive' (x^_t = x^_{t-1} + output). r_t = x - x^_t; r_0 = x - 0.5.
// Residual GRU (the paper's variant): a layer's output is its new state plus a 1x1 projection of
// its input (strided like the input convolution), a skip path around the gates.
// Each iteration adds B bits per 16x16 block: B / 256 bits per pixel (B = 32: 0.125 bpp).
import * as kiln from '../../index.ts';
import { Module } from '../../nn/module.ts';
import { ConvGRU } from '../../nn/rnn.ts';
import type { Tensor, Variable } from '../../index.ts';

export interface CodecSpec {
  format: 'kiln-rgru/1';
  /** code channels per 16x16 block per iteration */
  bits: number;
  /** encoder widths: the first conv, then the three GRUs */
  enc: [number, number, number, number];
  /** decoder widths: the first 1x1 conv, then the four GRUs (each divisible by 4 for depthToSpace) */
  dec: [number, number, number, number, number];
  /** hidden-state kernel of the four decoder GRUs (1 or 3) */
  decHiddenKernel: [number, number, number, number];
  residual: boolean;
  reconstruction: 'one-shot' | 'additive';
  /** iterations the network was trained for (coding more still works, but was never taught) */
  iterations: number;
}

/**
 * Widths: 'paper' is the paper's network (encoder 64/256/512/512, decoder 512/512/512/256/128,
 * 3x3 hidden kernels in the last two decoder GRUs: about 20x the work of 'small'); 'small' is what
 * trains in about an hour on two CPU cores of software Vulkan (the shipped model); 'tiny' is for tests.
 */
export const WIDTHS = {
  paper: { enc: [64, 256, 512, 512], dec: [512, 512, 512, 256, 128], decHiddenKernel: [1, 1, 3, 3] },
  small: { enc: [32, 48, 96, 96], dec: [96, 96, 96, 48, 32], decHiddenKernel: [1, 1, 1, 1] },
  tiny: { enc: [8, 16, 16, 16], dec: [16, 16, 16, 16, 16], decHiddenKernel: [1, 1, 1, 3] },
} as const satisfies Record<string, Pick<CodecSpec, 'enc' | 'dec' | 'decHiddenKernel'>>;

export function specFor(widths: keyof typeof WIDTHS, o: Partial<Pick<CodecSpec, 'iterations' | 'reconstruction' | 'residual' | 'bits'>> = {}): CodecSpec {
  const w = WIDTHS[widths];
  return {
    format: 'kiln-rgru/1', bits: o.bits ?? 32,
    enc: [...w.enc] as CodecSpec['enc'], dec: [...w.dec] as CodecSpec['dec'], decHiddenKernel: [...w.decHiddenKernel] as CodecSpec['decHiddenKernel'],
    residual: o.residual ?? true, reconstruction: o.reconstruction ?? 'one-shot', iterations: o.iterations ?? 4,
  };
}

export const DEFAULT_SPEC: CodecSpec = specFor('small');

/** Bits per pixel that `iterations` iterations of a spec cost before entropy coding. */
export function rawBpp(spec: CodecSpec, iterations: number): number { return (spec.bits * iterations) / 256; }

/** The seven GRU states of one image batch, carried from iteration to iteration. */
export interface CodecState { enc: Tensor[]; dec: Tensor[]; recon: Tensor | null }

function checkSpec(s: CodecSpec): void {
  const bad = (why: string) => { throw new Error(`kiln.codec: bad model spec: ${why}`); };
  if (s.format !== 'kiln-rgru/1') bad(`format must be 'kiln-rgru/1', got ${JSON.stringify(s.format)}`);
  const pos = (v: unknown) => Number.isInteger(v) && (v as number) > 0;
  if (!pos(s.bits)) bad(`bits must be a positive integer, got ${s.bits}`);
  if (!Array.isArray(s.enc) || s.enc.length !== 4 || !s.enc.every(pos)) bad(`enc must be 4 positive integers, got ${JSON.stringify(s.enc)}`);
  if (!Array.isArray(s.dec) || s.dec.length !== 5 || !s.dec.every(pos) || !s.dec.slice(1).every((c) => c % 4 === 0)) bad(`dec must be 5 positive integers, the last four divisible by 4, got ${JSON.stringify(s.dec)}`);
  if (!Array.isArray(s.decHiddenKernel) || s.decHiddenKernel.length !== 4 || !s.decHiddenKernel.every((k) => k === 1 || k === 3)) bad(`decHiddenKernel must be 4 values of 1 or 3, got ${JSON.stringify(s.decHiddenKernel)}`);
  if (s.reconstruction !== 'one-shot' && s.reconstruction !== 'additive') bad(`reconstruction must be 'one-shot' or 'additive', got ${JSON.stringify(s.reconstruction)}`);
  if (!pos(s.iterations)) bad(`iterations must be a positive integer, got ${s.iterations}`);
}

export class CodecModel extends Module {
  readonly spec: CodecSpec;
  readonly encConv: Variable; readonly encConvB: Variable;
  readonly encGru: ConvGRU[];
  readonly encSkip: (Variable | null)[];
  readonly bitConv: Variable; readonly bitConvB: Variable;
  readonly decConv: Variable; readonly decConvB: Variable;
  readonly decGru: ConvGRU[];
  readonly decSkip: (Variable | null)[];
  readonly outConv: Variable; readonly outConvB: Variable;

  constructor(spec: CodecSpec = DEFAULT_SPEC, seed = 1) {
    super();
    checkSpec(spec);
    this.spec = spec;
    let s = seed * 1000;
    const next = () => ++s;
    const u = (shape: number[], fanIn: number) => () => kiln.randomUniform(shape, -1 / Math.sqrt(fanIn), 1 / Math.sqrt(fanIn), 'float32', next());
    const zero = (n: number) => () => kiln.zeros([n]);
    const [e0, e1, e2, e3] = spec.enc;
    this.encConv = this.param('enc_conv_w', u([3, 3, 3, e0], 27));
    this.encConvB = this.param('enc_conv_b', zero(e0));
    const encIn = [e0, e1, e2];
    this.encGru = [e1, e2, e3].map((c, i) => this.module(`enc_gru${i + 1}`, new ConvGRU(encIn[i], c, { kernelSize: 3, hiddenKernelSize: 1, stride: 2, seed: next() })));
    this.encSkip = [e1, e2, e3].map((c, i) => (spec.residual ? this.param(`enc_skip${i + 1}_w`, u([1, 1, encIn[i], c], encIn[i])) : this.param(`enc_skip${i + 1}_w`, null)));
    this.bitConv = this.param('bits_w', u([1, 1, e3, spec.bits], e3));
    this.bitConvB = this.param('bits_b', zero(spec.bits));
    const [d0, ...dg] = spec.dec;
    this.decConv = this.param('dec_conv_w', u([1, 1, spec.bits, d0], spec.bits));
    this.decConvB = this.param('dec_conv_b', zero(d0));
    const decIn = [d0, dg[0] / 4, dg[1] / 4, dg[2] / 4];
    this.decGru = dg.map((c, i) => this.module(`dec_gru${i + 1}`, new ConvGRU(decIn[i], c, { kernelSize: 3, hiddenKernelSize: spec.decHiddenKernel[i], stride: 1, seed: next() })));
    this.decSkip = dg.map((c, i) => (spec.residual ? this.param(`dec_skip${i + 1}_w`, u([1, 1, decIn[i], c], decIn[i])) : this.param(`dec_skip${i + 1}_w`, null)));
    const last = dg[3] / 4;
    this.outConv = this.param('out_w', u([1, 1, last, 3], last));
    this.outConvB = this.param('out_b', zero(3));
  }

  /** Zero states for a batch of N images of H x W pixels (H and W multiples of 16). */
  initState(N: number, H: number, W: number): CodecState {
    if (H % 16 || W % 16) throw new Error(`kiln.codec: the network codes images whose sides are multiples of 16, got ${H}x${W}: pad first (padToMultiple)`);
    const [, e1, e2, e3] = this.spec.enc;
    const [, g1, g2, g3, g4] = this.spec.dec;
    return {
      enc: [[H / 4, W / 4, e1], [H / 8, W / 8, e2], [H / 16, W / 16, e3]].map(([h, w, c]) => kiln.zeros([N, h, w, c])),
      dec: [[H / 16, W / 16, g1], [H / 8, W / 8, g2], [H / 4, W / 4, g3], [H / 2, W / 2, g4]].map(([h, w, c]) => kiln.zeros([N, h, w, c])),
      recon: null,
    };
  }

  private gru(cell: ConvGRU, skip: Variable | null, x: Tensor, h: Tensor, stride: number): { out: Tensor; h: Tensor } {
    const hn = cell.forward(x, h);
    if (!skip) return { out: hn, h: hn };
    return { out: kiln.add(hn, kiln.conv2d(x, skip, stride, 'same')), h: hn };
  }

  /**
   * The encoder and binarizer on a residual r [N, H, W, 3]: the iteration's bits [N, H/16, W/16, B]
   * in {-1, +1}; `st.enc` is replaced by the new states (the old ones are the caller's).
   */
  encode(r: Tensor, st: CodecState, o: { stochastic?: boolean; seed?: number } = {}): Tensor {
    let x = kiln.fusedConv2d({ x: r, filter: this.encConv, strides: 2, pad: 'same', bias: this.encConvB });
    const next: Tensor[] = [];
    for (let i = 0; i < 3; i++) {
      const g = this.gru(this.encGru[i], this.encSkip[i], x, st.enc[i], 2);
      next.push(g.h);
      x = g.out;
    }
    st.enc = next;
    const pre = kiln.tanh(kiln.fusedConv2d({ x, filter: this.bitConv, strides: 1, pad: 'valid', bias: this.bitConvB }));
    return kiln.binarize(pre, o.stochastic ? { stochastic: true, seed: o.seed ?? 0 } : {});
  }

  /**
   * The decoder on one iteration's bits: returns the image estimate x^_t - 0.5 [N, H, W, 3]
   * (one-shot: the decoder's output; additive: the previous estimate plus it). Updates `st`.
   */
  decode(bits: Tensor, st: CodecState): Tensor {
    let x = kiln.fusedConv2d({ x: bits, filter: this.decConv, strides: 1, pad: 'valid', bias: this.decConvB });
    const next: Tensor[] = [];
    for (let i = 0; i < 4; i++) {
      const g = this.gru(this.decGru[i], this.decSkip[i], x, st.dec[i], 1);
      next.push(g.h);
      x = kiln.depthToSpace(g.out, 2);
    }
    st.dec = next;
    const out = kiln.fusedConv2d({ x, filter: this.outConv, strides: 1, pad: 'valid', bias: this.outConvB });
    const recon = this.spec.reconstruction === 'additive' && st.recon ? kiln.add(st.recon, out) : out;
    st.recon = recon;
    return recon;
  }

  /**
   * Training loss on a batch x [N, H, W, 3] in [0, 1] over `iterations` iterations: the mean over
   * iterations of the mean absolute residual (the paper's L1 loss), and the per-iteration values.
   */
  loss(x: Tensor, iterations: number, seed: number): { loss: Tensor; perIteration: Tensor } {
    const [N, H, W] = x.shape;
    const st = this.initState(N, H, W);
    const target = kiln.sub(x, 0.5);
    let r = target;
    const parts: Tensor[] = [];
    for (let t = 0; t < iterations; t++) {
      const b = this.encode(r, st, { stochastic: this.training, seed: (seed * 64 + t) >>> 0 });
      const est = this.decode(b, st);
      r = kiln.sub(target, est);
      parts.push(kiln.mean(kiln.abs(r)));
    }
    const per = kiln.stack(parts);
    return { loss: kiln.mean(per), perIteration: per };
  }
}
