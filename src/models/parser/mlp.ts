// The scorer of the parser and the tagger (docs/parser.md): groups of sparse feature ids ->
// embedding rows, concatenated -> one hidden ReLU layer -> scores (Chen & Manning 2014). Every
// row of a batch is one parser state or one token; a batch of all beam states of all sentences is
// one matmul per layer.
import * as kiln from '../../index.ts';
import { Module } from '../../nn/module.ts';
import { Embedding, Linear, Dropout } from '../../nn/layers.ts';
import type { Tensor } from '../../tensor.ts';
import type { Variable } from '../../autograd/variable.ts';
import { NULL_ID } from './transition.ts';

export interface FeatureGroup {
  name: string;
  /** rows of the group's table */
  vocab: number;
  dim: number;
  /** feature positions that read this table */
  features: number;
}

export interface MlpSpec {
  groups: FeatureGroup[];
  hidden: number;
  outputs: number;
  dropout: number;
  seed: number;
}

export class FeatureMlp extends Module {
  readonly tables: Embedding[];
  /** the hidden layer's weight, split by group: [features * dim, hidden] each (no concatenation) */
  readonly hiddenWeights: Variable[];
  readonly hiddenBias: Variable;
  readonly outputLayer: Linear;
  readonly drop: Dropout;
  readonly inputs: number;
  constructor(readonly spec: MlpSpec) {
    super();
    this.tables = spec.groups.map((g, i) => this.module(`emb_${g.name}`, new Embedding(g.vocab, g.dim, { seed: spec.seed + i, paddingIdx: NULL_ID })));
    this.inputs = spec.groups.reduce((a, g) => a + g.features * g.dim, 0);
    const bound = 1 / Math.sqrt(this.inputs);
    this.hiddenWeights = spec.groups.map((g, i) => this.param(`hidden_${g.name}`, () => kiln.randomUniform([g.features * g.dim, spec.hidden], -bound, bound, 'float32', spec.seed + 50 + i)));
    this.hiddenBias = this.param('hidden_bias', () => kiln.fill([spec.hidden], 0.01));
    this.outputLayer = this.module('output', new Linear(spec.hidden, spec.outputs, { seed: spec.seed + 101 }));
    this.drop = this.module('dropout', new Dropout(spec.dropout, { seed: spec.seed + 7 }));
  }

  /** Total features per row (the width of the id matrix `forward` takes). */
  get features(): number { return this.spec.groups.reduce((a, g) => a + g.features, 0); }

  /** Rows of ids [B, features] (groups side by side, spec order) -> one int32 tensor per group. */
  idTensors(x: Int32Array, rows: number): Tensor[] {
    const F = this.features;
    let at = 0;
    return this.spec.groups.map((g) => {
      const part = new Int32Array(rows * g.features);
      for (let r = 0; r < rows; r++) part.set(x.subarray(r * F + at, r * F + at + g.features), r * g.features);
      at += g.features;
      return kiln.tensor(part, [rows, g.features], 'int32');
    });
  }

  /** ids: one int32 [B, features_g] per group (idTensors). Returns scores [B, outputs]. */
  override forward(ids: Tensor[]): Tensor {
    return kiln.tidy(() => {
      const b = ids[0].shape[0];
      let pre: Tensor | null = null;
      this.spec.groups.forEach((g, i) => {
        const e = kiln.reshape(this.tables[i].forward(ids[i]), [b, g.features * g.dim]);
        const p = kiln.matMul(e, this.hiddenWeights[i]);
        pre = pre ? kiln.add(pre, p) : p;
      });
      const h = this.drop.forward(kiln.relu(kiln.add(pre!, this.hiddenBias)));
      return this.outputLayer.forward(h);
    });
  }
}
