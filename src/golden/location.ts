// Where the PyTorch golden vectors live: the repo's own copy (test/golden, so a clone passes its
// tests alone) or, when it is a newer set, the project's shared folder beside the repo.
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
 * The folder `kiln golden` reads without a DIR: ../shared/golden when its MANIFEST lists a file or a
 * case that the bundled copy lacks (a newer set the project has not copied in yet), else the bundled
 * copy. `shared` overrides where the shared folder is looked for (tests).
 */
export function defaultGoldenDir(shared = join(REPO, '..', 'shared', 'golden')): string {
  const bundled = bundledGoldenDir();
  const mine = manifestCases(bundled);
  const theirs = existsSync(shared) ? manifestCases(shared) : null;
  if (theirs && (!mine || [...theirs].some((k) => !mine.has(k)))) return resolve(shared);
  return bundled;
}
