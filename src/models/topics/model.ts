// A trained topic model on disk and in memory (docs/topics.md). A model directory holds
//   config.json      topics, per-topic thresholds, settings, the measured results
//   vocab.txt        the skip-gram vocabulary, one word a line (row order of `vectors`)
//   terms.tsv        the sparse feature terms and their idf, one `term<TAB>idf` a line
//   model.safetensors  vectors [V, D], ws [F, T], wd [D, T] as int8 with float32 scales per row
//                    (vectors) or per topic (ws, wd), and b [T] float32
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { decodeSafetensors } from '../../io/safetensors.ts';
import { featurize, type FeatureSpace, type WordVectors } from './features.ts';
import { scoreLinear, type LinearModel } from './classifier.ts';
import type { Package } from './data.ts';

export interface TopicsConfig {
  format: 'kiln-topics/1';
  topics: string[];
  /** per-topic decision thresholds on the score (tuned on the dev split) */
  thresholds: number[];
  /** give a package its best topic when none passes its threshold (chosen on dev) */
  atLeastOne: boolean;
  head: 'sigmoid' | 'softmax';
  settings: Record<string, unknown>;
  results?: Record<string, unknown>;
}

export interface TopicModel {
  config: TopicsConfig;
  vectors: WordVectors;
  space: FeatureSpace;
  linear: LinearModel;
}

// ---- int8 quantisation ----

/** Symmetric int8 with one scale per group of `group` consecutive values along `axis`. */
function quantize(w: Float32Array, rows: number, cols: number, perRow: boolean): { q: Int8Array; scale: Float32Array } {
  const q = new Int8Array(w.length);
  const scale = new Float32Array(perRow ? rows : cols);
  for (let r = 0; r < rows; r++) for (let c = 0; c < cols; c++) { const k = perRow ? r : c; scale[k] = Math.max(scale[k], Math.abs(w[r * cols + c])); }
  for (let k = 0; k < scale.length; k++) scale[k] = scale[k] / 127 || 1;
  for (let r = 0; r < rows; r++) for (let c = 0; c < cols; c++) q[r * cols + c] = Math.round(w[r * cols + c] / scale[perRow ? r : c]);
  return { q, scale };
}

function dequantize(q: ArrayLike<number>, scale: ArrayLike<number>, rows: number, cols: number, perRow: boolean): Float32Array {
  const w = new Float32Array(rows * cols);
  for (let r = 0; r < rows; r++) for (let c = 0; c < cols; c++) w[r * cols + c] = q[r * cols + c] * scale[perRow ? r : c];
  return w;
}

/** A safetensors file of I8 and F32 tensors (kiln's encoder writes 4-byte dtypes only). */
function encodeMixed(entries: [string, 'I8' | 'F32', number[], Uint8Array][]): Uint8Array {
  let off = 0;
  const header: Record<string, unknown> = {};
  for (const [name, dtype, shape, bytes] of entries) { header[name] = { dtype, shape, data_offsets: [off, off + bytes.length] }; off += bytes.length; }
  let h = JSON.stringify(header);
  h += ' '.repeat((8 - ((8 + h.length) % 8)) % 8);
  const out = new Uint8Array(8 + h.length + off);
  new DataView(out.buffer).setBigUint64(0, BigInt(h.length), true);
  out.set(new TextEncoder().encode(h), 8);
  let at = 8 + h.length;
  for (const [, , , bytes] of entries) { out.set(bytes, at); at += bytes.length; }
  return out;
}

const bytesOf = (a: Int8Array | Float32Array) => new Uint8Array(a.buffer, a.byteOffset, a.byteLength);

export function saveTopicModel(dir: string, m: TopicModel): void {
  mkdirSync(dir, { recursive: true });
  const { vectors: wv, space, linear: l } = m;
  const v = quantize(wv.vectors, wv.words.length, wv.dim, true);
  const ws = quantize(l.ws, l.terms, l.topics, false);
  const wd = quantize(l.wd, l.dim, l.topics, false);
  writeFileSync(join(dir, 'model.safetensors'), encodeMixed([
    ['vectors', 'I8', [wv.words.length, wv.dim], bytesOf(v.q)], ['vectors.scale', 'F32', [wv.words.length], bytesOf(v.scale)],
    ['ws', 'I8', [l.terms, l.topics], bytesOf(ws.q)], ['ws.scale', 'F32', [l.topics], bytesOf(ws.scale)],
    ['wd', 'I8', [l.dim, l.topics], bytesOf(wd.q)], ['wd.scale', 'F32', [l.topics], bytesOf(wd.scale)],
    ['b', 'F32', [l.topics], bytesOf(l.b)],
  ]));
  writeFileSync(join(dir, 'vocab.txt'), wv.words.join('\n') + '\n');
  writeFileSync(join(dir, 'terms.tsv'), space.terms.map((t, i) => `${t}\t${space.idf[i]}`).join('\n') + '\n');
  writeFileSync(join(dir, 'config.json'), JSON.stringify(m.config, null, 1) + '\n');
}

