// Where the PyTorch golden vectors live: the repo's own copy (test/golden, so a clone passes its
// tests alone) or, when KILN_GOLDEN_DIR names a newer set, that folder.
import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The repo root: this module is src/golden/location.ts, or bundled into dist/node/*.js; both are two levels down. */
const REPO = fileURLToPath(new URL('../..', import.meta.url));

/** The golden vectors checked into the repo. */
export function bundledGoldenDir(): string {
  return join(REPO, 'test', 'golden');
}

interface Manifest { files: Record<string, { cases?: string[] }> }

function manifestCases(dir: string): Set<string> | null {
  const p = join(dir, 'MANIFEST.json');
  if (!existsSync(p)) return null;
  try {
    const m = JSON.parse(readFileSync(p, 'utf8')) as Manifest;
    const out = new Set<string>();
    for (const [file, e] of Object.entries(m.files ?? {})) {
      out.add(file);
      for (const c of e.cases ?? []) out.add(`${file}/${c}`);
    }
    return out;
  } catch {
    return null;
  }
}

/**
 * The folder `kiln golden` reads without a DIR: `newer` (default the KILN_GOLDEN_DIR environment
 * variable, unset: none) when its MANIFEST lists a file or a case that the bundled copy lacks (a
 * newer set not copied in yet), else the bundled copy. Nothing outside the repo is read otherwise.
 */
export function defaultGoldenDir(newer: string | undefined = process.env.KILN_GOLDEN_DIR || undefined): string {
  const bundled = bundledGoldenDir();
  if (newer === undefined) return bundled;
  const mine = manifestCases(bundled);
  const theirs = existsSync(newer) ? manifestCases(newer) : null;
  if (theirs && (!mine || [...theirs].some((k) => !mine.has(k)))) return resolve(newer);
  return bundled;
}
