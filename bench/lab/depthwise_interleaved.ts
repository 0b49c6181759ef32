// kiln vs tfjs-webgpu with the two libraries' runs interleaved (kiln, tfjs, kiln, tfjs, ...) for any
// bench suite (default: the depthwise and MobileNetV1 batch-1 ones), one run a side per round. This
// was the first interleaved measurement (before it, `npm run bench` timed all of kiln's runs, then
// all of tfjs's, and mobilenet_v1_1.0_224_b1 read 3.0x, 3.7x, 5.9x and 9.8x in four runs within one
// hour); `npm run bench` now interleaves every suite itself, in batches (bench/interleave.ts).
//   [ROUNDS=n] node --import tsx bench/lab/depthwise_interleaved.ts [REGEX]
import * as kiln from '../../src/index.ts';
import { loadavg } from 'node:os';
import { SUITES } from '../suites/index.ts';
import { kilnSide, tfjsSide, setupTfjs, suiteData, type Side } from '../sides.ts';
import { median as med } from '../interleave.ts';
import { fmtMs as fmt } from '../format.ts';

const filter = new RegExp(process.argv[2] ?? '^depthwise|mobilenet_v1_.*_b1$');
const ROUNDS = Number(process.env.ROUNDS ?? 9);
await kiln.ready();
const { tf, adapter } = await setupTfjs();
console.log(`adapter ${adapter}; ${ROUNDS} interleaved rounds per suite; load ${loadavg().map((x) => x.toFixed(1)).join(' ')}`);
for (const s of SUITES.filter((x) => filter.test(x.name) && !x.tfjsSkip)) {
  const data = suiteData(s); // the same input values as npm run bench
  const sides: [string, Side][] = [['kiln', await kilnSide(s, data)], ['tfjs', await tfjsSide(tf, s, data)]];
  try {
    for (const [, side] of sides) { await side.values(); for (let i = 1; i < (s.warmup ?? 2); i++) await side.step(); }
    const t: Record<string, number[]> = { kiln: [], tfjs: [] };
    for (let r = 0; r < ROUNDS; r++) {
      for (const [name, side] of sides) { const t0 = performance.now(); await side.step(); t[name].push(performance.now() - t0); }
    }
    const ratios = t.kiln.map((k, i) => t.tfjs[i] / k);
    console.log(`${s.name.padEnd(28)} kiln ${fmt(med(t.kiln)).padStart(7)} ms (min ${fmt(Math.min(...t.kiln))})  tfjs ${fmt(med(t.tfjs)).padStart(7)} ms (min ${fmt(Math.min(...t.tfjs))})  ratio: median of rounds ${med(ratios).toFixed(2)}x, of mins ${(Math.min(...t.tfjs) / Math.min(...t.kiln)).toFixed(2)}x`);
  } finally {
    for (const [, side] of sides) side.dispose();
  }
}
process.exit(0);
