#!/usr/bin/env node
// The `kiln` command: runs the bundled CLI (dist/node/cli.js, built from src/cli/main.ts by `npm run build`).
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const cli = new URL('../dist/node/cli.js', import.meta.url);
if (!existsSync(fileURLToPath(cli))) {
  const hasIndex = existsSync(fileURLToPath(new URL('../dist/node/index.js', import.meta.url)));
  console.error(hasIndex
    ? 'kiln: dist/node/cli.js is missing (the build found no src/cli/main.ts): run `npm run build` first'
    : 'kiln: run `npm run build` first');
  process.exit(1);
}
const { main } = await import(cli.href);
try {
  process.exit(await main(process.argv.slice(2)));
} catch (e) {
  console.error(e instanceof Error ? e.message : e);
  process.exit(1);
}
