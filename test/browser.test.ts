// Browser smoke test: builds dist/browser/kiln.js, serves it with test/browser/{index.html,smoke.js}
// from a loopback-only HTTP server and runs it in headless Chromium (Debian's /usr/bin/chromium via
// playwright-core) on navigator.gpu, SwiftShader where there is no GPU. smoke.js checks kiln's
// results against JS references in the page; this file checks what it reports.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Browser } from 'playwright-core';

const root = fileURLToPath(new URL('..', import.meta.url));
const CHROMIUM = process.env.KILN_CHROMIUM || '/usr/bin/chromium';
const DEADLINE_MS = Number(process.env.KILN_BROWSER_TIMEOUT_MS) || 120_000;

const CHROMIUM_ARGS = [
  '--headless=new', '--no-sandbox',
  '--enable-unsafe-webgpu', '--enable-features=Vulkan', '--use-webgpu-adapter=default',
  // No network here (nor wanted): keep Chromium from trying.
  '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run', '--disable-quic',
];

interface Smoke {
  error?: string;
  info?: { adapter: string; vendor: string; architecture: string; backend: string; isSoftware: boolean };
  pageAdapter?: { vendor: string; architecture: string; isFallbackAdapter?: boolean } | null;
  checks?: { name: string; maxErr: number; tol: number }[];
  notes?: string[];
  ms?: number;
}

/** Serves the page, smoke.js and the bundle (with its source map) on 127.0.0.1, ephemeral port. */
async function serve(): Promise<{ server: Server; url: string }> {
  const files: Record<string, [string, string]> = {
    '/': [join(root, 'test', 'browser', 'index.html'), 'text/html; charset=utf-8'],
    '/smoke.js': [join(root, 'test', 'browser', 'smoke.js'), 'text/javascript; charset=utf-8'],
    '/kiln.js': [join(root, 'dist', 'browser', 'kiln.js'), 'text/javascript; charset=utf-8'],
    '/kiln.js.map': [join(root, 'dist', 'browser', 'kiln.js.map'), 'application/json'],
  };
  const server = createServer((req, res) => {
    const f = files[(req.url ?? '/').split('?')[0]];
    if (!f || !existsSync(f[0])) {
      res.writeHead(404, { 'content-type': 'text/plain' }).end('not found');
      return;
    }
    res.writeHead(200, { 'content-type': f[1], 'cache-control': 'no-store' }).end(readFileSync(f[0]));
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  return { server, url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/` };
}

function withDeadline<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what}: no result after ${ms / 1000} s`)), ms);
    timer.unref();
  });
  return Promise.race([p, timeout]).finally(() => clearTimeout(timer));
}

const suiteT = suite('browser');
// Without Chromium the test is registered as skipped (counted in the runner's "skipped" total) and
// says why; `npm test` installs it first where it can (root on Debian/Ubuntu, scripts/setup).
const haveChromium = existsSync(CHROMIUM);
if (!haveChromium) {
  console.log(`\n  SKIPPED browser smoke test: ${CHROMIUM} not found. Install Debian's 'chromium' (bash scripts/setup --browser, as root) or set KILN_CHROMIUM to a Chromium binary`);
}
const t = haveChromium ? suiteT : suiteT.skip;

t('the browser bundle runs on navigator.gpu in headless Chromium and matches JS references', async () => {
  const t0 = performance.now();
  const build = spawnSync(process.execPath, ['scripts/build.mjs', 'browser', '--quiet'], { cwd: root, encoding: 'utf8', timeout: 60_000 });
  assert.is(build.status, 0, `node scripts/build.mjs browser failed:\n${build.stdout}${build.stderr}`);

  const { chromium } = await import('playwright-core');
  let server: Server | undefined;
  let browser: Browser | undefined;
  const consoleErrors: string[] = [];
  let smoke: Smoke;
  try {
    smoke = await withDeadline((async () => {
      const s = await serve();
      server = s.server;
      browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS, timeout: 60_000 });
      const page = await browser.newPage();
      page.setDefaultTimeout(DEADLINE_MS);
      page.on('console', (m) => { if (m.type() === 'error') consoleErrors.push(m.text()); });
      page.on('pageerror', (e) => consoleErrors.push(`pageerror: ${e.message}`));
      await page.goto(s.url);
      await page.waitForFunction('window.__kilnSmoke !== undefined', undefined, { timeout: DEADLINE_MS, polling: 100 });
      return (await page.evaluate('window.__kilnSmoke')) as Smoke;
    })(), DEADLINE_MS, 'browser smoke test');
  } finally {
    const b = browser as Browser | undefined;
    if (b) await withDeadline(b.close(), 15_000, 'closing Chromium').catch(() => {});
    const srv = server as Server | undefined;
    if (srv) {
      srv.closeAllConnections();
      await new Promise<void>((resolve) => srv.close(() => resolve()));
    }
  }

  const ms = Math.round(performance.now() - t0);
  const errs = consoleErrors.length ? `\nbrowser console errors:\n  ${consoleErrors.join('\n  ')}` : '';
  assert.not.ok(smoke.error, `the page failed: ${smoke.error}${errs}`);

  // The adapter kiln acquired is the page's navigator.gpu adapter (not dawn.node).
  const info = smoke.info!;
  const pa = smoke.pageAdapter;
  assert.ok(pa, 'navigator.gpu.requestAdapter() returned null in the page');
  assert.is(info.backend, 'browser navigator.gpu', `kiln's backend in the browser: ${info.backend}`);
  assert.ok(info.adapter.length > 0, 'kiln reports an empty adapter name');
  assert.is(info.vendor, pa!.vendor, 'adapter vendor seen by kiln vs the page');
  assert.is(info.architecture, pa!.architecture, 'adapter architecture seen by kiln vs the page');
  if (/swiftshader/i.test(`${pa!.vendor} ${pa!.architecture}`)) assert.ok(info.isSoftware, 'SwiftShader should count as a software adapter');

  const checks = smoke.checks ?? [];
  assert.ok(checks.length > 0, 'the page ran no checks');
  for (const c of checks) {
    assert.ok(c.maxErr <= c.tol, `${c.name}: max |error| ${c.maxErr} > ${c.tol}`);
  }
  assert.equal(consoleErrors, [], `browser console errors:\n  ${consoleErrors.join('\n  ')}`);

  const summary = checks.map((c) => `${c.name}: max err ${c.maxErr.toExponential(1)}`).join('; ');
  console.log(
    `  browser: ${info.adapter} (${pa!.vendor}/${pa!.architecture}${pa!.isFallbackAdapter ? ', fallback' : ''}); ` +
    `${summary}; page ${smoke.ms} ms, total ${ms} ms` + (smoke.notes?.length ? `\n  note: ${smoke.notes.join('; ')}` : ''),
  );
});

suiteT.run();
