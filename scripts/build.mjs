// `npm run build`: inlines shaders (scripts/gen-shaders.mjs), then bundles with esbuild and emits
// type declarations with tsc:
//   dist/node/index.js     ESM for Node, src/index.ts bundled, 'webgpu' (dawn.node) left external
//   dist/node/cli.js       the `kiln` CLI (src/cli/main.ts; skipped with a notice until it exists)
//   dist/browser/kiln.js   ESM for browsers: no Node built-in is reachable, navigator.gpu only
//   dist/types/            .d.ts (tsconfig.build.json); dist/types/index.d.ts is the package entry
// Usage: node scripts/build.mjs [node|cli|browser|types ...] [--quiet]   (no target = all)
import { existsSync, mkdirSync, readdirSync, rmSync, statSync, readFileSync, writeFileSync } from 'node:fs';
import { spawn } from 'node:child_process';
import { gzipSync } from 'node:zlib';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as esbuild from 'esbuild';

const root = join(fileURLToPath(new URL('.', import.meta.url)), '..');
const TARGETS = ['node', 'cli', 'browser', 'types'];
const args = process.argv.slice(2);
const quiet = args.includes('--quiet');
const asked = args.filter((a) => !a.startsWith('--'));
for (const a of asked) {
  if (!TARGETS.includes(a)) {
    console.error(`build: unknown target "${a}" (targets: ${TARGETS.join(', ')})`);
    process.exit(2);
  }
}
const want = new Set(asked.length ? asked : TARGETS);
const log = (...m) => { if (!quiet) console.log(...m); };
const t0 = performance.now();

// 1. shaders/*.wgsl -> src/gen/shaders.ts (the script runs on import).
await import('./gen-shaders.mjs');

const common = {
  bundle: true,
  format: 'esm',
  target: 'es2022',
  sourcemap: 'linked',
  legalComments: 'none',
  logLevel: 'warning',
  absWorkingDir: root,
  metafile: true,
};

// In the browser bundle every `node:*` import (only reached from device.ts's Node branch, by dynamic
// import) becomes a lazily-initialised module that throws when evaluated: nothing Node-only is
// left for a browser or a downstream bundler to resolve, and loading the bundle never touches it.
const stubNodeBuiltins = {
  name: 'kiln-stub-node-builtins',
  setup(b) {
    b.onResolve({ filter: /^node:/ }, (a) => ({ path: a.path, namespace: 'kiln-node-stub' }));
    b.onLoad({ filter: /.*/, namespace: 'kiln-node-stub' }, (a) => ({
      contents: `throw new Error(${JSON.stringify(`kiln: ${a.path} is not available in the browser build of kiln`)});\nexport {};\n`,
      loader: 'js',
    }));
  },
};

const cliEntry = join(root, 'src', 'cli', 'main.ts');
const jobs = [];
const outputs = [];

function clean(dir) {
  rmSync(join(root, dir), { recursive: true, force: true });
  mkdirSync(join(root, dir), { recursive: true });
}

if (want.has('node')) {
  jobs.push(esbuild.build({
    ...common,
    entryPoints: { index: 'src/index.ts' },
    outdir: 'dist/node',
    platform: 'node',
    external: ['webgpu'],
  }).then((r) => outputs.push(r)));
}

if (want.has('cli')) {
  if (existsSync(cliEntry)) {
    jobs.push(esbuild.build({
      ...common,
      entryPoints: { cli: 'src/cli/main.ts' },
      outdir: 'dist/node',
      platform: 'node',
      external: ['webgpu'],
    }).then((r) => outputs.push(r)));
  } else {
    rmSync(join(root, 'dist', 'node', 'cli.js'), { force: true });
    rmSync(join(root, 'dist', 'node', 'cli.js.map'), { force: true });
    log(`build: notice: ${relative(root, cliEntry)} does not exist yet, skipping dist/node/cli.js`);
  }
}

