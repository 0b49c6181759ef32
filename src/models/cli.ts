// `kiln summary MODEL [--alpha A | --depth D] [--resolution R] [--classes K] [--params RULE] [--pool-macs] [--bn-macs] [--json]`.
// Counting only: builds the layer list, creates no tensors and needs no GPU.
import { mobilenetV1Layers } from './mobilenet_v1.ts';
import { mobilenetV2Layers } from './mobilenet_v2.ts';
import { resnetLayers, type ResNetDepth } from './resnet.ts';
import { summary, formatSummary, PARAM_RULES, type ParamRule, type LayerInfo } from './summary.ts';

const MODELS = ['mobilenet_v1', 'mobilenet_v2', 'resnet'];
/** per model: default classes, default parameter rule, whether it takes --alpha / --depth */
const DEFAULTS: Record<string, { classes: number; rule: ParamRule; alpha: boolean; depth: boolean }> = {
  mobilenet_v1: { classes: 1001, rule: 'checkpoint', alpha: true, depth: false },
  mobilenet_v2: { classes: 1000, rule: 'trainable', alpha: true, depth: false },
  resnet: { classes: 1000, rule: 'trainable', alpha: false, depth: true },
};
const USAGE = `usage: kiln summary MODEL [--alpha A | --depth 18|34|50|101|152] [--resolution R] [--classes K] [--params ${PARAM_RULES.join('|')}] [--pool-macs] [--bn-macs] [--json]
models: ${MODELS.join(', ')} (parameter rule default: checkpoint for mobilenet_v1, trainable otherwise)`;

export function summaryCli(args: string[]): number {
  const flags: Record<string, string> = {};
  let model: string | undefined;
  let json = false;
  let poolMacs = false;
  let bnMacs = false;
  for (let i = 0; i < args.length; i++) {
    const a = args[i];
    if (a === '--json') { json = true; continue; }
    if (a === '--pool-macs') { poolMacs = true; continue; }
    if (a === '--bn-macs') { bnMacs = true; continue; }
    const m = /^--(alpha|depth|resolution|classes|params)(?:=(.*))?$/.exec(a);
    if (m) {
      const v = m[2] ?? args[++i];
      if (v === undefined) { console.error(`kiln summary: ${a} needs a value\n${USAGE}`); return 2; }
      flags[m[1]] = v;
      continue;
    }
    if (a.startsWith('--') || model !== undefined) { console.error(`kiln summary: unexpected argument '${a}'\n${USAGE}`); return 2; }
    model = a;
  }
  if (model === undefined) { console.error(USAGE); return 2; }
  if (!MODELS.includes(model)) { console.error(`kiln summary: unknown model '${model}'\n${USAGE}`); return 2; }
  const def = DEFAULTS[model];
  for (const k of ['alpha', 'depth'] as const) {
    if (flags[k] !== undefined && !def[k]) { console.error(`kiln summary: ${model} takes no --${k}\n${USAGE}`); return 2; }
  }
  const num = (k: string, d: number) => (flags[k] === undefined ? d : Number(flags[k]));
  const rule = (flags.params ?? def.rule) as ParamRule;
  if (!PARAM_RULES.includes(rule)) { console.error(`kiln summary: unknown --params rule '${rule}'\n${USAGE}`); return 2; }
  const opts: { alpha?: number; depth?: number; resolution: number; classes: number } = def.depth
    ? { depth: num('depth', 50), resolution: num('resolution', 224), classes: num('classes', def.classes) }
    : { alpha: num('alpha', 1), resolution: num('resolution', 224), classes: num('classes', def.classes) };
  let layers: LayerInfo[];
  try {
    layers = model === 'resnet' ? resnetLayers({ ...opts, depth: opts.depth as ResNetDepth })
      : model === 'mobilenet_v2' ? mobilenetV2Layers(opts) : mobilenetV1Layers(opts);
  } catch (e) {
    console.error(`kiln summary: ${(e as Error).message}`); return 2;
  }
  const s = summary(layers, { params: rule, poolMacs, bnMacs });
  if (json) {
    console.log(JSON.stringify({
      model, ...opts, rule: s.rule, poolMacs, bnMacs, macs: s.macs, params: s.params,
      layers: s.layers.map((l) => ({
        name: l.name, kind: l.kind, inputShape: l.inputShape, outputShape: l.outputShape, kernel: l.kernel,
        stride: l.stride, channels: l.channels, macs: l.macs, params: l.paramCount,
      })),
    }, null, 2));
  } else {
    const shape = def.depth ? `depth ${opts.depth}` : `alpha ${opts.alpha}`;
    console.log(formatSummary(s, `${model}  ${shape}  resolution ${opts.resolution}  classes ${opts.classes}`));
  }
  return 0;
}
