// Importing TensorFlow.js models (layers and graph formats) into kiln:
//
//   const model = await kiln.loadTfjsModel({ modelJson: 'path/to/model.json' });
//   const probs = model.predict(x);                       // x: [N, H, W, C] float32
//   const [feat, out] = model.execute(x, ['block_16_project_BN', 'dense_3']);
//   model.dispose();
//
// Weights are decoded once on the CPU (quantized uint8/uint16/float16 included), folded where a
// fused kernel can take them, uploaded once, and held by the model until dispose().
import { Tensor } from '../../tensor.ts';
import { TfjsImportError, parseModelJsonText, normalizeModelJson, type ModelJson, type ModelFormat } from './model_json.ts';
import { decodeWeights, splitGroups, shardBytes, concatShards, type DecodedWeight } from './weights.ts';
import { buildLayersPlan, WeightStore } from './layers.ts';
import { buildGraphPlan } from './graph.ts';
import { executePlan, planNames, checkInput, type Plan } from './plan.ts';

export { TfjsImportError, parseJsLiteral, extractJsExport, parseModelJsonText, type ModelJson, type ModelFormat, type WeightEntry, type WeightGroup } from './model_json.ts';
export { decodeWeight, decodeWeights, concatShards, float16ToFloat32, shardBytes, base64Bytes, type DecodedWeight } from './weights.ts';
export { SUPPORTED_LAYERS } from './layers.ts';
export { SUPPORTED_OPS } from './graph.ts';

type Bytes = ArrayBuffer | Uint8Array;

export interface TfjsModelSource {
  /** the model.json object, its text, or a file path (JSON, or a JS wrapper such as nsfwjs's model.min.js) */
  modelJson: object | string;
  /**
   * The weights: every shard of every manifest group concatenated in manifest order (an
   * ArrayBuffer, as tf.io.fromMemory takes), or a reader called with each manifest path. Default
   * (modelJson given as a path): the shard files next to it, also found with a .bin, .js or
   * .min.js suffix; JS-wrapped base64 shards are decoded.
   */
  weights?: Bytes | ((path: string) => Bytes | Promise<Bytes>);
}

export interface TfjsLoadOptions {
  /** fuse conv + batch norm + activation (and padding) into one kiln kernel; default true */
  fuse?: boolean;
}

export interface TfjsModel {
  readonly format: ModelFormat;
  /** where the model came from (a path, or 'model.json') */
  readonly source: string;
  readonly inputName: string;
  /** NHWC; null = any size (the batch always; H and W too for graph models, which are fully convolutional) */
  readonly inputShape: (number | null)[];
  readonly outputNames: string[];
  /** every name execute() accepts: the input, each layer (layers format) or node (graph format) */
  readonly nodeNames: string[];
  /** parameters the model holds (elements, folded batch norms counted as their four vectors) */
  readonly paramCount: number;
  /** The model's output for x (one output; a multi-output model asks for execute(x, model.outputNames)). */
  predict(x: Tensor): Tensor;
  /** The values of the named layers/nodes (a ':0' suffix is accepted), one new tensor each. */
  execute(x: Tensor, names: string | string[]): Tensor[];
  /** A table of the kiln steps: fused groups, ops, parameters. */
  summary(): string;
  dispose(): void;
}

const isNode = typeof process !== 'undefined' && !!process.versions?.node;

async function readFile(path: string): Promise<Uint8Array> {
  if (!isNode) throw new TfjsImportError(`cannot read ${path}: file paths need Node; pass the bytes instead`);
  const fs = await import('node:fs/promises');
  try {
    return new Uint8Array(await fs.readFile(path));
  } catch (e) {
    throw new TfjsImportError(`cannot read ${path}: ${(e as Error).message}`);
  }
}

async function firstExisting(paths: string[]): Promise<string | null> {
  const fs = await import('node:fs/promises');
  for (const p of paths) {
    try { if ((await fs.stat(p)).isFile()) return p; } catch { /* next */ }
  }
  return null;
}

async function readModelJson(src: object | string): Promise<{ mj: ModelJson; dir: string | null }> {
  if (typeof src === 'object' && src !== null) return { mj: normalizeModelJson(src, 'model.json'), dir: null };
  if (typeof src !== 'string') throw new TfjsImportError(`modelJson must be an object, JSON text or a file path, got ${typeof src}`);
  const t = src.trimStart();
  if (t.startsWith('{')) return { mj: parseModelJsonText(t, 'model.json'), dir: null };
  const path = await import('node:path');
  const bytes = await readFile(src);
  return { mj: parseModelJsonText(new TextDecoder().decode(bytes), src), dir: path.dirname(src) };
}

