import './setup.ts';
import { suite } from 'uvu';
import { kiln, assert, runCli } from './helpers.ts';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const t = suite('cli');

const cli = runCli;

t('kiln info prints the adapter, features and limits; --json parses', async () => {
  const text = await cli('info');
  assert.is(text.code, 0);
  assert.match(text.out, /adapter:/);
  assert.match(text.out, /timestamp-query=/);
  assert.match(text.out, /maxStorageBufferBindingSize/);
  const j = await cli('info', '--json');
  const info = JSON.parse(j.out);
  assert.type(info.adapter, 'string');
  assert.type(info.features.f16, 'boolean');
  assert.ok(info.limits.maxComputeWorkgroupsPerDimension >= 65535);
});

t('kiln demo checks its kernels and frees its tensors', async () => {
  const before = kiln.memory().numTensors;
  const r = await cli('demo');
  assert.is(r.code, 0, r.out);
  assert.match(r.out, /PASS\s+matMul/);
  assert.match(r.out, /PASS\s+conv2d 3x3/);
  assert.match(r.out, /PASS\s+grad of sum/);
  assert.match(r.out, /PASS\s+MLP learns XOR/);
  assert.match(r.out, /all checks passed/);
  assert.not.match(r.out, /FAIL/);
  assert.ok(kiln.memory().numTensors <= before);
});

t('unknown commands and missing arguments exit 2 with usage', async () => {
  const r = await cli('frobnicate');
  assert.is(r.code, 2);
  assert.match(r.err, /unknown command 'frobnicate'/);
  const g = await cli('golden', '/nonexistent/golden');
  assert.is(g.code, 1);
  assert.match(g.out + g.err, /cannot read directory \/nonexistent\/golden/);
  const h = await cli('help');
  assert.is(h.code, 0);
  assert.match(h.out, /golden \[DIR\]/);
});

t('with no Vulkan driver, ready() throws one clear error naming the fix', () => {
  const code = "import * as k from './src/index.ts'; k.ready().then(() => console.log('ADAPTER'), (e) => console.log('ERROR ' + e.message));";
  const r = spawnSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', code], {
    cwd: fileURLToPath(new URL('..', import.meta.url)),
    env: { ...process.env, VK_ICD_FILENAMES: '/nonexistent/icd.json', VK_DRIVER_FILES: '/nonexistent/icd.json' },
    encoding: "utf8", timeout: 300_000,
  });
  assert.match(r.stdout, /ERROR kiln: no WebGPU adapter found/);
  assert.match(r.stdout, /mesa-vulkan-drivers/);
  assert.match(r.stdout, /scripts\/setup/);
});

t.run();
