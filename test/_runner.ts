// Runs every test/**/*.test.ts in one process (one GPU device, one pipeline cache) with uvu.
// Usage: node --import tsx test/_runner.ts [FILTER]
import { readdirSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { pathToFileURL, fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('.', import.meta.url));
const filter = process.argv[2] ? new RegExp(process.argv[2]) : null;

function walk(dir: string, out: string[]): void {
  for (const f of readdirSync(dir).sort()) {
    const p = join(dir, f);
    if (statSync(p).isDirectory()) walk(p, out);
    else if (f.endsWith('.test.ts') && (!filter || filter.test(relative(root, p)))) out.push(p);
  }
}
const files: string[] = [];
walk(root, files);

const g = globalThis as unknown as { UVU_DEFER: number; UVU_QUEUE: unknown[][]; UVU_INDEX: number };
g.UVU_DEFER = 1;
g.UVU_QUEUE = [];
const { exec } = await import('uvu');
for (let i = 0; i < files.length; i++) {
  g.UVU_QUEUE.push([relative(root, files[i])]);
  g.UVU_INDEX = i;
  await import(pathToFileURL(files[i]).href);
}
await exec();
