// Training of the Residual-GRU codec (docs/codec.md): random 32x32 patches of the training
// photographs, `iterations` coding iterations unrolled per step, the mean L1 residual over the
// iterations as the loss (Toderici et al.), stochastic binarization, Adam with a cosine learning
// rate and gradient clipping. A progress line (step, loss per coding iteration, steps/s, ETA),
// checkpoints every `checkpointEvery` steps that --resume continues from, the finished model
// written to `out` (config.json + model.safetensors).
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import * as kiln from '../../index.ts';
import { CodecModel, DEFAULT_SPEC, rawBpp, type CodecSpec } from './model.ts';
import { PatchSampler, readImages, PATCH } from './data.ts';
import { saveCodecModel } from './store.ts';

export interface CodecTrainOptions {
  /** folder of training photographs */
  data: string;
  out: string;
  steps: number;
  batch: number;
  lr: number;
  seed: number;
  spec: CodecSpec;
  resume: boolean;
  checkpointEvery: number;
  log: (line: string) => void;
  /** stop early after this many seconds (the model so far is saved); 0: no limit */
  maxSeconds?: number;
  /** called after every optimizer step with the step count (a throw interrupts the run) */
  onStep?: (step: number) => void;
}

export const TRAIN_DEFAULTS = { steps: 1400, batch: 16, lr: 1e-3, seed: 1, checkpointEvery: 100 };

interface TrainState { spec?: CodecSpec; step: number; history: { step: number; loss: number; perIteration: number[]; sec: number }[]; seconds: number }

function fmtEta(sec: number): string {
  if (!Number.isFinite(sec)) return '?';
  const t = Math.round(sec), m = Math.floor(t / 60), s = t % 60;
  return m >= 60 ? `${Math.floor(m / 60)}h${String(m % 60).padStart(2, '0')}m` : `${m}m${String(s).padStart(2, '0')}s`;
}

/** Mean L1 per coding iteration of a model on fixed patches (eval mode: deterministic bits). */
export async function patchLoss(m: CodecModel, patches: Float32Array, n: number, iterations: number): Promise<number[]> {
  const was = m.training;
  m.train(false);
  const per = kiln.tidy(() => m.loss(kiln.tensor(patches, [n, PATCH, PATCH, 3]), iterations, 0).perIteration);
  const v = Array.from(await per.data());
  per.dispose();
  m.train(was);
  return v;
}