async function readGroups(mj: ModelJson, weights: TfjsModelSource['weights'], dir: string | null): Promise<Uint8Array[]> {
  if (weights instanceof ArrayBuffer || weights instanceof Uint8Array) {
    return splitGroups(mj.weightsManifest, weights instanceof Uint8Array ? weights : new Uint8Array(weights), mj.source);
  }
  let reader: (p: string) => Promise<Uint8Array>;
  if (typeof weights === 'function') {
    reader = async (p) => {
      const b = await weights(p);
      return shardBytes(b instanceof Uint8Array ? b : new Uint8Array(b), p);
    };
  } else if (weights === undefined) {
    if (dir === null) {
      if (mj.weightsManifest.every((g) => g.weights.length === 0)) return mj.weightsManifest.map(() => new Uint8Array(0));
      throw new TfjsImportError(`${mj.source}: the model has weights; pass them (weights: ArrayBuffer or a reader), or give modelJson as a file path so the shards can be found next to it`);
    }
    const path = await import('node:path');
    reader = async (p) => {
      const base = path.join(dir, p);
      const found = await firstExisting([base, `${base}.bin`, `${base}.min.js`, `${base}.js`]);
      if (!found) throw new TfjsImportError(`${mj.source}: weight shard ${p} not found in ${dir} (also tried .bin, .min.js, .js)`);
      return shardBytes(await readFile(found), found);
    };
  } else {
    throw new TfjsImportError(`${mj.source}: weights must be an ArrayBuffer, a Uint8Array or a function (path) => bytes`);
  }
  const out: Uint8Array[] = [];
  for (const g of mj.weightsManifest) out.push(concatShards(await Promise.all(g.paths.map(reader))));
  return out;
}

/** Loads a TensorFlow.js layers or graph model into kiln (weights uploaded to the GPU once). */
export async function loadTfjsModel(source: TfjsModelSource, opts: TfjsLoadOptions = {}): Promise<TfjsModel> {
  if (!source || typeof source !== 'object' || !('modelJson' in source)) throw new TfjsImportError('expects { modelJson, weights? }');
  const { mj, dir } = await readModelJson(source.modelJson);
  const decoded = decodeWeights(mj.weightsManifest, await readGroups(mj, source.weights, dir), mj.source);
  return buildTfjsModel(mj, decoded, opts);
}

/** Builds the kiln model from an already parsed model.json and decoded weights (synchronous). */
export function buildTfjsModel(mj: ModelJson, decoded: Map<string, DecodedWeight>, opts: TfjsLoadOptions = {}): TfjsModel {
  const store = new WeightStore(decoded, mj.source);
  let plan: Plan & { inputShape: (number | null)[] };
  try {
    plan = mj.format === 'layers' ? buildLayersPlan(mj, store, opts) : buildGraphPlan(mj, decoded, store.owned, opts);
  } catch (e) {
    for (const t of store.owned) t.dispose();
    throw e;
  }
  const spatialFree = mj.format === 'graph';
  let disposed = false;
  const names = planNames(plan);
  const params = plan.steps.reduce((a, s) => a + s.params, 0);
  const model: TfjsModel = {
    format: mj.format,
    source: mj.source,
    inputName: plan.inputName,
    inputShape: plan.inputShape,
    outputNames: plan.outputNames,
    nodeNames: names,
    paramCount: params,
    predict(x) {
      checkInput('predict', x, plan.inputShape, spatialFree, disposed, mj.source);
      if (plan.outputNames.length !== 1) {
        throw new TfjsImportError(`the model (${mj.source}) has ${plan.outputNames.length} outputs (${plan.outputNames.join(', ')}); use model.execute(x, model.outputNames)`, 'TfjsModel.predict');
      }
      return executePlan(plan, x, plan.outputNames, mj.source)[0];
    },
    execute(x, want) {
      checkInput('execute', x, plan.inputShape, spatialFree, disposed, mj.source);
      const list = typeof want === 'string' ? [want] : want;
      if (!Array.isArray(list) || list.length === 0 || !list.every((n) => typeof n === 'string')) {
        throw new TfjsImportError(`names must be a layer/node name or a non-empty list of them, got ${JSON.stringify(want)}`, 'TfjsModel.execute');
      }
      return executePlan(plan, x, list, mj.source);
    },
    summary() {
      const rows = plan.steps.map((s) => [s.name, s.desc, String(s.params), s.covers.length ? s.covers.join(', ') : '']);
      const head = ['step (value name)', 'kiln op', 'params', 'fused from'];
      const w = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
      const line = (r: string[]) => r.map((c, i) => c.padEnd(w[i])).join('  ').trimEnd();
      return [
        `${mj.source}: TensorFlow.js ${mj.format} model, input ${plan.inputName} [${plan.inputShape.map((d) => d ?? '*').join(', ')}], outputs ${plan.outputNames.join(', ')}`,
        line(head), ...rows.map(line),
        `${plan.steps.length} kiln steps for ${names.length - 1} layers/nodes; ${params} parameters`,
      ].join('\n');
    },
    dispose() {
      if (disposed) return;
      disposed = true;
      for (const t of store.owned) t.dispose();
      store.owned.length = 0;
    },
  };
  return model;
}

