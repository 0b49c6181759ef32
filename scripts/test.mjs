// `npm test`: installs what the tests need where it can (scripts/setup --browser: the software
// Vulkan driver, OpenFst's tools, Chromium; tests whose tool is still missing SKIP and say why),
// inlines shaders, runs every uvu test in one process and ends with "N passed, N failed[, N skipped]".
// Pass a regular expression to run only matching test files: npm test -- matmul
import { spawn, spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { join } from 'node:path';
const root = join(fileURLToPath(new URL('.', import.meta.url)), '..');
const sh = (cmd, args) => spawnSync(cmd, args, { cwd: root, stdio: 'inherit' }).status;
if (!process.env.KILN_SKIP_SETUP && sh('bash', ['scripts/setup', '--browser']) !== 0) process.exit(1);
if (sh('node', ['scripts/gen-shaders.mjs']) !== 0) process.exit(1);
const child = spawn('node', ['--expose-gc', '--import', 'tsx', 'test/_runner.ts', ...process.argv.slice(2)], {
  cwd: root, stdio: ['ignore', 'pipe', 'inherit'], env: { ...process.env, FORCE_COLOR: '0' },
});
let tail = '';
child.stdout.on('data', (d) => { process.stdout.write(d); tail = (tail + d.toString()).slice(-4000); });
child.on('close', (code, signal) => {
  const num = (k) => { const m = tail.match(new RegExp(`${k}:\\s+(\\d+)`)); return m ? +m[1] : null; };
  const total = num('Total'), passed = num('Passed'), skipped = num('Skipped') ?? 0;
  if (total === null || passed === null) {
    console.log(`\ntest runner ended early (exit ${code}${signal ? `, signal ${signal}` : ''})`);
    console.log(`0 passed, 1 failed`);
    process.exit(1);
  }
  const failed = Math.max(0, total - passed - skipped) || (code ? 1 : 0);
  console.log(`${passed} passed, ${failed} failed${skipped ? `, ${skipped} skipped` : ''}`);
  process.exit(code || failed ? 1 : 0);
});
