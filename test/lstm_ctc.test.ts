// End to end: an LSTM + CTC model (the Gboard spatial model's recipe) learns to transcribe noisy
// frames of repeated symbols into their collapsed label sequence, in bounded steps.
import './setup.ts';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { kiln } from './helpers.ts';
import { rng } from '../src/ops/creation.ts';

const t = suite('lstm + ctc');

const LABELS = 4;          // symbols 1..4, 0 = blank
const C = LABELS + 1;
const T = 18;

/**
 * One utterance: 2-4 random symbols (repeats allowed), each held for 2-3 frames, with one or two
 * "silence" frames between symbols; a frame is the symbol's one-hot plus Gaussian-ish noise.
 */
function utterance(r: () => number): { frames: Float32Array; labels: number[]; len: number } {
  const n = 2 + Math.floor(r() * 3);
  const labels = Array.from({ length: n }, () => 1 + Math.floor(r() * LABELS));
  const seq: number[] = [];
  labels.forEach((l, i) => {
    if (i) for (let k = 1 + Math.floor(r() * 2); k > 0; k--) seq.push(0);
    for (let k = 2 + Math.floor(r() * 2); k > 0; k--) seq.push(l);
  });
  const frames = new Float32Array(T * C);
  for (let f = 0; f < seq.length; f++) {
    for (let c = 0; c < C; c++) frames[f * C + c] = (c === seq[f] && seq[f] !== 0 ? 1 : 0) + 0.35 * (r() + r() + r() - 1.5);
  }
  return { frames, labels, len: seq.length };
}

function batch(r: () => number, N: number) {
  const us = Array.from({ length: N }, () => utterance(r));
  const x = new Float32Array(T * N * C);
  us.forEach((u, n) => { for (let f = 0; f < T; f++) for (let c = 0; c < C; c++) x[(f * N + n) * C + c] = u.frames[f * C + c]; });
  return { x: kiln.tensor(x, [T, N, C]), labels: us.map((u) => u.labels), lens: us.map((u) => u.len) };
}

t('LSTM + CTC learns to transcribe noisy repeated symbols (greedy decoding, >= 90% exact)', async () => {
  const H = 32, N = 16;
  const lstm = new kiln.nn.LSTM(C, H, { seed: 1 });
  const out = new kiln.nn.Linear(H, C, { seed: 2 });
  const params = [...lstm.parameters(), ...out.parameters()];
  const logProbs = (x: kiln.Tensor, lens: number[]) => {
    const hs = lstm.forward(x, { lengths: lens }).output;
    return kiln.logSoftmax(kiln.reshape(out.forward(kiln.reshape(hs, [T * x.shape[1], H])), [T, x.shape[1], C]));
  };
  const opt = kiln.adam(0.02);
  const r = rng(42);
  let first = 0, last = 0;
  for (let step = 0; step < 150; step++) {
    const b = batch(r, N);
    const loss = kiln.tidy(() => {
      const { value, grads } = kiln.variableGrads(() => kiln.ctcLoss(logProbs(b.x, b.lens), b.labels, b.lens, b.labels.map((l) => l.length)), params);
      opt.applyGradients(grads);
      return value;
    });
    const v = (await loss.data())[0];
    if (step === 0) first = v;
    last = v;
    kiln.dispose([loss, b.x]);
  }
  assert.ok(last < 0.2 * first, `CTC loss went from ${first} to ${last}`);
  // fresh utterances
  const test = batch(rng(7), 64);
  const lp = kiln.tidy(() => logProbs(test.x, test.lens));
  const decoded = await kiln.ctcGreedyDecode(lp, test.lens);
  const exact = decoded.filter((d, i) => d.join(',') === test.labels[i].join(',')).length;
  if (process.env.KILN_VERBOSE) console.log(`ctc loss ${first} -> ${last}, exact ${exact}/64`);
  assert.ok(exact >= 0.9 * 64, `${exact}/64 decoded exactly (e.g. got ${decoded[0]} for ${test.labels[0]})`);
  kiln.dispose([lp, test.x]);
  opt.dispose();
  lstm.dispose();
  out.dispose();
});

t.run();