export function loadTopicModel(dir: string): TopicModel {
  const need = (f: string) => { const p = join(dir, f); if (!existsSync(p)) throw new Error(`kiln topics: ${p} is missing; a model directory has config.json, vocab.txt, terms.tsv and model.safetensors (made by \`kiln topics train --out DIR\`)`); return p; };
  const config = JSON.parse(readFileSync(need('config.json'), 'utf8')) as TopicsConfig;
  if (config.format !== 'kiln-topics/1') throw new Error(`kiln topics: ${join(dir, 'config.json')} is not a kiln topic model (format ${JSON.stringify(config.format)}, expected "kiln-topics/1")`);
  const words = readFileSync(need('vocab.txt'), 'utf8').split('\n').filter((w, i, a) => w !== '' || i < a.length - 1);
  const terms: string[] = [];
  const idf: number[] = [];
  for (const line of readFileSync(need('terms.tsv'), 'utf8').split('\n')) {
    if (!line) continue;
    const tab = line.lastIndexOf('\t');
    terms.push(line.slice(0, tab));
    idf.push(Number(line.slice(tab + 1)));
  }
  const st = decodeSafetensors(readFileSync(need('model.safetensors')), {}, 'kiln topics', join(dir, 'model.safetensors')).tensors;
  const get = (n: string) => { const t = st[n]; if (!t) throw new Error(`kiln topics: ${join(dir, 'model.safetensors')} has no tensor '${n}'`); return t; };
  const vq = get('vectors');
  const [nv, dim] = vq.shape;
  if (nv !== words.length) throw new Error(`kiln topics: vocab.txt has ${words.length} words but the vectors have ${nv} rows`);
  const T = config.topics.length;
  const ws = get('ws');
  if (ws.shape[0] !== terms.length || ws.shape[1] !== T) throw new Error(`kiln topics: ws is [${ws.shape}] but terms.tsv has ${terms.length} terms and config.json ${T} topics`);
  const wdq = get('wd');
  const vectors: WordVectors = { words, index: new Map(words.map((w, i) => [w, i])), dim, vectors: dequantize(vq.data, get('vectors.scale').data, nv, dim, true) };
  const space: FeatureSpace = { terms, index: new Map(terms.map((t, i) => [t, i])), idf: Float32Array.from(idf) };
  const linear: LinearModel = {
    head: config.head, terms: terms.length, dim: wdq.shape[0], topics: T,
    ws: dequantize(ws.data, get('ws.scale').data, terms.length, T, false),
    wd: dequantize(wdq.data, get('wd.scale').data, wdq.shape[0], T, false),
    b: Float32Array.from(get('b').data),
  };
  return { config, vectors, space, linear };
}

export interface Prediction { package: string; topics: { tag: string; score: number }[] }

/** Scores [n, T] of packages under the model. */
export async function scorePackages(m: TopicModel, pkgs: Pick<Package, 'package' | 'summary' | 'description'>[]): Promise<Float32Array> {
  return scoreLinear(m.linear, featurize(pkgs, m.space, m.linear.dim ? m.vectors : null));
}

/**
 * The topics of each package: those whose score passes the topic's threshold, best first (and the
 * best one alone when none passes and the model says atLeastOne). `all` lists every topic's score.
 */
export async function predictTopics(m: TopicModel, pkgs: Pick<Package, 'package' | 'summary' | 'description'>[], all = false): Promise<Prediction[]> {
  const T = m.config.topics.length;
  const s = await scorePackages(m, pkgs);
  return pkgs.map((p, i) => {
    let list = m.config.topics.map((tag, t) => ({ tag, score: s[i * T + t], t }));
    list.sort((a, b) => b.score - a.score);
    if (!all) {
      const pass = list.filter((x) => x.score >= m.config.thresholds[x.t]);
      list = pass.length || !m.config.atLeastOne ? pass : list.slice(0, 1);
    }
    return { package: p.package, topics: list.map(({ tag, score }) => ({ tag, score: Math.round(score * 1e4) / 1e4 })) };
  });
}
