// `kiln parse [train | eval]` (docs/parser.md). Thin: parse flags, call src/models/parser.
import { readFileSync, writeFileSync } from 'node:fs';
import { flag as flagOf, intFlag as intFlagOf, numFlag as numFlagOf, readStdin } from './args.ts';
import { parseConllu, writeConllu, type ConlluSentence } from '../io/conllu.ts';

export const PARSE_USAGE = `usage: kiln parse [options] < in.conllu > out.conllu
       kiln parse <command> [options]

  (no command) [--model DIR] [--beam N] [--tags gold|predicted]
        reads CoNLL-U on stdin, writes it back with HEAD and DEPREL filled and, with predicted
        tags (the default), UPOS replaced by the tagger's; every other column, comment,
        multiword-token and empty-node line is left as it is. --beam: the model's default
  train [--train FILE] [--dev FILE] --out DIR [--tagger-epochs N] [--epochs N] [--hidden N]
        [--beam-epochs N] [--beam N] [--system arc-standard|arc-hybrid] [--self-normalize W]
        [--jackknife K] [--no-vectors] [--resume]
        the UPOS tagger, then the parser (on the final tagger's tags of the training set, or
        with --jackknife K on tags jackknifed over K folds): local training on the static oracle's decisions, then
        globally normalised beam training (--beam-epochs, 0 = none) from the best local epoch;
        dev picks the epochs. Checkpoints after every epoch; --resume continues a run in DIR
  eval GOLD.conllu PRED.conllu [--json] [--figure FILE.svg [--sentence N]]
        UAS, LAS and UPOS accuracy as the CoNLL 2018 shared task defines them (every word,
        punctuation included, universal relations), on gold tokenisation; --figure draws
        sentence N's predicted tree (default 1), arcs that differ from gold in red
  help`;

export interface ParseIo {
  stdin?: () => Promise<string>;
  write?: (s: string) => void;
  error?: (s: string) => void;
}

const flag = (args: string[], name: string) => flagOf('parse', args, name);
const intFlag = (args: string[], name: string, def?: number) => intFlagOf('parse', args, name, def);
function systemFlag(args: string[]): 'arc-standard' | 'arc-hybrid' {
  const v = flag(args, '--system') ?? 'arc-standard';
  if (v !== 'arc-standard' && v !== 'arc-hybrid') throw new Error(`kiln parse train: --system must be arc-standard or arc-hybrid, got ${JSON.stringify(v)}`);
  return v;
}
const numFlag = (args: string[], name: string, def: number) => numFlagOf('parse', args, name, def, true);

/** Fills HEAD, DEPREL (and UPOS with predicted tags) of the sentences in place. */
export async function parseConlluSentences(sentences: ConlluSentence[], o: { model?: string; beam?: number; tags?: 'gold' | 'predicted' } = {}): Promise<void> {
  const { loadParserModel, disposeParserModel } = await import('../models/parser/model.ts');
  const { parseSentences, tagSentences } = await import('../models/parser/parse.ts');
  const m = await loadParserModel(o.model);
  try {
    const tagsMode = o.tags ?? 'predicted';
    const forms = sentences.map((s) => s.words.map((w) => w.cols[1]));
    let tags: string[][];
    if (tagsMode === 'gold') {
      for (const s of sentences) for (const w of s.words) if (w.cols[3] === '_') throw new Error(`kiln parse: line ${w.line}: UPOS is '_' but --tags gold needs every word's tag (drop --tags gold to predict them)`);
      tags = sentences.map((s) => s.words.map((w) => w.cols[3]));
    } else {
      tags = await tagSentences(m.tagger, m.vocabs, forms.map((f) => ({ forms: f, tags: [] })));
    }
    const res = await parseSentences(m.parser, m.vocabs, forms.map((f, i) => ({ forms: f, tags: tags[i] })), { beam: o.beam ?? m.config.beam, normalization: m.config.normalization, system: m.config.system });
    sentences.forEach((s, i) => s.words.forEach((w, j) => {
      w.cols[6] = String(res[i].heads[j]);
      w.cols[7] = res[i].rels[j];
      if (tagsMode === 'predicted') w.cols[3] = tags[i][j];
    }));
  } finally {
    disposeParserModel(m);
  }
}

