// Train a small Gboard-style spatial model: an LSTM reads noisy frames of held symbols and CTC
// teaches it to emit the collapsed label sequence; greedy CTC decoding then transcribes fresh
// utterances. nn.LSTM + nn.Linear + logSoftmax + ctcLoss + Adam, all on the GPU.
//   node --import tsx examples/lstm_ctc.ts
import * as kiln from '../src/index.ts';

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

export function batch(r: () => number, N: number) {
  const us = Array.from({ length: N }, () => utterance(r));
  const x = new Float32Array(T * N * C);
  us.forEach((u, n) => { for (let f = 0; f < T; f++) for (let c = 0; c < C; c++) x[(f * N + n) * C + c] = u.frames[f * C + c]; });
  return { x: kiln.tensor(x, [T, N, C]), labels: us.map((u) => u.labels), lens: us.map((u) => u.len) };
}

export async function trainLstmCtc(log: (...m: unknown[]) => void = console.log, steps = 150): Promise<{ first: number; last: number; exact: number; total: number }> {
  await kiln.ready();
  const H = 32, N = 16;
  const lstm = new kiln.nn.LSTM(C, H, { seed: 1 });
  const out = new kiln.nn.Linear(H, C, { seed: 2 });
  const params = [...lstm.parameters(), ...out.parameters()];
  const logProbs = (x: kiln.Tensor, lens: number[]) => {
    const hs = lstm.forward(x, { lengths: lens }).output;
    return kiln.logSoftmax(kiln.reshape(out.forward(kiln.reshape(hs, [T * x.shape[1], H])), [T, x.shape[1], C]));
  };
  const opt = kiln.adam(0.02);
  const r = kiln.rng(42);
  let first = 0, last = 0;
  for (let step = 0; step < steps; step++) {
    const b = batch(r, N);
    const loss = kiln.tidy(() => {
      const { value, grads } = kiln.variableGrads(() => kiln.ctcLoss(logProbs(b.x, b.lens), b.labels, b.lens, b.labels.map((l) => l.length)), params);
      opt.applyGradients(grads);
      return value;
    });
    const v = (await loss.data())[0];
    if (step === 0) first = v;
    last = v;
    if (step % 50 === 0 || step === steps - 1) log(`step ${step}: ctc loss ${v.toFixed(4)}`);
    kiln.dispose([loss, b.x]);
  }
  const test = batch(kiln.rng(7), 64);
  const lp = kiln.tidy(() => logProbs(test.x, test.lens));
  const decoded = await kiln.ctcGreedyDecode(lp, test.lens);
  const exact = decoded.filter((d, i) => d.join(',') === test.labels[i].join(',')).length;
  log(`fresh utterances decoded exactly: ${exact}/64 (e.g. [${test.labels[0]}] -> [${decoded[0]}])`);
  kiln.dispose([lp, test.x]);
  opt.dispose();
  lstm.dispose();
  out.dispose();
  return { first, last, exact, total: 64 };
}

const isMain = process.argv[1] && /lstm_ctc\.ts$/.test(process.argv[1]);
if (isMain) trainLstmCtc().then(() => process.exit(0));
