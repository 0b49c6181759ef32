// The `kiln` command line: info, demo, golden. Run `kiln help` for usage.
import * as kiln from '../index.ts';
import { engine } from '../tensor.ts';

const USAGE = `kiln — a small, fast tensor engine with hand-written WGSL kernels

usage: kiln <command> [options]

commands:
  info [--json]              adapter, backend, features and key limits
  demo                       what kiln does, checked against CPU references
  golden DIR [--json]        run the PyTorch golden-vector cases in DIR (see shared/golden/README.md)
  summary MODEL [--alpha A] [--resolution R] [--classes K] [--params RULE] [--pool-macs] [--json]
                             per-layer MACs and parameters of a model (MODEL: mobilenet_v1; docs/models.md)
  help                       this text`;

async function info(json: boolean): Promise<void> {
  await kiln.ready();
  const i = engine().info;
  if (json) { console.log(JSON.stringify(i, null, 2)); return; }
  console.log(`adapter:   ${i.adapter}${i.isSoftware ? ' (software rasteriser)' : ''}`);
  console.log(`vendor:    ${i.vendor || '-'}  architecture: ${i.architecture || '-'}`);
  console.log(`backend:   ${i.backend}`);
  console.log(`features:  f16=${i.features.f16} subgroups=${i.features.subgroups} timestamp-query=${i.features.timestampQuery}`);
  console.log('limits:');
  for (const [k, v] of Object.entries(i.limits)) console.log(`  ${k.padEnd(36)} ${v}`);
}

function refMatMul(a: Float32Array, b: Float32Array, m: number, k: number, n: number): Float64Array {
  const c = new Float64Array(m * n);
  for (let i = 0; i < m; i++) for (let p = 0; p < k; p++) { const av = a[i * k + p]; for (let j = 0; j < n; j++) c[i * n + j] += av * b[p * n + j]; }
  return c;
}

async function demo(): Promise<number> {
  console.log('kiln demo\n');
  await info(false);
  console.log('');
  let failures = 0;
  const check = (name: string, got: ArrayLike<number>, want: ArrayLike<number>, tol: number, extra = '') => {
    let worst = 0;
    for (let i = 0; i < want.length; i++) worst = Math.max(worst, Math.abs(got[i] - want[i]) / (1 + Math.abs(want[i])));
    const ok = worst <= tol && got.length === want.length;
    if (!ok) failures++;
    console.log(`${ok ? 'PASS' : 'FAIL'}  ${name.padEnd(34)} max rel err ${worst.toExponential(2)}${extra}`);
  };
  const m = 256, k = 300, n = 200;
  const a = kiln.randomUniform([m, k], -1, 1, 'float32', 1);
  const b = kiln.randomUniform([k, n], -1, 1, 'float32', 2);
  const [ad, bd] = [await a.data() as Float32Array, await b.data() as Float32Array];
  const mm = kiln.matMul;
  {
    const t0 = performance.now();
    const c = mm(a, b);
    const cd = await c.data();
    const ms = performance.now() - t0;
    check(`matMul ${m}x${k} @ ${k}x${n}`, cd, refMatMul(ad, bd, m, k, n), 1e-4, `  (${ms.toFixed(1)} ms incl. first-use compile)`);
    c.dispose();
  }
  const logits = kiln.randomNormal([8, 1000], 0, 3, 3);
  const ld = await logits.data();
  const smT = kiln.softmax(logits);
  const sm = await smT.data();
  const want = new Float64Array(ld.length);
  for (let r = 0; r < 8; r++) {
    let mx = -Infinity; for (let j = 0; j < 1000; j++) mx = Math.max(mx, ld[r * 1000 + j]);
    let s = 0; for (let j = 0; j < 1000; j++) s += Math.exp(ld[r * 1000 + j] - mx);
    for (let j = 0; j < 1000; j++) want[r * 1000 + j] = Math.exp(ld[r * 1000 + j] - mx) / s;
  }
  check('softmax [8,1000]', sm, want, 1e-5);
  const sa = kiln.sum(a);
  const s = await sa.data();
  let ref = 0; for (const v of ad) ref += v;
  check(`sum of ${m * k} values`, s, [ref], 1e-5);
  kiln.dispose([a, b, logits, sa, smT]);
  console.log(`\n${failures ? `${failures} check(s) failed` : 'all checks passed'}; live tensors: ${kiln.memory().numTensors}`);
  return failures ? 1 : 0;
}

export async function main(argv: string[]): Promise<number> {
  const [cmd, ...rest] = argv;
  const json = rest.includes('--json');
  switch (cmd) {
    case 'info': await info(json); return 0;
    case 'demo': return demo();
    case 'golden': {
      const dir = rest.find((r) => !r.startsWith('--'));
      if (!dir) { console.error('usage: kiln golden DIR [--json]'); return 2; }
      const { runGoldenCli } = await import('../golden/runner.ts');
      return runGoldenCli(dir, { json });
    }
    case 'summary': {
      const { summaryCli } = await import('../models/cli.ts');
      return summaryCli(rest);
    }
    case undefined: case 'help': case '--help': case '-h':
      console.log(USAGE); return cmd === undefined ? 2 : 0;
    default:
      console.error(`kiln: unknown command '${cmd}'\n\n${USAGE}`); return 2;
  }
}

const isMain = typeof process !== 'undefined' && process.argv[1] && /(cli|main)\.(ts|js)$/.test(process.argv[1]);
if (isMain) {
  main(process.argv.slice(2)).then((code) => process.exit(code), (e) => {
    console.error(e instanceof Error ? e.message : e);
    process.exit(1);
  });
}