if (want.has('browser')) {
  jobs.push(esbuild.build({
    ...common,
    entryPoints: { kiln: 'src/index.ts' },
    outdir: 'dist/browser',
    platform: 'browser',
    external: ['webgpu'],
    plugins: [stubNodeBuiltins],
  }).then((r) => outputs.push(r)));
}

let typesNote = '';
if (want.has('types')) {
  jobs.push((async () => {
    clean('dist/types');
    const tsc = join(root, 'node_modules', 'typescript', 'bin', 'tsc');
    const res = await new Promise((resolve) => {
      const p = spawn(process.execPath, [tsc, '-p', 'tsconfig.build.json', '--pretty', 'false'], { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] });
      let out = '';
      p.stdout.on('data', (d) => { out += d; });
      p.stderr.on('data', (d) => { out += d; });
      p.on('close', (code) => resolve({ code, out }));
      p.on('error', (e) => resolve({ code: -1, out: String(e) }));
    });
    const entry = join(root, 'dist', 'types', 'src', 'index.d.ts');
    if (!existsSync(entry)) {
      throw new Error(`tsc emitted no declarations (exit ${res.code}):\n${res.out}`);
    }
    // package.json "types" points at dist/types/index.d.ts; the tree below mirrors src/ and kernels/.
    writeFileSync(join(root, 'dist', 'types', 'index.d.ts'), "export * from './src/index.ts';\n");
    if (res.code !== 0) {
      // Declarations are still written; type errors are `npm run typecheck`'s job, so warn only.
      const lines = res.out.trim().split('\n');
      typesNote = `build: warning: tsc reported ${lines.filter((l) => /error TS\d+/.test(l)).length} type error(s) ` +
        `while emitting declarations (run \`npm run typecheck\`):\n  ${lines.slice(0, 10).join('\n  ')}` +
        (lines.length > 10 ? `\n  ... ${lines.length - 10} more line(s)` : '');
    }
  })());
}

const settled = await Promise.allSettled(jobs);
const failed = settled.filter((s) => s.status === 'rejected');
if (failed.length) {
  for (const f of failed) {
    // esbuild has already printed its diagnostics (logLevel 'warning'); tsc's are in the message.
    if (!f.reason?.errors) console.error(`build: ${f.reason?.message ?? f.reason}`);
  }
  console.error(`build: FAILED (${failed.length} step(s))`);
  process.exit(1);
}

// Sanity check: the browser bundle must not reference Node at load time.
if (want.has('browser')) {
  const src = readFileSync(join(root, 'dist', 'browser', 'kiln.js'), 'utf8');
  const bad = [/\bfrom\s*["']node:/, /\brequire\(\s*["']/, /\bimport\(\s*["']node:/].filter((re) => re.test(src));
  if (bad.length) {
    console.error(`build: dist/browser/kiln.js references Node modules (${bad.join(', ')})`);
    process.exit(1);
  }
}

const kb = (n) => `${(n / 1024).toFixed(1)} KiB`;
for (const r of outputs) {
  for (const [file, o] of Object.entries(r.metafile.outputs)) {
    if (file.endsWith('.map')) continue;
    const gz = gzipSync(readFileSync(join(root, file))).length;
    log(`  ${file.padEnd(24)} ${kb(o.bytes).padStart(10)}  (gzip ${kb(gz)})`);
  }
}
if (want.has('types')) {
  let n = 0;
  let bytes = 0;
  const walk = (d) => {
    for (const f of readdirSync(d)) {
      const p = join(d, f);
      if (statSync(p).isDirectory()) walk(p);
      else if (f.endsWith('.d.ts')) { n++; bytes += statSync(p).size; }
    }
  };
  walk(join(root, 'dist', 'types'));
  log(`  ${'dist/types/'.padEnd(24)} ${kb(bytes).padStart(10)}  (${n} .d.ts files)`);
}
if (typesNote) console.warn(typesNote);
log(`build: done in ${((performance.now() - t0) / 1000).toFixed(2)} s`);
