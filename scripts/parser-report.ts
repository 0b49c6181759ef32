// The dev table of docs/parser.md from the shipped model (or --model DIR): UAS / LAS / UPOS and
// tokens per second, greedy and beam 8, with predicted and with gold tags, plus the training
// history that `kiln parse train` stored in config.json (local greedy / local beam / global beam).
//   node --import tsx scripts/parser-report.ts [--model DIR] [--dev FILE] [--figure FILE.svg]
import { writeFileSync } from 'node:fs';
import * as kiln from '../src/index.ts';
import { loadParserModel, disposeParserModel, DEFAULT_DEV, DEFAULT_MODEL } from '../src/models/parser/model.ts';
import { readTreebank, evaluateDev } from '../src/models/parser/train.ts';
import { parseSentences, tagSentences } from '../src/models/parser/parse.ts';
import { treeSvg } from '../src/models/parser/svg.ts';

const arg = (name: string) => { const i = process.argv.indexOf(name); return i > 0 ? process.argv[i + 1] : undefined; };
await kiln.ready();
const model = await loadParserModel(arg('--model') ?? DEFAULT_MODEL);
const dev = readTreebank(arg('--dev') ?? DEFAULT_DEV);
console.log(`model: ${model.config.normalization} normalisation, beam ${model.config.beam}; dev: ${dev.length} sentences, ${dev.reduce((a, s) => a + s.forms.length, 0)} words`);
console.log('| decoding | tags | UAS | LAS | UPOS | tokens/s |\n|---|---|---:|---:|---:|---:|');
for (const tags of ['predicted', 'gold'] as const) {
  for (const beam of [1, model.config.beam]) {
    await evaluateDev(model, dev.slice(0, 50), beam, tags); // warm: shaders compiled, buffers pooled
    const s = await evaluateDev(model, dev, beam, tags);
    console.log(`| ${beam === 1 ? 'greedy' : `beam ${beam}`} | ${tags} | ${s.uas.toFixed(2)} | ${s.las.toFixed(2)} | ${tags === 'gold' ? '-' : s.upos.toFixed(2)} | ${Math.round(s.tokensPerSec)} |`);
  }
}
const hist = (model.config.results?.history ?? []) as { stage: string; epoch?: number; beam?: number; devUas?: number; devLas?: number; devUpos?: number }[];
console.log('\ntraining history (dev, predicted tags):');
for (const h of hist) console.log(`  ${h.stage}${h.epoch ? ` epoch ${h.epoch}` : ''}${h.beam ? ` beam ${h.beam}` : ''}: ${h.devUpos !== undefined ? `UPOS ${h.devUpos.toFixed(2)}` : `UAS ${h.devUas?.toFixed(2)} LAS ${h.devLas?.toFixed(2)}`}`);
const fig = arg('--figure');
if (fig) {
  const k = Number(arg('--sentence') ?? 2) - 1;
  const s = dev[k];
  const [tags] = await tagSentences(model.tagger, model.vocabs, [s]);
  const [t] = await parseSentences(model.parser, model.vocabs, [{ forms: s.forms, tags }], { beam: model.config.beam, normalization: model.config.normalization, system: model.config.system });
  const right = t.heads.filter((h, i) => h === s.heads![i]).length;
  writeFileSync(fig, treeSvg(s.forms, tags, t.heads, t.rels, { gold: { heads: s.heads!, rels: s.rels! }, title: `EWT dev sentence ${k + 1}, beam ${model.config.beam}: ${right}/${s.forms.length} heads right (red: differs from gold)` }));
  console.log(`wrote ${fig}`);
}
disposeParserModel(model);
process.exit(0);
