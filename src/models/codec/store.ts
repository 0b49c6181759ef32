// A trained codec on disk: config.json (format, the network's spec, training settings and
// history) and model.safetensors (the parameters). The shipped one is models/codec.
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import * as kiln from '../../index.ts';
import { CodecModel, type CodecSpec } from './model.ts';
import { REPO_ROOT, writeAtomic } from '../root.ts';

export const DEFAULT_CODEC_MODEL = join(REPO_ROOT, 'models/codec');

export interface CodecConfig { format: 'kiln-codec/1'; spec: CodecSpec; training?: Record<string, unknown>; results?: Record<string, unknown> }

export async function saveCodecModel(dir: string, m: CodecModel, training?: Record<string, unknown>): Promise<void> {
  mkdirSync(dir, { recursive: true });
  writeAtomic(join(dir, 'model.safetensors'), await kiln.saveTensors(m.stateDict()));
  const prev = existsSync(join(dir, 'config.json')) ? (JSON.parse(readFileSync(join(dir, 'config.json'), 'utf8')) as CodecConfig) : null;
  // new weights: the old results (kiln codec eval --save) no longer describe them
  const config: CodecConfig = { format: 'kiln-codec/1', spec: m.spec, training: training ?? prev?.training, results: training ? undefined : prev?.results };
  writeAtomic(join(dir, 'config.json'), JSON.stringify(config, null, 1) + '\n');
}

export function readCodecConfig(dir: string): CodecConfig {
  const path = join(dir, 'config.json');
  if (!existsSync(path)) throw new Error(`kiln codec: no model at ${dir} (config.json missing); train one with kiln codec train --out ${dir}, or leave --model out for the shipped one`);
  const c = JSON.parse(readFileSync(path, 'utf8')) as CodecConfig;
  if (c.format !== 'kiln-codec/1') throw new Error(`kiln codec: ${path} has format ${JSON.stringify(c.format)}, expected "kiln-codec/1"`);
  return c;
}

export async function loadCodecModel(dir = DEFAULT_CODEC_MODEL): Promise<CodecModel> {
  await kiln.ready();
  const c = readCodecConfig(dir);
  const file = join(dir, 'model.safetensors');
  if (!existsSync(file)) throw new Error(`kiln codec: ${file} is missing`);
  const m = new CodecModel(c.spec, 1);
  try { await kiln.loadCheckpoint(file, { variables: m.stateDict() }); } catch (e) { m.dispose(); throw e; }
  m.train(false);
  return m;
}

/** Records measured results in the model's config.json (kiln codec eval --save). */
export function saveCodecResults(dir: string, results: Record<string, unknown>): void {
  const c = readCodecConfig(dir);
  writeAtomic(join(dir, 'config.json'), JSON.stringify({ ...c, results }, null, 1) + '\n');
}
