// The dependency parser, as a library user calls it: the shipped model (models/parser) tags a
// tokenised sentence (UPOS), parses it with a beam of 8, and the tree is printed as arcs and drawn
// as an SVG picture.
//   node --import tsx examples/parser.ts ["A sentence , tokenised with spaces ."] [out.svg]
import { writeFileSync } from 'node:fs';
import { loadParserModel, disposeParserModel } from '../src/models/parser/model.ts';
import { parseSentences, tagSentences } from '../src/models/parser/parse.ts';
import { treeSvg } from '../src/models/parser/svg.ts';

export interface ParserExampleResult { forms: string[]; tags: string[]; heads: number[]; rels: string[]; svg: string }

export async function parserExample(sentence = 'The parser reads every word of the sentence on the GPU .', log: (...m: unknown[]) => void = console.log): Promise<ParserExampleResult> {
  const model = await loadParserModel();
  try {
    const forms = sentence.split(/\s+/).filter(Boolean);
    const [tags] = await tagSentences(model.tagger, model.vocabs, [{ forms, tags: [] }]);
    const [tree] = await parseSentences(model.parser, model.vocabs, [{ forms, tags }], { beam: 8, normalization: model.config.normalization, system: model.config.system });
    forms.forEach((f, i) => {
      const h = tree.heads[i];
      log(`${String(i + 1).padStart(2)} ${f.padEnd(10)} ${tags[i].padEnd(6)} <-${tree.rels[i].padEnd(10)} ${h === 0 ? 'ROOT' : `${h} ${forms[h - 1]}`}`);
    });
    const svg = treeSvg(forms, tags, tree.heads, tree.rels);
    return { forms, tags, heads: tree.heads, rels: tree.rels, svg };
  } finally {
    disposeParserModel(model);
  }
}

const isMain = process.argv[1] && /examples\/parser\.ts$/.test(process.argv[1]);
if (isMain) parserExample(process.argv[2]).then((r) => { if (process.argv[3]) writeFileSync(process.argv[3], r.svg); process.exit(0); });
