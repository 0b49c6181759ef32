// The app-store analogue for `kiln topics` (docs/topics.md): Debian package records
// {package, summary, description, section, tags}, a tokenizer shared by the skip-gram corpus and
// the classifiers, and a fixed train/dev/test split by a hash of the package name.
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { REPO_ROOT } from '../root.ts';

/** The repo root, from src/models/topics/ or from a bundle in dist/node/. */
export const ROOT = REPO_ROOT;

export const DEFAULT_DATA = join(ROOT, 'data', 'debian-packages', 'packages.jsonl.gz');
export const DEFAULT_MODEL = join(ROOT, 'models', 'topics');

export interface Package {
  package: string;
  summary: string;
  description: string;
  section?: string;
  /** debtags such as `use::editing`; empty when the package has none (unlabelled, not negative) */
  tags: string[];
}

export type Split = 'train' | 'dev' | 'test';

/** FNV-1a over UTF-16 code units: a stable 32-bit hash for splits and feature hashing. */
export function fnv1a(s: string, seed = 0x811c9dc5): number {
  let h = seed >>> 0;
  for (let i = 0; i < s.length; i++) {
    h ^= s.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h >>> 0;
}

/** 80/10/10 by a hash of the name, so a package keeps its split whatever else is in the file. */
export function splitOf(name: string): Split {
  const r = fnv1a(`split:${name}`) % 10;
  return r < 8 ? 'train' : r === 8 ? 'dev' : 'test';
}

function str(v: unknown): string {
  return typeof v === 'string' ? v : v === undefined || v === null ? '' : String(v);
}

/**
 * One record from a parsed JSON line. `package` may be missing (it becomes `line N`); summary and
 * description may be missing or null; tags must be an array of strings when present.
 */
export function toPackage(v: unknown, where: string): Package {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) throw new Error(`${where}: expected a JSON object with "package", "summary", "description"`);
  const o = v as Record<string, unknown>;
  const tags = o.tags === undefined || o.tags === null ? [] : o.tags;
  if (!Array.isArray(tags) || tags.some((t) => typeof t !== 'string')) throw new Error(`${where}: "tags" must be an array of strings`);
  return {
    package: o.package === undefined || o.package === null ? where : str(o.package),
    summary: str(o.summary), description: str(o.description),
    section: o.section === undefined ? undefined : str(o.section), tags: tags as string[],
  };
}

/** Reads a .jsonl or .jsonl.gz file of package records; a bad line is an error naming file and line. */
export function loadPackages(file = DEFAULT_DATA): Package[] {
  if (!existsSync(file)) throw new Error(`kiln topics: no data file ${file}; pass --data FILE (JSON lines {"package","summary","description","tags"}, optionally gzipped)`);
  let buf = readFileSync(file);
  if (buf[0] === 0x1f && buf[1] === 0x8b) buf = gunzipSync(buf);
  const out: Package[] = [];
  const lines = buf.toString('utf8').split('\n');
  lines.forEach((line, i) => {
    if (!line.trim()) return;
    let v: unknown;
    try { v = JSON.parse(line); } catch (e) { throw new Error(`${file}:${i + 1}: malformed JSON (${(e as Error).message})`); }
    out.push(toPackage(v, `${file}:${i + 1}`));
  });
  return out;
}

const TOKEN = /[\p{L}\p{N}][\p{L}\p{N}+#._'-]*/gu;

/**
 * Lower-cased word tokens: letters and digits with inner `+ # . _ ' -` kept (c++, gtk+, x86-64,
 * python3.11, libfoo-dev), trailing `. - _ '` dropped, possessive 's removed.
 */
export function tokenize(text: string): string[] {
  const out: string[] = [];
  for (const m of text.toLowerCase().matchAll(TOKEN)) {
    let t = m[0].replace(/[._'-]+$/, '');
    if (t.endsWith("'s")) t = t.slice(0, -2);
    if (t) out.push(t);
  }
  return out;
}

/** The words a package is described by: summary then description. */
export function packageWords(p: Pick<Package, 'summary' | 'description'>): string[] {
  return tokenize(`${p.summary}\n${p.description}`);
}

/**
 * Name features: the package name's parts as `name:` tokens (python3-numpy -> name:python3,
 * name:numpy; lib prefix -> name:lib*, a trailing number -> name:#), for the classifiers only.
 */
export function nameTokens(name: string): string[] {
  const parts = name.toLowerCase().split(/[-_.+]+/).filter(Boolean);
  const out = parts.map((p) => `name:${p}`);
  if (/^lib/.test(name)) out.push('name:lib*');
  if (/\d$/.test(name)) out.push('name:#');
  if (parts.length) out.push(`name:last:${parts[parts.length - 1]}`);
  return out;
}

/** Writes the skip-gram corpus text: one package a line, tokens joined by spaces (also what fastText and gensim read). */
export function corpusText(pkgs: Package[]): string {
  return pkgs.map((p) => packageWords(p).join(' ')).join('\n') + '\n';
}
