// The conformance runner on test/golden (the repo's copy of the PyTorch golden vectors) and on
// hand-made case files.
import './setup.ts';
import { suite } from 'uvu';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { observeTensors } from '../src/tensor.ts';
import { kiln, assert } from './helpers.ts';
import { runGolden, runGoldenCli, formatReport, type Report, type CaseResult } from '../src/golden/runner.ts';
import { listCaseFiles, loadGoldenFile, isBadCase, type GoldenCase } from '../src/golden/format.ts';
import { bundledGoldenDir, defaultGoldenDir } from '../src/golden/location.ts';
import { createHash } from 'node:crypto';

const t = suite('golden');

// The repo's own copy: a clone passes with nothing beside it.
const REPO = fileURLToPath(new URL('..', import.meta.url));
const GOLDEN = bundledGoldenDir();
const SUMMARY = /^(\d+) passed, (\d+) failed(?:, (\d+) skipped)?$/;

const hasMatMul = typeof (kiln as unknown as Record<string, unknown>).matMul === 'function';
/** matMul from broadcasting mul + sum, to check the matMul-based mappings before kiln has one. */
const refMatMul = (a: kiln.Tensor, b: kiln.Tensor) => kiln.sum(kiln.mul(kiln.expandDims(a, 2), kiln.expandDims(b, 0)), 1);

function requireGolden(): void {
  if (!existsSync(GOLDEN)) {
    assert.unreachable(`golden vectors not found at ${GOLDEN}: they are part of the repo (test/golden); restore them with git checkout -- test/golden`);
  }
}

async function run(dir: string, ops?: Parameters<typeof runGolden>[1]): Promise<Report> {
  const { result: rep, leaked } = await observeTensors(() => runGolden(dir, ops));
  assert.is(leaked.length, 0, `the run over ${dir} must dispose every tensor it creates`);
  assert.is(rep.leakedTensors, 0);
  return rep;
}

async function cli(dir: string, json = false): Promise<{ code: number; lines: string[] }> {
  const lines: string[] = [];
  const code = await runGoldenCli(dir, { json, write: (l) => lines.push(...l.split('\n')) });
  return { code, lines };
}

const byName = (rep: Report, family: string, name: string): CaseResult => {
  const c = rep.cases.find((r) => r.family === family && r.name === name);
  if (!c) assert.unreachable(`no result for ${family}/${name}; have ${rep.cases.map((r) => r.id).join(', ')}`);
  return c!;
};

let goldenReport: Promise<Report> | null = null;
const golden = () => (goldenReport ??= (requireGolden(), run(GOLDEN)));

t('test/golden is in the repo and every file matches MANIFEST.json (sha256, bytes, case names)', () => {
  requireGolden();
  assert.is(GOLDEN, join(REPO, 'test', 'golden'));
  const manifest = JSON.parse(readFileSync(join(GOLDEN, 'MANIFEST.json'), 'utf8')) as { files: Record<string, { bytes: number; sha256: string; cases: string[] }> };
  const listed = Object.keys(manifest.files).sort();
  assert.equal(listCaseFiles(GOLDEN), listed, 'case files on disk vs MANIFEST.json');
  for (const f of listed) {
    const bytes = readFileSync(join(GOLDEN, f));
    const e = manifest.files[f];
    assert.is(bytes.length, e.bytes, `${f}: size`);
    assert.is(createHash('sha256').update(bytes).digest('hex'), e.sha256, `${f}: sha256`);
    assert.equal(loadGoldenFile(GOLDEN, f).cases.map((c) => c.name), e.cases, `${f}: case names`);
  }
});

