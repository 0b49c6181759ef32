// A trained parser on disk and in memory (docs/parser.md). A model directory holds
//   config.json          format, the networks' shapes, how the parser scores (local / global), results
//   vocab.json           the vocabularies (words, tags, relations, affixes, shapes), in id order
//   tagger.safetensors   the UPOS tagger's parameters (FeatureMlp state dict)
//   parser.safetensors   the transition scorer's parameters
import { existsSync, mkdirSync, readFileSync, writeFileSync, renameSync } from 'node:fs';
import { join } from 'node:path';
import * as kiln from '../../index.ts';
import { FeatureMlp, type MlpSpec } from './mlp.ts';
import { Vocab, RESERVED } from './vocab.ts';
import type { Vocabs } from './features.ts';
import type { TransitionSystem } from './transition.ts';
import { REPO_ROOT, writeAtomic } from '../root.ts';

/** The repo root, from src/models/parser/ or from a bundle in dist/node/. */
export const ROOT = REPO_ROOT;
export const DEFAULT_MODEL = join(ROOT, 'models/parser');
export const DEFAULT_TRAIN = join(ROOT, 'data/ud-english-ewt/en_ewt-ud-train.conllu.gz');
export const DEFAULT_DEV = join(ROOT, 'data/ud-english-ewt/en_ewt-ud-dev.conllu.gz');

export interface ParserConfig {
  format: 'kiln-parser/1';
  tagger: MlpSpec;
  parser: MlpSpec;
  /** how the parser's scores make a sequence score: 'local' (log-softmax per step, greedy-trained) or 'global' (raw scores summed, beam-trained) */
  normalization: 'local' | 'global';
  /** beam width used by default */
  beam: number;
  /** the transition system (absent in older files: arc-standard) */
  system?: TransitionSystem;
  settings: Record<string, unknown>;
  results?: Record<string, unknown>;
}

export interface ParserModel {
  config: ParserConfig;
  vocabs: Vocabs;
  tagger: FeatureMlp;
  parser: FeatureMlp;
}

function vocabJson(v: Vocabs): string {
  const strip = (x: Vocab) => x.items.slice(RESERVED.length);
  return JSON.stringify({ words: strip(v.words), tags: strip(v.tags), rels: v.rels.items, affixes: strip(v.affixes), shapes: strip(v.shapes), aliases: Object.fromEntries(v.aliases ?? []) });
}

export function vocabsFromJson(text: string, file = 'vocab.json'): Vocabs {
  let o: Record<string, unknown>;
  try { o = JSON.parse(text); } catch (e) { throw new Error(`${file}: not JSON (${(e as Error).message})`); }
  const list = (k: string): string[] => {
    const a = o[k];
    if (!Array.isArray(a) || a.some((x) => typeof x !== 'string')) throw new Error(`${file}: "${k}" must be an array of strings`);
    return a as string[];
  };
  const words = new Vocab(list('words'));
  const aliases = new Map<string, number>();
  if (o.aliases !== undefined) {
    if (typeof o.aliases !== 'object' || o.aliases === null || Array.isArray(o.aliases)) throw new Error(`${file}: "aliases" must be an object {word: id}`);
    for (const [w, id] of Object.entries(o.aliases as Record<string, unknown>)) {
      if (!(Number.isInteger(id) && (id as number) >= 0 && (id as number) < words.size)) throw new Error(`${file}: alias ${JSON.stringify(w)} -> ${JSON.stringify(id)} is not a word id (0..${words.size - 1})`);
      aliases.set(w, id as number);
    }
  }
  return { words, tags: new Vocab(list('tags')), rels: new Vocab(list('rels'), false), affixes: new Vocab(list('affixes')), shapes: new Vocab(list('shapes')), aliases };
}

export async function saveParserModel(dir: string, m: ParserModel): Promise<void> {
  mkdirSync(dir, { recursive: true });
  await writeAtomic(join(dir, 'vocab.json'), vocabJson(m.vocabs) + '\n');
  await writeAtomic(join(dir, 'tagger.safetensors'), await kiln.saveTensors(m.tagger.stateDict()));
  await writeAtomic(join(dir, 'parser.safetensors'), await kiln.saveTensors(m.parser.stateDict()));
  await writeAtomic(join(dir, 'config.json'), JSON.stringify(m.config, null, 2) + '\n');
}

export async function loadParserModel(dir = DEFAULT_MODEL): Promise<ParserModel> {
  for (const f of ['config.json', 'vocab.json', 'tagger.safetensors', 'parser.safetensors']) {
    if (!existsSync(join(dir, f))) throw new Error(`kiln parse: ${join(dir, f)} is missing: ${dir} is not a parser model directory (make one with \`kiln parse train --out DIR\`)`);
  }
  const config = JSON.parse(readFileSync(join(dir, 'config.json'), 'utf8')) as ParserConfig;
  if (config.system !== undefined && config.system !== 'arc-standard' && config.system !== 'arc-hybrid') throw new Error(`kiln parse: ${join(dir, 'config.json')} has system ${JSON.stringify(config.system)}; expected arc-standard or arc-hybrid`);
  if (config.format !== 'kiln-parser/1') throw new Error(`kiln parse: ${join(dir, 'config.json')} has format ${JSON.stringify(config.format)}; this kiln reads 'kiln-parser/1'`);
  const vocabs = vocabsFromJson(readFileSync(join(dir, 'vocab.json'), 'utf8'), join(dir, 'vocab.json'));
  await kiln.ready();
  const load = (spec: MlpSpec, file: string) => {
    const m = new FeatureMlp(spec);
    const t = kiln.loadTensors(readFileSync(join(dir, file)));
    try { m.loadStateDict(t); } catch (e) { m.dispose(); throw new Error(`kiln parse: ${join(dir, file)} does not fit config.json: ${(e as Error).message}`); } finally { kiln.dispose(Object.values(t)); }
    m.train(false);
    return m;
  };
  const tagger = load(config.tagger, 'tagger.safetensors');
  const parser = load(config.parser, 'parser.safetensors');
  parser.precompute();
  return { config, vocabs, tagger, parser };
}

export function disposeParserModel(m: ParserModel): void {
  m.tagger.dispose();
  m.parser.dispose();
}
