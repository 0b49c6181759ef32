// `kiln summary MODEL [--alpha A] [--resolution R] [--classes K] [--params RULE] [--pool-macs] [--json]`.
// Counting only: builds the layer list, creates no tensors and needs no GPU.
import { mobilenetV1Layers } from './mobilenet_v1.ts';
import { summary, formatSummary, PARAM_RULES, type ParamRule } from './summary.ts';

const MODELS = ['mobilenet_v1'];
const USAGE = `usage: kiln summary MODEL [--alpha A] [--resolution R] [--classes K] [--params ${PARAM_RULES.join('|')}] [--pool-macs] [--json]
models: ${MODELS.join(', ')}`;

export function summaryCli(args: string[]): number {
  const flags: Record<string, string> = {};
  let model: string | undefined;
  let json = false;
  let poolMacs = false;
  for (let i = 0; i < args.length; i++) {
    const a = args[i];
    if (a === '--json') { json = true; continue; }
    if (a === '--pool-macs') { poolMacs = true; continue; }
    const m = /^--(alpha|resolution|classes|params)(?:=(.*))?$/.exec(a);
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
  const num = (k: string, d: number) => (flags[k] === undefined ? d : Number(flags[k]));
  const rule = (flags.params ?? 'checkpoint') as ParamRule;
  if (!PARAM_RULES.includes(rule)) { console.error(`kiln summary: unknown --params rule '${rule}'\n${USAGE}`); return 2; }
  const opts = { alpha: num('alpha', 1), resolution: num('resolution', 224), classes: num('classes', 1001) };
  let layers;
  try {
    layers = mobilenetV1Layers(opts);
  } catch (e) {
    console.error(`kiln summary: ${(e as Error).message}`); return 2;
  }
  const s = summary(layers, { params: rule, poolMacs });
  if (json) {
    console.log(JSON.stringify({
      model, ...opts, rule: s.rule, poolMacs, macs: s.macs, params: s.params,
      layers: s.layers.map((l) => ({
        name: l.name, kind: l.kind, inputShape: l.inputShape, outputShape: l.outputShape, kernel: l.kernel,
        stride: l.stride, channels: l.channels, macs: l.macs, params: l.paramCount,
      })),
    }, null, 2));
  } else {
    console.log(formatSummary(s, `${model}  alpha ${opts.alpha}  resolution ${opts.resolution}  classes ${opts.classes}`));
  }
  return 0;
}