t('defaultGoldenDir: the bundled copy, unless a shared folder lists files or cases it lacks', () => {
  const dir = mkdtempSync(join(tmpdir(), 'kiln-golden-loc-'));
  try {
    assert.is(defaultGoldenDir(join(dir, 'absent')), GOLDEN, 'no shared folder');
    const mine = JSON.parse(readFileSync(join(GOLDEN, 'MANIFEST.json'), 'utf8'));
    writeFileSync(join(dir, 'MANIFEST.json'), JSON.stringify(mine));
    assert.is(defaultGoldenDir(dir), GOLDEN, 'same set: the bundled copy');
    const first = Object.keys(mine.files)[0];
    mine.files[first].cases.push('a_newer_case');
    writeFileSync(join(dir, 'MANIFEST.json'), JSON.stringify(mine));
    assert.is(defaultGoldenDir(dir), dir, 'a case the bundled copy lacks: the shared folder');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

/** The case as stored in test/golden (to know which grads it has). */
function goldenCase(family: string, name: string): GoldenCase {
  for (const file of listCaseFiles(GOLDEN)) {
    const f = loadGoldenFile(GOLDEN, file);
    if (f.family !== family) continue;
    const c = f.cases.find((q) => q.name === name);
    if (c && !isBadCase(c)) return c;
  }
  return assert.unreachable(`no golden case ${family}/${name}`) as never;
}

t('no golden case fails, and the cases kiln can run pass, outputs and gradients', async () => {
  const rep = await golden();
  const fails = rep.cases.filter((c) => c.status === 'FAIL');
  assert.is(fails.length, 0, `failures:\n${fails.map((c) => `${c.id}: ${c.reason}`).join('\n')}`);
  assert.is(rep.failed, 0);
  const expected: [string, string[]][] = [
    ['activations', ['relu6', 'sigmoid', 'sigmoid_extreme', 'tanh', 'tanh_extreme']],
    ['softmax', ['softmax_4x7', 'softmax_2x33_large', 'log_softmax_4x7', 'log_softmax_2x33_large', 'cross_entropy_none', 'cross_entropy_mean', 'cross_entropy_sum_large']],
    ['embedding', ['embedding_lookup', 'sgns_v10_d4_b4_k3', 'sgns_v30_d8_b6_k5']],
    ['upsample_pad', ['reflect_pad_1111', 'reflect_pad_asym_2_1_1_3', 'reflect_pad_4444_9x9kernel', 'upsample_nearest2x_2x3x4x3', 'upsample_nearest2x_1x1x2x1']],
    ['depthwise_conv2d', ['dw_k3_s1_same_m1', 'dw_k3_s2_same_m1', 'dw_k3_s1_same_m2', 'dw_k3_s2_same_m2', 'dw_k3_s1_valid_m2', 'dw_k5_s2_valid_m1']],
    ['batchnorm_inference', ['bn_eps1e-3', 'bn_eps1e-5']],
    ['instance_norm', ['in_eps1e-5', 'in_eps1e-3_1x1ch', 'in_eps1e-5_8x8']],
    ['conditional_instance_norm', ['cin_by_id', 'cin_by_id_repeat_style', 'cin_interp', 'cin_interp_many_styles']],
  ];
  if (typeof (kiln as unknown as Record<string, unknown>).conv2d === 'function') expected.push(['batchnorm_inference', ['conv_bn_fold']]);
  expected.push(
    ['conv2d', ['conv2d_k3_s1_same', 'conv2d_k3_s2_same_oddW', 'conv2d_k4_s2_same_asym', 'conv2d_k3_s1_valid', 'conv2d_k3_s2_valid', 'conv2d_k9_s1_same', 'conv2d_k1x3_s1_same']],
    ['pointwise_conv2d', ['pw_s1', 'pw_s1_wide', 'pw_s2']],
  );
  if (hasMatMul) expected.push(['pointwise_conv2d', ['pw_s1', 'pw_s1_wide']], ['hierarchical_softmax', ['hsm_n3_d5_c3_v10', 'hsm_n4_d4_c4_v17']]);
  for (const [family, names] of expected) {
    for (const name of names) {
      const c = byName(rep, family, name);
      assert.is(c.status, 'PASS', `${c.id}: ${c.reason}`);
      const g = goldenCase(family, name);
      const want = [...Object.keys(g.outputs).map((k) => `outputs.${k}`), ...Object.keys(g.grads).map((k) => `grads.${k}`)];
      assert.ok(Object.keys(g.grads).length > 0, `${c.id} has grads`);
      assert.equal([...c.checked].sort(), want.sort(), `${c.id}: every output and every gradient is compared`);
      assert.is(c.gradsChecked, true, `${c.id}: grads checked`);
      assert.is(c.gradsNote, undefined);
      for (const [what, e] of Object.entries(c.errors)) {
        const tensor = what.startsWith('grads.') ? g.grads[what.slice(6)] : g.outputs[what.slice(8)];
        const scale = Math.max(...Array.from(tensor.data, Math.abs));
        assert.ok(e.maxAbsErr <= c.tolerance!.atol + c.tolerance!.rtol * scale, `${c.id} ${what}: error ${e.maxAbsErr}`);
      }
    }
  }
  assert.equal(byName(rep, 'softmax', 'cross_entropy_mean').op, 'cross_entropy(mean)');
  assert.equal(byName(rep, 'upsample_pad', 'reflect_pad_1111').op, 'reflect_pad');
  assert.is(rep.forwardOnly, 0, 'every golden case has grads, and every pass checked them');
  for (const c of rep.cases) if (c.status === 'PASS') assert.ok(c.gradsChecked, `${c.id} passed without its gradients`);
});

t('families kiln cannot run yet are SKIPs naming the missing op', async () => {
  const rep = await golden();
  const has = (op: string) => typeof (kiln as unknown as Record<string, unknown>)[op] === 'function';
  const expectSkip: [string, string | null, string][] = [
    ['conv2d', null, 'conv2d'], ['instance_norm', null, 'instanceNorm'],
    ['conditional_instance_norm', null, 'conditionalInstanceNorm'], ['ctc', null, 'ctcLoss'],
    ['batchnorm_inference', 'bn_eps1e-3', 'batchNorm'], ['batchnorm_inference', 'conv_bn_fold', 'conv2d'],
    ['lstm', 'lstm_cell_n3_i4_h5', 'lstmCell'], ['lstm', 'lstm_seq_T6_n2_i3_h4', 'lstm'],
    ['gru', 'gru_cell_n3_i4_h5', 'gruCell'], ['gru', 'gru_seq_T12_n1_i2_h3', 'gru'],
    ['upsample_pad', 'upsample_nearest2x_2x3x4x3', 'resizeNearestNeighbor'], ['pointwise_conv2d', 'pw_s2', 'conv2d'],
  ];
  if (!hasMatMul) expectSkip.push(['pointwise_conv2d', 'pw_s1', 'matMul'], ['hierarchical_softmax', null, 'matMul']);
  for (const [family, name, op] of expectSkip) {
    if (has(op)) continue; // landed since: the zero-failures test covers it
    const cases = rep.cases.filter((c) => c.family === family && (name === null || c.name === name));
    assert.ok(cases.length > 0, `no ${family} cases`);
    for (const c of cases) {
      assert.is(c.status, 'SKIP', `${c.id} should be skipped`);
      assert.match(c.reason ?? '', new RegExp(`\\bop (.*, )?${op}\\b.* not in kiln yet`), `${c.id}: ${c.reason}`);
    }
  }
  assert.is(rep.passed + rep.failed + rep.skipped, rep.cases.length);
  assert.ok(rep.passed >= 18, rep.summary);
});

t('the matMul-based mappings (pointwise conv, hierarchical softmax) pass with a reference matMul', async () => {
  requireGolden();
  const rep = await run(GOLDEN, hasMatMul ? {} : { ops: { matMul: refMatMul } });
  for (const id of ['pointwise_conv2d/pw_s1', 'pointwise_conv2d/pw_s1_wide', 'hierarchical_softmax/hsm_n3_d5_c3_v10', 'hierarchical_softmax/hsm_n4_d4_c4_v17']) {
    const c = rep.cases.find((r) => r.id === id);
    assert.is(c?.status, 'PASS', `${id}: ${c?.reason}`);
  }
  assert.equal(rep.cases.find((r) => r.id === 'hierarchical_softmax/hsm_n3_d5_c3_v10')!.checked.sort(),
    ['grads.Wc', 'grads.Ww', 'grads.bc', 'grads.bw', 'grads.h', 'outputs.logp_all', 'outputs.loss']);
  assert.is(rep.failed, 0);
});

t('kiln golden prints one line per case and the summary line last', async () => {
  requireGolden();
  const { code, lines } = await cli(GOLDEN);
  const rep = await golden();
  assert.is(code, 0);
  const caseLines = lines.filter((l) => /^(PASS|FAIL|SKIP) /.test(l));
  assert.is(caseLines.length, rep.cases.length);
  const m = lines[lines.length - 1].match(SUMMARY);
  assert.ok(m, `last line "${lines[lines.length - 1]}"`);
  assert.equal([+m![1], +m![2], +(m![3] ?? 0)], [rep.passed, rep.failed, rep.skipped]);
  assert.ok(caseLines.includes('SKIP conv2d/conv2d_k3_s1_same: op conv2d not in kiln yet') || typeof (kiln as unknown as Record<string, unknown>).conv2d === 'function');
  const relu6 = caseLines.find((l) => l.startsWith('PASS activations/relu6 '));
  assert.match(relu6 ?? '', /relu6 +max abs err \S+ +max rel err \S+ +\(outputs and grads\)$/);
  assert.not.ok(lines.some((l) => /not checked|forward only/.test(l)), 'no "grads not checked" wording: every runnable case checks its grads');
  assert.ok(lines.includes(`gradients: checked in ${rep.passed} case(s)`), lines.slice(-3).join('\n'));
});

t('--json prints a machine-readable report', async () => {
  requireGolden();
  const { code, lines } = await cli(GOLDEN, true);
  assert.is(code, 0);
  const rep = JSON.parse(lines.join('\n'));
  assert.ok(Array.isArray(rep.cases) && rep.cases.length > 40);
  const c = rep.cases.find((r: CaseResult) => r.id === 'softmax/cross_entropy_mean');
  assert.is(c.status, 'PASS');
  assert.is(c.op, 'cross_entropy(mean)');
  assert.type(c.maxAbsErr, 'number');
  assert.type(c.maxRelErr, 'number');
  assert.is(c.gradsChecked, true);
  assert.ok(c.checked.includes('grads.logits'), c.checked.join(', '));
  assert.type(c.errors['grads.logits'].maxAbsErr, 'number');
  assert.match(rep.cases.find((r: CaseResult) => r.id === 'ctc/ctc_T8_N2_C5').op, /ctcLoss/);
  assert.match(rep.summary, SUMMARY);
});

// ---- hand-made case files ----------------------------------------------------------------------

const T = (shape: number[], data: unknown[], dtype = 'float32') => ({ shape, dtype, data });
const TOL = { rtol: 1e-3, atol: 1e-4 };
const act = (name: string, op: string, x: unknown[], y: unknown[], tolerance: unknown = TOL) =>
  ({ name, params: { op }, inputs: { x: T([x.length], x) }, outputs: { y: T([y.length], y) }, tolerance });

function tempDir(files: Record<string, unknown>): string {
  const dir = mkdtempSync(join(tmpdir(), 'kiln-golden-'));
  for (const [name, doc] of Object.entries(files)) writeFileSync(join(dir, name), typeof doc === 'string' ? doc : JSON.stringify(doc));
  return dir;
}

t('wrong values FAIL, bad files FAIL cleanly, unknown families and ops SKIP', async () => {
  const nonFinite = JSON.stringify({ family: 'activations', cases: [act('nonfinite', 'sigmoid', [0, 0], [0.5, 0.5])] })
    .replace('"data":[0,0]', '"data":[Infinity,-Infinity]').replace('"data":[0.5,0.5]', '"data":[1,0]');
  const dir = tempDir({
    'acts.json': {
      family: 'activations',
      cases: [
        act('right', 'relu6', [-1, 2, 7], [0, 2, 6]),
        act('wrong', 'relu6', [-1, 2, 7], [0, 2, 5]),
        act('just_inside', 'relu6', [1], [1.00099], { rtol: 0, atol: 1e-3 }),
        act('just_outside', 'relu6', [1], [1.00101], { rtol: 0, atol: 1e-3 }),
        act('not_in_kiln', 'gelu', [1], [0.8413]),
        { ...act('short', 'tanh', [1, 2], [0, 0]), inputs: { x: T([3], [1, 2]) } },
        { name: 'no_outputs', params: { op: 'tanh' }, inputs: { x: T([1], [0]) }, tolerance: TOL },
        { ...act('bad_tol', 'tanh', [0], [0]), tolerance: { rtol: '1e-3', atol: 1e-4 } },
        { ...act('bad_shape', 'tanh', [0], [0]), outputs: { y: T([2], [0]) } },
      ],
    },
    'nonfinite.json': nonFinite,
    'pads.json': { family: 'upsample_pad', cases: [{ name: 'too_big', params: { mode: 'reflect', pads: [5, 5, 5, 5] }, inputs: { x: T([1, 2, 2, 1], [1, 2, 3, 4]) }, outputs: { y: T([1], [0]) }, tolerance: TOL }] },
    'unknown.json': { family: 'fft', cases: [act('fft_8', 'rfft', [1], [1])] },
    'broken.json': '{ "family": "activations", "cases": [',
    'nofamily.json': { cases: [] },
    'MANIFEST.json': 'not even json: MANIFEST.json is not a case file',
  });
  try {
    const rep = await run(dir);
    const st = (id: string) => {
      const c = rep.cases.find((r) => r.id === id);
      if (!c) assert.unreachable(`no ${id} in ${rep.cases.map((r) => r.id).join(', ')}`);
      return c!;
    };
    assert.is(st('activations/right').status, 'PASS');
    assert.is(st('activations/wrong').status, 'FAIL');
    assert.match(st('activations/wrong').reason!, /outputs\.y\[2\]: got 6, want 5 .*1 of 3 values out of tolerance/);
    assert.is(st('activations/wrong').maxAbsErr, 1);
    assert.is(st('activations/just_inside').status, 'PASS');
    assert.is(st('activations/just_outside').status, 'FAIL');
    assert.is(st('activations/not_in_kiln').status, 'SKIP');
    assert.match(st('activations/not_in_kiln').reason!, /op gelu not in kiln yet/);
    assert.match(st('activations/short').reason!, /inputs\.x: data has 2 values but shape \[3\] needs 3/);
    assert.match(st('activations/no_outputs').reason!, /missing "outputs"/);
    assert.match(st('activations/bad_tol').reason!, /tolerance\.rtol/);
    assert.match(st('activations/bad_shape').reason!, /outputs\.y: data has 1 values but shape \[2\]/);
    for (const id of ['activations/short', 'activations/no_outputs', 'activations/bad_tol', 'activations/bad_shape']) assert.is(st(id).status, 'FAIL');
    assert.is(st('activations/nonfinite').status, 'PASS', st('activations/nonfinite').reason);
    assert.is(st('upsample_pad/too_big').status, 'FAIL');
    assert.match(st('upsample_pad/too_big').reason!, /kiln threw: .*reflect/);
    assert.is(st('fft/fft_8').status, 'SKIP');
    assert.match(st('fft/fft_8').reason!, /unknown family 'fft'/);
    assert.is(st('broken.json').status, 'FAIL');
    assert.match(st('broken.json').reason!, /^bad JSON/);
    assert.ok(formatReport(rep).includes('FAIL broken.json: ' + st('broken.json').reason));
    assert.is(st('nofamily.json').status, 'FAIL');
    assert.match(st('nofamily.json').reason!, /"family"/);
    assert.not.ok(rep.cases.some((c) => c.file === 'MANIFEST.json'));

    const { code, lines } = await cli(dir);
    assert.is(code, 1, 'any failure makes the exit code non-zero');
    const m = lines[lines.length - 1].match(SUMMARY);
    assert.ok(m, lines[lines.length - 1]);
    assert.equal([+m![1], +m![2], +(m![3] ?? 0)], [rep.passed, rep.failed, rep.skipped]);
    assert.ok(lines.some((l) => /^FAIL activations\/wrong +relu6 +max abs err 1\.00e\+0 .*got 6, want 5/.test(l)), lines.join('\n'));
    assert.ok(lines.includes('SKIP fft/fft_8: unknown family \'fft\': the golden runner has no mapping for it'));
    const json = await cli(dir, true);
    assert.is(json.code, 1);
    assert.is(JSON.parse(json.lines.join('\n')).failed, rep.failed);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

t('gradients: a case whose outputs pass but whose grads are wrong FAILs; malformed grads FAIL', async () => {
  const relu6 = (name: string, extra: Record<string, unknown>) => ({ ...act(name, 'relu6', [-1, 2, 7], [0, 2, 6]), ...extra });
  const up = { y: T([3], [1, 2, 3]) };
  const dir = tempDir({
    'acts.json': {
      family: 'activations',
      cases: [
        relu6('grads_right', { upstream: up, grads: { x: T([3], [0, 2, 0]) } }),
        relu6('grads_wrong', { upstream: up, grads: { x: T([3], [0, 2, 3]) } }),
        relu6('grads_no_upstream', { grads: { x: T([3], [0, 2, 0]) } }),
        relu6('grads_bad_upstream', { upstream: { y: T([2], [1, 2]) }, grads: { x: T([3], [0, 2, 0]) } }),
        relu6('grads_not_an_input', { upstream: up, grads: { z: T([3], [0, 2, 0]) } }),
        relu6('grads_bad_shape', { upstream: up, grads: { x: T([1, 3], [0, 2, 0]) } }),
        relu6('no_grads', {}),
        { ...relu6('forward_wrong', { upstream: up, grads: { x: T([3], [0, 2, 0]) } }), outputs: { y: T([3], [0, 2, 5]) } },
      ],
    },
  });
  try {
    const rep = await run(dir);
    const st = (name: string) => byName(rep, 'activations', name);
    assert.is(st('grads_right').status, 'PASS', st('grads_right').reason);
    assert.is(st('grads_right').gradsChecked, true);
    assert.equal(st('grads_right').checked, ['outputs.y', 'grads.x']);
    const wrong = st('grads_wrong');
    assert.is(wrong.status, 'FAIL');
    assert.is(wrong.errors['outputs.y'].maxAbsErr, 0, 'the forward pass is right');
    assert.match(wrong.reason!, /^grads\.x\[2\]: got 0, want 3 .*1 of 3 values out of tolerance/);
    assert.is(wrong.maxAbsErr, 3);
    assert.match(st('grads_no_upstream').reason!, /grads need upstream\.y/);
    assert.match(st('grads_bad_upstream').reason!, /upstream\.y is float32 \[2\], outputs\.y is \[3\]/);
    assert.match(st('grads_not_an_input').reason!, /grads\.z names no input/);
    assert.match(st('grads_bad_shape').reason!, /grads\.x: kiln's shape \[3\] does not match the golden shape \[1,3\]/);
    for (const n of ['grads_no_upstream', 'grads_bad_upstream', 'grads_not_an_input', 'grads_bad_shape']) assert.is(st(n).status, 'FAIL', n);
    assert.is(st('no_grads').status, 'PASS');
    assert.is(st('no_grads').gradsChecked, false);
    assert.is(st('no_grads').gradsNote, 'the case has no grads');
    assert.is(st('forward_wrong').status, 'FAIL');
    assert.is(st('forward_wrong').gradsChecked, false, 'grads are checked only once the outputs pass');
    assert.is(rep.forwardOnly, 1);
    const lines = formatReport(rep);
    assert.ok(lines.some((l) => /^FAIL activations\/grads_wrong +relu6 +max abs err 3\.00e\+0 .*grads\.x\[2\]: got 0, want 3/.test(l)), lines.join('\n'));
    assert.ok(lines.some((l) => /^PASS activations\/grads_right +relu6 .*\(outputs and grads\)$/.test(l)), lines.join('\n'));
    assert.ok(lines.some((l) => /^PASS activations\/no_grads +relu6 .*\(forward only: the case has no grads\)$/.test(l)), lines.join('\n'));
    assert.ok(lines.includes('gradients: checked in 3 case(s); 1 passing case(s) have no grads (forward outputs only)'), lines.join('\n'));
    // an op that records no gradient shows as all-zero gradients, with a hint
    const noRule = await run(dir, { ops: { relu6: (x: kiln.Tensor) => kiln.noGrad(() => kiln.relu6(x)) } });
    const r = byName(noRule, 'activations', 'grads_right');
    assert.is(r.status, 'FAIL');
    assert.match(r.reason!, /grads\.x\[1\]: got 0, want 2 .*kiln's gradient is all zeros: does every op of the relu6 mapping record its gradient\?/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

t('gradients of multi-output cases use every output\'s upstream (hierarchical softmax)', async () => {
  requireGolden();
  const src = JSON.parse(readFileSync(join(GOLDEN, 'hierarchical_softmax.json'), 'utf8'));
  const base = src.cases.find((c: { name: string }) => c.name === 'hsm_n3_d5_c3_v10');
  const scaled = (name: string, output: string) => {
    const c = JSON.parse(JSON.stringify(base));
    c.name = name;
    c.upstream[output].data = c.upstream[output].data.map((v: number) => 2 * v);
    return c;
  };
  const dir = tempDir({ 'hsm.json': { ...src, cases: [base, scaled('loss_up_x2', 'loss'), scaled('logp_up_x2', 'logp_all')] } });
  try {
    const rep = await run(dir);
    const st = (name: string) => byName(rep, 'hierarchical_softmax', name);
    assert.is(st('hsm_n3_d5_c3_v10').status, 'PASS', st('hsm_n3_d5_c3_v10').reason);
    assert.is(st('hsm_n3_d5_c3_v10').gradsChecked, true);
    for (const n of ['loss_up_x2', 'logp_up_x2']) {
      assert.is(st(n).status, 'FAIL', `${n}: a wrong upstream for one output must change the gradients`);
      assert.match(st(n).reason!, /^grads\.h\[/);
      assert.is(st(n).errors['outputs.loss'].maxAbsErr <= 1e-5, true);
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

t('an empty or missing directory is a failure, not a silent pass', async () => {
  const dir = tempDir({ 'MANIFEST.json': '{}', 'notes.txt': 'no cases here' });
  try {
    const empty = await cli(dir);
    assert.is(empty.code, 1);
    assert.ok(empty.lines.some((l) => /^FAIL .*no golden case files/.test(l)), empty.lines.join('\n'));
    assert.is(empty.lines[empty.lines.length - 1], '0 passed, 1 failed, 0 skipped');
    const missing = await cli(join(dir, 'nope'));
    assert.is(missing.code, 1);
    assert.ok(missing.lines.some((l) => /cannot read directory/.test(l)), missing.lines.join('\n'));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

t.run();
