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

  /**
   * Precomputed hidden contributions: each chunk is a table [sum of its columns' vocabularies,
   * hidden] for some feature columns (a chunk stays under the largest buffer a shader may bind).
   */
  private bags: { cols: number[]; base: Int32Array; table: Tensor }[] | null = null;

  /**
   * Precomputes every (feature position, id) pair's contribution to the hidden layer (Chen &
   * Manning's trick): a state's hidden pre-activation becomes embeddingBag sums of its 48 rows
   * instead of a [48 * dim] x [48 * dim, hidden] product. For inference: the weights must not
   * change afterwards (clearPrecomputed, or call again). Skipped (false) when the tables would pass
   * `maxBytes` in all.
   */
  precompute(maxBytes = 768 * 2 ** 20, chunkBytes = 96 * 2 ** 20): boolean {
    this.clearPrecomputed();
    const H = this.spec.hidden;
    const cols: { g: number; f: number; vocab: number }[] = [];
    this.spec.groups.forEach((g, gi) => { for (let f = 0; f < g.features; f++) cols.push({ g: gi, f, vocab: g.vocab }); });
    if (cols.reduce((a, c) => a + c.vocab, 0) * H * 4 > maxBytes) return false;
    // per group: all positions' contributions [F, V, H], computed once, then cut into chunks
    const perGroup = kiln.noGrad(() => this.spec.groups.map((g, i) => kiln.tidy(() => {
      const w = kiln.reshape(kiln.transpose(kiln.reshape(this.hiddenWeights[i], [g.features, g.dim, H]), [1, 0, 2]), [g.dim, g.features, H]);
      // E [V, d] x W[:, f, :] for each position f: [F, V, H] rows, one matmul a position keeps every tensor bindable
      return Array.from({ length: g.features }, (_, f) => kiln.matMul(this.tables[i].weight, kiln.reshape(kiln.slice(w, [0, f, 0], [g.dim, 1, H]), [g.dim, H])));
    })));
    const bags: { cols: number[]; base: Int32Array; table: Tensor }[] = [];
    let cur: number[] = [];
    let rows = 0;
    const flush = () => {
      if (!cur.length) return;
      const base = new Int32Array(cur.length);
      let at = 0;
      cur.forEach((c, k) => { base[k] = at; at += cols[c].vocab; });
      const parts = cur.map((c) => perGroup[cols[c].g][cols[c].f]);
      bags.push({ cols: cur, base, table: parts.length === 1 ? kiln.clone(parts[0]) : kiln.concat(parts, 0) });
      cur = []; rows = 0;
    };
    cols.forEach((c, k) => {
      if (cur.length && (rows + c.vocab) * H * 4 > chunkBytes) flush();
      cur.push(k); rows += c.vocab;
    });
    flush();
    for (const list of perGroup) kiln.dispose(list);
    this.bags = bags;
    return true;
  }

  get precomputed(): boolean { return this.bags !== null; }

  /** Drops the precomputed tables (before the weights change again). */
  clearPrecomputed(): void {
    if (this.bags) for (const b of this.bags) b.table.dispose();
    this.bags = null;
  }

  /** Scores [rows, outputs] of id rows x (groups side by side), eval mode; the precomputed path when there is one. */
  scoreTensor(x: Int32Array, rows: number): Tensor {
    if (!this.bags) return kiln.tidy(() => this.forward(this.idTensors(x, rows)));
    const F = this.features;
    return kiln.noGrad(() => kiln.tidy(() => {
      let pre: Tensor = this.hiddenBias; // each chunk's bags add onto the previous sum (the first onto the bias row)
      for (const b of this.bags!) {
        const k = b.cols.length;
        const ids = new Int32Array(rows * k);
        for (let r = 0; r < rows; r++) for (let j = 0; j < k; j++) ids[r * k + j] = x[r * F + b.cols[j]] + b.base[j];
        pre = kiln.embeddingBag(b.table, kiln.tensor(ids, [rows, k], 'int32'), pre);
      }
      return this.outputLayer.forward(kiln.relu(pre));
    }));
  }

  override dispose(): void {
    this.clearPrecomputed();
    super.dispose();
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
