// The repository root, where models/ and data/ live: two folders up from src/models/ or from a
// bundle in dist/node/, and the atomic file write the model stores share (Node only).
import { existsSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const REPO_ROOT = ['../..', '../../..'].map((p) => fileURLToPath(new URL(p, import.meta.url))).find((p) => existsSync(join(p, 'package.json'))) ?? fileURLToPath(new URL('../..', import.meta.url));

/** Writes `data` to a temporary file beside `path`, then renames it over `path`: a reader never sees half a file. */
export function writeAtomic(path: string, data: string | Uint8Array): void {
  const tmp = `${path}.tmp-${process.pid}`;
  writeFileSync(tmp, data);
  renameSync(tmp, path);
}
