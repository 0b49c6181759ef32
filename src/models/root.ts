// The repository root, where models/ and data/ live: two folders up from src/models/ or from a
// bundle in dist/node/ (Node only).
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const REPO_ROOT = ['../..', '../../..'].map((p) => fileURLToPath(new URL(p, import.meta.url))).find((p) => existsSync(join(p, 'package.json'))) ?? fileURLToPath(new URL('../..', import.meta.url));
