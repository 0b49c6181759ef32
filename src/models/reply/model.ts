// The Smart Reply network (docs/smart_reply.md): a shared word embedding, an LSTM encoder over the
// incoming message, an LSTM decoder that starts from the encoder's final state and reads, at
// every step, the previous word and the user's embedding, and a hierarchical softmax over the
// vocabulary (a full softmax with the same weights is the ablation). Time-major batches.
import * as kiln from '../../index.ts';
import { nn } from '../../index.ts';
import type { Tensor } from '../../tensor.ts';

export interface ReplyModelSpec {
  vocab: number;
  classes: number;
  users: number;
  embed: number;
  hidden: number;
  userDim: number;
  /** 'hierarchical' (default) or 'full' */
  softmax: 'hierarchical' | 'full';
  seed: number;
  /**
   * tie the output word weights to the input embedding (Press & Wolf 2017): the decoder's state is
   * projected to the embedding size and scored against the embedding rows, which halves the model
   */
  tie?: boolean;
  /** dropout on the word embeddings and the decoder's outputs in train mode (default 0) */
  dropout?: number;
}

/** One batch: ids time-major [T, N], lengths per column; targets are the decoder input shifted by one. */
export interface ReplyBatch {
  /** message ids [Ts * N] (time-major), or null for language-model batches (no message) */
  src: Int32Array | null;
  srcLens: number[];
  srcT: number;
  /** decoder input [Tt * N]: BOS then the reply */
  tgtIn: Int32Array;
  /** decoder targets [Tt * N]: the reply then EOS, PAD past the end */
  tgtOut: Int32Array;
  tgtLens: number[];
  tgtT: number;
  users: Int32Array;
  n: number;
}

export class ReplyModel extends nn.Module {
  readonly embedding: nn.Embedding;
  readonly userEmbedding: nn.Embedding;
  readonly encoder: nn.LSTM;
  readonly decoder: nn.LSTM;
  readonly Wc: kiln.Variable;
  readonly bc: kiln.Variable;
  readonly Ww: kiln.Variable;
  readonly bw: kiln.Variable;
  /** [E, H] projection of the decoder state when the output is tied to the embedding */
  readonly proj: kiln.Variable | null;
  private wordClassT: Tensor | null = null;
  private readonly drop: nn.Dropout | null;

  constructor(readonly spec: ReplyModelSpec, readonly wordClass: Int32Array) {
    super();
    const s = spec;
    if (wordClass.length !== s.vocab) throw new Error(`ReplyModel: wordClass has ${wordClass.length} entries for a vocabulary of ${s.vocab}`);
    this.embedding = this.module('embedding', new nn.Embedding(s.vocab, s.embed, { paddingIdx: 0, seed: s.seed }));
    this.userEmbedding = this.module('user', new nn.Embedding(s.users, s.userDim, { seed: s.seed + 1 }));
    this.encoder = this.module('encoder', new nn.LSTM(s.embed, s.hidden, { seed: s.seed + 2 }));
    this.decoder = this.module('decoder', new nn.LSTM(s.embed + s.userDim, s.hidden, { seed: s.seed + 3 }));
    this.drop = s.dropout ? this.module('drop', new nn.Dropout(s.dropout, { seed: s.seed + 7 })) : null;
    const D = s.tie ? s.embed : s.hidden;
    const k = 1 / Math.sqrt(D);
    this.proj = s.tie ? this.param('out_projection', () => kiln.randomUniform([s.embed, s.hidden], -1 / Math.sqrt(s.hidden), 1 / Math.sqrt(s.hidden), 'float32', s.seed + 6)) : null;
    this.Wc = this.param('out_class_weight', () => kiln.randomUniform([s.classes, D], -k, k, 'float32', s.seed + 4))!;
    this.bc = this.param('out_class_bias', () => kiln.zeros([s.classes]))!;
    this.Ww = s.tie ? this.embedding.weight : this.param('out_word_weight', () => kiln.randomUniform([s.vocab, D], -k, k, 'float32', s.seed + 5))!;
    this.bw = this.param('out_word_bias', () => kiln.zeros([s.vocab]))!;
  }

  /** The word classes on the GPU (made once; the hierarchical softmax caches its class lists by this tensor). */
  wordClassTensor(): Tensor {
    if (!this.wordClassT || this.wordClassT.isDisposed) this.wordClassT = kiln.keep(kiln.tensor(this.wordClass, [this.wordClass.length], 'int32'));
    return this.wordClassT;
  }

