// A trained Smart Reply model on disk (docs/smart_reply.md). A model directory holds
//   config.json        format, the network's shape, training settings, results
//   vocab.json         words in id order (the four specials first), their counts, word classes
//   users.json         user address -> user-embedding row (row 0: unknown users)
//   responses.json     the response set: candidate replies, their clusters, the cluster centroids
//   model.safetensors  the network's parameters
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import * as kiln from '../../index.ts';
import { ReplyModel, type ReplyModelSpec } from './model.ts';
import type { ReplyVocab } from './vocab.ts';
import { REPO_ROOT, writeAtomic } from '../root.ts';

export const ROOT = REPO_ROOT;
export const DEFAULT_REPLY_MODEL = join(ROOT, 'models/reply');

export interface ReplyConfig {
  format: 'kiln-reply/1';
  spec: ReplyModelSpec;
  /** rank = log p / length^alpha + lengthBias * length */
  alpha: number;
  lengthBias: number;
  settings: Record<string, unknown>;
  results?: Record<string, unknown>;
}

export interface ResponseSet {
  texts: string[];
  clusters: number[];
  /** [k, dim] unit centroids of the clusters, and the word space's dimension */
  k: number;
  dim: number;
  centroids: number[];
  /** log p(reply) of every response with no message (the decoder's prior), for the cluster evidence */
  prior?: number[];
}

export interface ReplyBundle {
  config: ReplyConfig;
  vocab: ReplyVocab;
  users: Map<string, number>;
  responses: ResponseSet;
  model: ReplyModel;
}

export async function saveReplyModel(dir: string, b: ReplyBundle): Promise<void> {
  mkdirSync(dir, { recursive: true });
  writeAtomic(join(dir, 'vocab.json'), JSON.stringify({ words: b.vocab.words, counts: b.vocab.counts, wordClass: Array.from(b.vocab.wordClass), classes: b.vocab.classes, idf: b.vocab.idf ? Array.from(b.vocab.idf, (x) => Math.round(x * 1e4) / 1e4) : undefined }) + '\n');
  writeAtomic(join(dir, 'users.json'), JSON.stringify(Object.fromEntries(b.users)) + '\n');
  writeAtomic(join(dir, 'responses.json'), JSON.stringify({ ...b.responses, centroids: b.responses.centroids.map((x) => Math.round(x * 1e5) / 1e5) }) + '\n');
  writeAtomic(join(dir, 'model.safetensors'), await kiln.saveTensors(b.model.stateDict()));
  writeAtomic(join(dir, 'config.json'), JSON.stringify(b.config, null, 2) + '\n');
}

function readJson(dir: string, file: string): Record<string, unknown> {
  const p = join(dir, file);
  if (!existsSync(p)) throw new Error(`kiln reply: ${p} is missing: ${dir} is not a reply model directory (make one with \`kiln reply train --out DIR\`)`);
  try { return JSON.parse(readFileSync(p, 'utf8')); } catch (e) { throw new Error(`kiln reply: ${p} is not JSON (${(e as Error).message})`); }
}

export async function loadReplyModel(dir = DEFAULT_REPLY_MODEL): Promise<ReplyBundle> {
  const config = readJson(dir, 'config.json') as unknown as ReplyConfig;
  if (config.format !== 'kiln-reply/1') throw new Error(`kiln reply: ${join(dir, 'config.json')} has format ${JSON.stringify(config.format)}; this kiln reads 'kiln-reply/1'`);
  const vj = readJson(dir, 'vocab.json') as { words: string[]; counts: number[]; wordClass: number[]; classes: number; idf?: number[] };
  if (!Array.isArray(vj.words) || vj.words.length !== config.spec.vocab || !Array.isArray(vj.wordClass) || vj.wordClass.length !== vj.words.length) {
    throw new Error(`kiln reply: ${join(dir, 'vocab.json')} does not fit config.json (${config.spec.vocab} words)`);
  }
  const vocab: ReplyVocab = { words: vj.words, index: new Map(vj.words.map((w, i) => [w, i])), counts: vj.counts, wordClass: Int32Array.from(vj.wordClass), classes: vj.classes, idf: vj.idf ? Float32Array.from(vj.idf) : undefined };
  const users = new Map(Object.entries(readJson(dir, 'users.json')).map(([u, i]) => [u, Number(i)]));
  const responses = readJson(dir, 'responses.json') as unknown as ResponseSet;
  const wp = join(dir, 'model.safetensors');
  if (!existsSync(wp)) throw new Error(`kiln reply: ${wp} is missing`);
  await kiln.ready();
  const model = new ReplyModel(config.spec, vocab.wordClass);
  const t = kiln.loadTensors(readFileSync(wp));
  try { model.loadStateDict(t); } catch (e) { model.dispose(); throw new Error(`kiln reply: ${wp} does not fit config.json: ${(e as Error).message}`); } finally { kiln.dispose(Object.values(t)); }
  model.train(false);
  return { config, vocab, users, responses, model };
}
