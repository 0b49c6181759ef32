// nn layers with PyTorch's parameter layouts and initialisation: Linear, Embedding, Dropout, Sequential.
import type { Tensor } from '../tensor.ts';
import { tidy } from '../tensor.ts';
import { Module } from './module.ts';
import type { Variable } from '../autograd/variable.ts';
import { fail, assertTensor } from '../ops/util.ts';
import { randomUniform, randomNormal, rng, tensor } from '../ops/creation.ts';
import { add, mul, cast, greaterEqual } from '../ops/elementwise.ts';
import { reshape } from '../ops/movement.ts';
import { matMul } from '../ops/matmul.ts';
import { embedding } from '../ops/embedding.ts';

export function positiveInt(op: string, name: string, v: unknown): number {
  if (typeof v !== 'number' || !Number.isInteger(v) || v < 1) fail(op, `${name} must be a positive integer, got ${String(v)}`);
  return v;
}

/** A seed for each random draw: the layer's own sequence when it has a seed, else kiln's default one. */
export function seeder(seed: number | undefined): () => number | undefined {
  if (seed === undefined) return () => undefined;
  const r = rng(seed);
  return () => Math.floor(r() * 4294967296);
}

export interface LinearOptions {
  /** add a learnable bias (default true) */
  bias?: boolean;
  /** seed of the initialisation (default: kiln's global sequence) */
  seed?: number;
}

/**
 * y = x W^T + b over the last axis of x (torch.nn.Linear): weight [outFeatures, inFeatures],
 * bias [outFeatures]. Init as torch: kaiming_uniform(a = sqrt(5)) for the weight, i.e.
 * U(-1/sqrt(in), 1/sqrt(in)), and U(-1/sqrt(in), 1/sqrt(in)) for the bias.
 */
export class Linear extends Module {
  readonly weight: Variable;
  readonly bias: Variable | null;
  constructor(readonly inFeatures: number, readonly outFeatures: number, options: LinearOptions = {}) {
    super();
    const op = 'nn.Linear';
    positiveInt(op, 'inFeatures', inFeatures);
    positiveInt(op, 'outFeatures', outFeatures);
    const next = seeder(options.seed);
    const bound = 1 / Math.sqrt(inFeatures);
    this.weight = this.param('weight', () => randomUniform([outFeatures, inFeatures], -bound, bound, 'float32', next()));
    this.bias = options.bias === false ? this.param('bias', null) : this.param('bias', () => randomUniform([outFeatures], -bound, bound, 'float32', next()));
  }

  override forward(x: Tensor): Tensor {
    assertTensor('nn.Linear', 'x', x);
    const last = x.shape[x.rank - 1];
    if (x.rank < 1 || last !== this.inFeatures) fail('nn.Linear', `input ${JSON.stringify(x.shape)} must end in inFeatures = ${this.inFeatures}`);
    const lead = x.shape.slice(0, -1);
    return tidy(() => {
      let y = matMul(x.rank === 2 ? x : reshape(x, [-1, this.inFeatures]), this.weight, false, true);
      if (this.bias) y = add(y, this.bias);
      return x.rank === 2 ? y : reshape(y, [...lead, this.outFeatures]);
    });
  }
}

export interface EmbeddingModuleOptions {
  /** this row is initialised to zeros and gets no gradient (torch's padding_idx); negative counts from the end */
  paddingIdx?: number;
  seed?: number;
}

/** Lookup table weight [numEmbeddings, embeddingDim] (torch.nn.Embedding): init N(0, 1), padding row zero. */
export class Embedding extends Module {
  readonly weight: Variable;
  readonly paddingIdx: number | undefined;
  constructor(readonly numEmbeddings: number, readonly embeddingDim: number, options: EmbeddingModuleOptions = {}) {
    super();
    const op = 'nn.Embedding';
    positiveInt(op, 'numEmbeddings', numEmbeddings);
    positiveInt(op, 'embeddingDim', embeddingDim);
    const p = options.paddingIdx;
    if (p !== undefined && (!Number.isInteger(p) || p < -numEmbeddings || p >= numEmbeddings)) {
      fail(op, `paddingIdx must be an integer in [-${numEmbeddings}, ${numEmbeddings}), got ${p}`);
    }
    this.paddingIdx = p === undefined ? undefined : (p + numEmbeddings) % numEmbeddings;
    const pad = this.paddingIdx;
    const seed = seeder(options.seed)();
    this.weight = this.param('weight', () => {
      const w = randomNormal([numEmbeddings, embeddingDim], 0, 1, seed);
      if (pad === undefined) return w;
      const keep = new Float32Array(numEmbeddings).fill(1);
      keep[pad] = 0;
      return mul(w, tensor(keep, [numEmbeddings, 1]));
    });
  }

  /** int32 ids of any shape -> ids.shape + [embeddingDim]. */
  override forward(ids: Tensor): Tensor {
    return embedding(this.weight, ids, { paddingIdx: this.paddingIdx });
  }
}

export interface DropoutOptions {
  /** seed of the mask sequence: the same seed gives the same masks call after call */
  seed?: number;
}

/**
 * Inverted dropout (torch.nn.Dropout): in train mode each element is zeroed with probability p
 * and the others scaled by 1/(1-p); identity in eval mode. The gradient goes through the same mask.
 */
export class Dropout extends Module {
  private readonly next: () => number | undefined;
  constructor(readonly p = 0.5, options: DropoutOptions = {}) {
    super();
    if (typeof p !== 'number' || !(p >= 0 && p <= 1)) fail('nn.Dropout', `p must be a probability in [0, 1], got ${p}`);
    this.next = seeder(options.seed ?? Math.floor(Math.random() * 4294967296));
  }

  override forward(x: Tensor): Tensor {
    assertTensor('nn.Dropout', 'x', x);
    if (!this.training || this.p === 0) return x;
    const p = this.p;
    const seed = this.next();
    return tidy(() => {
      if (p === 1) return mul(x, 0);
      const keep = cast(greaterEqual(randomUniform(x.shape, 0, 1, 'float32', seed), p), 'float32');
      return mul(x, mul(keep, 1 / (1 - p)));
    });
  }
}

/** Modules applied in order (torch.nn.Sequential); their parameters are named '0.weight', '1.bias', ... */
export class Sequential extends Module {
  private readonly layers: Module[] = [];
  constructor(...modules: Module[]) {
    super();
    for (const m of modules) this.append(m);
  }

  append(m: Module): this {
    this.layers.push(this.module(String(this.layers.length), m));
    return this;
  }

  get length(): number { return this.layers.length; }
  at(i: number): Module { return this.layers[i < 0 ? i + this.layers.length : i]; }

  override forward(x: unknown): unknown {
    return tidy(() => {
      let y = x;
      for (const m of this.layers) y = m.forward(y);
      return y as Tensor;
    });
  }
}