export async function trainCodec(o: CodecTrainOptions): Promise<{ model: CodecModel; state: TrainState }> {
  await kiln.ready();
  const imgs = (await readImages(o.data)).map((x) => x.img);
  const sampler = new PatchSampler(imgs);
  mkdirSync(o.out, { recursive: true });
  const statePath = join(o.out, 'train-state.json'), ckpt = join(o.out, 'train.ckpt.safetensors');
  const model = new CodecModel(o.spec, o.seed);
  const params = model.parameters();
  const schedule = kiln.cosineDecay(o.lr, o.steps, { alpha: 0.05, warmupSteps: Math.min(100, Math.floor(o.steps / 20)) });
  const opt = kiln.adam(schedule, 0.9, 0.999, 1e-8, { clipNorm: 0.5 });
  let state: TrainState = { step: 0, history: [], seconds: 0 };
  const pending: { loss: kiln.Tensor; per: kiln.Tensor }[] = [];
  try {
    if (o.resume && existsSync(statePath) && existsSync(ckpt)) {
      state = JSON.parse(readFileSync(statePath, 'utf8'));
      if (state.spec && JSON.stringify(state.spec) !== JSON.stringify(o.spec)) {
        throw new Error(`kiln codec train --resume: the checkpoint in ${o.out} is for another network (${JSON.stringify(state.spec)}); resume with the same --widths/--iterations/--reconstruction/--no-residual, or use a new --out`);
      }
      await kiln.loadCheckpoint(ckpt, { variables: model.stateDict(), optimizer: opt });
      o.log(`[codec train] resuming after step ${state.step} of ${o.steps}`);
    }
    const T = o.spec.iterations;
    const monitorN = 64;
    const monitor = sampler.batch(monitorN, 987654321);
    o.log(`[codec train] ${sampler.images} photos from ${o.data}, ${model.numParameters().toLocaleString('en-US')} parameters, batch ${o.batch} x ${PATCH}x${PATCH}, ${T} iterations (${rawBpp(o.spec, T).toFixed(3)} bpp), ${o.steps} steps`);
    const save = async () => {
      await kiln.saveCheckpoint(ckpt, { variables: model.stateDict(), optimizer: opt });
      writeFileSync(statePath + '.tmp', JSON.stringify({ ...state, spec: o.spec }) + '\n');
      renameSync(statePath + '.tmp', statePath);
    };
    const t0 = performance.now();
    const secBefore = state.seconds;
    const startStep = state.step;
    let lastLog = 0;
    let runLoss = 0, runPer = new Array<number>(T).fill(0), runN = 0;
    const drain = async () => {
      for (const p of pending) {
        const [l, per] = await Promise.all([p.loss.data(), p.per.data()]);
        p.loss.dispose(); p.per.dispose();
        if (!Number.isFinite(l[0])) throw new Error(`kiln codec train: the loss became ${l[0]} within the 4 steps before step ${state.step}; lower --lr (now ${o.lr})`);
        runLoss += l[0]; runN++;
        per.forEach((v, i) => { runPer[i] += v; });
      }
      pending.length = 0;
    };
    model.train(true);
    while (state.step < o.steps) {
      const batch = sampler.batch(o.batch, (o.seed * 1_000_003 + state.step) >>> 0);
      const step = state.step;
      let perT: kiln.Tensor | null = null;
      const loss = kiln.tidy(() => opt.minimize(() => {
        const r = model.loss(kiln.tensor(batch, [o.batch, PATCH, PATCH, 3]), T, (o.seed * 7919 + step) >>> 0);
        perT = kiln.keep(r.perIteration);
        return r.loss;
      }, { returnCost: true, varList: params })!);
      pending.push({ loss, per: perT! });
      state.step++;
      o.onStep?.(state.step);
      if (pending.length >= 4) await drain();
      const now = performance.now();
      const done = state.step === o.steps;
      const elapsed = (now - t0) / 1000;
      if (done || now - lastLog > 10000 || state.step === startStep + 1) {
        await drain();
        const rate = (state.step - startStep) / elapsed;
        const mean = runLoss / Math.max(1, runN);
        o.log(`[codec train] step ${state.step}/${o.steps} loss ${mean.toFixed(4)} L1 per iteration ${runPer.map((v) => (v / Math.max(1, runN)).toFixed(4)).join(' ')} lr ${schedule(state.step).toExponential(1)} ${rate.toFixed(2)} steps/s ETA ${fmtEta((o.steps - state.step) / rate)}`);
        state.history.push({ step: state.step, loss: mean, perIteration: runPer.map((v) => v / Math.max(1, runN)), sec: secBefore + elapsed });
        runLoss = 0; runPer = new Array<number>(T).fill(0); runN = 0;
        lastLog = now;
      }
      state.seconds = secBefore + elapsed;
      const outOfTime = o.maxSeconds ? state.seconds >= o.maxSeconds : false;
      if (done || outOfTime || state.step % o.checkpointEvery === 0) {
        await drain();
        await save();
        if (state.step % (o.checkpointEvery * 5) === 0 || done || outOfTime) {
          const per = await patchLoss(model, monitor, monitorN, T);
          o.log(`[codec train] step ${state.step}: fixed ${monitorN} training patches, deterministic bits: L1 per iteration ${per.map((v) => v.toFixed(4)).join(' ')}`);
        }
        if (outOfTime && !done) { o.log(`[codec train] --max-minutes reached at step ${state.step}: saving the model so far (--resume continues)`); break; }
      }
    }
    await drain();
    model.train(false);
    await saveCodecModel(o.out, model, { steps: state.step, batch: o.batch, lr: o.lr, seed: o.seed, data: o.data, seconds: Math.round(state.seconds), history: state.history });
    o.log(`[codec train] wrote ${o.out} (${state.step} steps, ${fmtEta(state.seconds)})`);
    return { model, state };
  } catch (e) {
    for (const p of pending) { p.loss.dispose(); p.per.dispose(); }
    model.dispose();
    throw e;
  } finally {
    opt.dispose();
  }
}

export { DEFAULT_SPEC };