export async function parseCli(args: string[], io: ParseIo = {}): Promise<number> {
  const write = io.write ?? ((s: string) => process.stdout.write(s));
  const error = io.error ?? ((s: string) => process.stderr.write(s + '\n'));
  const [cmd, ...rest] = args;
  try {
    if (cmd === 'help' || cmd === '--help' || cmd === '-h') { write(PARSE_USAGE + '\n'); return 0; }
    if (cmd === 'train') {
      const { trainParser, readTreebank, PARSER_TRAIN_DEFAULTS } = await import('../models/parser/train.ts');
      const { DEFAULT_TRAIN, DEFAULT_DEV } = await import('../models/parser/model.ts');
      const out = flag(rest, '--out');
      if (!out) throw new Error('kiln parse train: --out DIR is required (the shipped model is models/parser)');
      const d = PARSER_TRAIN_DEFAULTS;
      await trainParser({
        train: readTreebank(flag(rest, '--train') ?? DEFAULT_TRAIN),
        dev: readTreebank(flag(rest, '--dev') ?? DEFAULT_DEV),
        out,
        taggerEpochs: intFlag(rest, '--tagger-epochs', d.taggerEpochs)!,
        parserEpochs: intFlag(rest, '--epochs', d.parserEpochs)!,
        hidden: intFlag(rest, '--hidden', d.hidden)!,
        wordDim: d.wordDim, batch: d.batch, lr: d.lr, seed: d.seed,
        limit: intFlag(rest, '--limit'),
        beamEpochs: rest.includes('--beam-epochs') && flag(rest, '--beam-epochs') === '0' ? 0 : intFlag(rest, '--beam-epochs', d.beamEpochs)!,
        beam: intFlag(rest, '--beam', d.beam)!,
        beamBatch: d.beamBatch, beamLr: d.beamLr,
        pretrain: !rest.includes('--no-vectors'),
        system: systemFlag(rest),
        selfNormalize: numFlag(rest, '--self-normalize', 0.1),
        jackknife: rest.includes('--jackknife') && flag(rest, '--jackknife') === '0' ? 0 : intFlag(rest, '--jackknife', d.jackknife)!,
        resume: rest.includes('--resume'),
        log: error,
      });
      return 0;
    }
    if (cmd === 'eval') {
      const files = rest.filter((a) => !a.startsWith('--'));
      if (files.length !== 2) throw new Error('kiln parse eval: give two files: GOLD.conllu PRED.conllu');
      const { attachmentScores, scoredOf } = await import('../models/parser/metrics.ts');
      const read = (f: string) => {
        let text: string;
        try { text = readFileSync(f, 'utf8'); } catch (e) { throw new Error(`kiln parse eval: cannot read ${f}: ${(e as Error).message}`); }
        return parseConllu(text, { file: f }).map(scoredOf);
      };
      const gold = read(files[0]), pred = read(files[1]);
      const s = attachmentScores(gold, pred);
      const fig = flag(rest, '--figure');
      if (fig) {
        const k = (intFlag(rest, '--sentence', 1) ?? 1) - 1;
        if (k >= pred.length) throw new Error(`kiln parse eval: --sentence ${k + 1} is past the last sentence (${pred.length})`);
        const { treeSvg } = await import('../models/parser/svg.ts');
        const p = pred[k], g = gold[k];
        const right = p.heads.filter((h, i) => h === g.heads[i]).length;
        writeFileSync(fig, treeSvg(p.forms, p.tags ?? [], p.heads, p.rels, { gold: { heads: g.heads, rels: g.rels }, title: `sentence ${k + 1}: ${right}/${p.forms.length} heads right (red: head or relation differs from gold)` }));
      }
      if (rest.includes('--json')) write(JSON.stringify(s) + '\n');
      else write(`UAS ${s.uas.toFixed(2)}\nLAS ${s.las.toFixed(2)}\nUPOS ${s.upos.toFixed(2)}\nwords ${s.words}\nsentences ${s.sentences}\n`);
      return 0;
    }
    if (cmd !== undefined && !cmd.startsWith('--')) throw new Error(`kiln parse: unknown command ${JSON.stringify(cmd)}\n${PARSE_USAGE}`);
    // parse stdin
    const tags = flag(args, '--tags') ?? 'predicted';
    if (tags !== 'gold' && tags !== 'predicted') throw new Error(`kiln parse: --tags must be gold or predicted, got ${JSON.stringify(tags)}`);
    const text = await (io.stdin ?? readStdin)();
    const sentences = parseConllu(text, { file: '<stdin>' });
    if (sentences.length) await parseConlluSentences(sentences, { model: flag(args, '--model'), beam: intFlag(args, '--beam'), tags });
    write(writeConllu(sentences));
    return 0;
  } catch (e) {
    error((e as Error).message);
    return 1;
  }
}