  /** The encoder's final (h, c) [1, N, H] for message ids [T, N], or zeros without a message. */
  encode(src: Int32Array | null, lens: number[], T: number, n: number): { h: Tensor; c: Tensor } {
    const H = this.spec.hidden;
    if (!src) return { h: kiln.zeros([1, n, H]), c: kiln.zeros([1, n, H]) };
    const ids = kiln.tensor(src, [T, n], 'int32');
    const x = this.dropped(this.embedding.forward(ids));
    const r = this.encoder.forward(x, { lengths: lens });
    return { h: r.hN, c: r.cN! };
  }

  /**
   * Decoder outputs [T * N, H] for input ids [T, N] from state (h, c). users: a user-table row per
   * column [N], or user vectors themselves ([N, Du] or one [1, Du] for every column: a user being
   * fitted, see fitUserEmbedding).
   */
  decode(tgtIn: Int32Array, lens: number[] | null, T: number, n: number, users: Int32Array | Tensor, h: Tensor, c: Tensor): { out: Tensor; hN: Tensor; cN: Tensor } {
    const ids = kiln.tensor(tgtIn, [T, n], 'int32');
    const words = this.dropped(this.embedding.forward(ids));
    const Du = this.spec.userDim;
    const u = users instanceof Int32Array
      ? this.userEmbedding.forward(kiln.tensor(users, [1, n], 'int32')) // [1, N, Du]
      : kiln.reshape(users.shape[0] === 1 ? kiln.broadcastTo(users, [n, Du]) : users, [1, n, Du]);
    const x = kiln.concat([words, kiln.broadcastTo(u, [T, n, this.spec.userDim])], 2);
    const r = this.decoder.forward(x, { h0: h, c0: c, lengths: lens });
    return { out: this.dropped(kiln.reshape(r.output, [T * n, this.spec.hidden])), hN: r.hN, cN: r.cN! };
  }

  private dropped(x: Tensor): Tensor {
    return this.drop && this.training ? this.drop.forward(x) : x;
  }

  /** -log p(target) per decoder position [T * N] (PAD targets included: mask them). */
  /** The decoder state as the output layer reads it: projected to the embedding size when tied. */
  private outIn(h: Tensor): Tensor {
    return this.proj ? kiln.matMul(h, this.proj, false, true) : h;
  }

  tokenLoss(hidden: Tensor, targets: Int32Array): Tensor {
    const h = this.outIn(hidden);
    const t = kiln.tensor(targets, [targets.length], 'int32');
    if (this.spec.softmax === 'full') {
      const logits = kiln.add(kiln.matMul(h, this.Ww, false, true), this.bw);
      return kiln.softmaxCrossEntropy(t, logits, { reduction: 'none' });
    }
    return kiln.hierarchicalSoftmax(h, this.Wc, this.bc, this.Ww, this.bw, this.wordClassTensor(), t).loss;
  }

  /** log p(w | h) for every word [N, V] (decoding). */
  logProbs(hidden: Tensor): Tensor {
    const h = this.outIn(hidden);
    if (this.spec.softmax === 'full') return kiln.logSoftmax(kiln.add(kiln.matMul(h, this.Ww, false, true), this.bw));
    const n = h.shape[0];
    const r = kiln.hierarchicalSoftmax(h, this.Wc, this.bc, this.Ww, this.bw, this.wordClassTensor(), kiln.zeros([n], 'int32'), { full: true });
    return r.logp!;
  }

  /** Summed token loss and the number of target tokens of a batch (PAD positions masked). */
  batchLoss(b: ReplyBatch, userVec?: Tensor, encoded?: { h: Tensor; c: Tensor }): { sum: Tensor; tokens: number } {
    const { h, c } = encoded ?? this.encode(b.src, b.srcLens, b.srcT, b.n);
    const { out } = this.decode(b.tgtIn, b.tgtLens, b.tgtT, b.n, userVec ?? b.users, h, c);
    const per = this.tokenLoss(out, b.tgtOut);
    const mask = new Float32Array(b.tgtOut.length);
    let tokens = 0;
    for (let i = 0; i < mask.length; i++) if (b.tgtOut[i] !== 0) { mask[i] = 1; tokens++; }
    return { sum: kiln.sum(kiln.mul(per, kiln.tensor(mask, [mask.length]))), tokens };
  }

  override dispose(): void {
    this.wordClassT?.dispose();
    this.wordClassT = null;
    super.dispose();
  }
}
