// `kiln codec encode | decode | train | eval` (docs/codec.md). Thin: parse flags, call
// src/models/codec.
import { readFile, writeFile } from 'node:fs/promises';
import { flag as flagOf, intFlag as intFlagOf, numFlag as numFlagOf } from './args.ts';

export const CODEC_USAGE = `usage: kiln codec <command> [options]

  encode IN.png [--bpp 0.25 | --iterations K] [--raw] [--model DIR] -o OUT.rgru
        codes a PNG, JPEG or PPM image of any size; --bpp keeps the most iterations whose file
        is at most that many bits per pixel (default: every iteration the model was trained
        for); --raw stores the bits without the arithmetic coder
  decode IN.rgru [--iterations K] [--model DIR] -o OUT.png
        decodes a .rgru file (its first K iterations with --iterations) to PNG (or JPEG when
        OUT ends in .jpg)
  train [--data DIR] --out DIR [--steps N] [--batch N] [--lr X] [--iterations T]
        [--widths small|paper] [--reconstruction one-shot|additive] [--no-residual]
        [--max-minutes M] [--resume] [--seed N]
        trains on random 32x32 patches of the photos in DIR (default data/codec/train);
        a progress line every 10 s; checkpoints every 100 steps that --resume continues
  eval [DIR] [--model DIR] [--json] [--plot FILE.svg] [--crops DIR] [--save]
        bpp, PSNR and MS-SSIM of kiln and of JPEG (jpeg-js, a sweep of qualities) on the
        photos in DIR (default data/codec/test), a table, and a plot of both curves
  help`;

export interface CodecIo { write?: (s: string) => void; error?: (s: string) => void }

const flag = (args: string[], name: string) => flagOf('codec', args, name);
const intFlag = (args: string[], name: string, def?: number) => intFlagOf('codec', args, name, def);

const numFlag = (args: string[], name: string, def?: number) => numFlagOf('codec', args, name, def);

const VALUE_FLAGS = new Set(['--bpp', '--iterations', '--model', '-o', '--out', '--data', '--steps', '--batch', '--lr', '--widths', '--reconstruction', '--max-minutes', '--seed', '--plot', '--crops']);

/** Positional arguments: everything that is not a flag or a flag's value. */
function positionals(args: string[]): string[] {
  const out: string[] = [];
  for (let i = 0; i < args.length; i++) {
    if (VALUE_FLAGS.has(args[i])) { i++; continue; }
    if (args[i].startsWith('-')) continue;
    out.push(args[i]);
  }
  return out;
}

function checkFlags(args: string[], allowed: string[]): void {
  for (let i = 0; i < args.length; i++) {
    const a = args[i];
    if (VALUE_FLAGS.has(a) && allowed.includes(a)) { i++; continue; }
    if (a.startsWith('-') && !allowed.includes(a)) throw new Error(`kiln codec: unknown option ${a} (kiln codec help lists them)`);
  }
}

export async function codecCli(args: string[], io: CodecIo = {}): Promise<number> {
  const write = io.write ?? ((s: string) => process.stdout.write(s));
  const error = io.error ?? ((s: string) => process.stderr.write(s));
  const [cmd, ...rest] = args;
  try {
    switch (cmd) {
      case 'encode': return await encodeCmd(rest, write);
      case 'decode': return await decodeCmd(rest, write);
      case 'train': return await trainCmd(rest, write);
      case 'eval': return await evalCmd(rest, write);
      case undefined: case 'help': case '--help': case '-h':
        write(CODEC_USAGE + '\n');
        return cmd === undefined ? 2 : 0;
      default:
        error(`kiln codec: unknown command '${cmd}'\n${CODEC_USAGE}\n`);
        return 2;
    }
  } catch (e) {
    error(`${(e as Error).message}\n`);
    return 1;
  }
}

async function encodeCmd(args: string[], write: (s: string) => void): Promise<number> {
  checkFlags(args, ['--bpp', '--iterations', '--raw', '--model', '-o']);
  const [input, extra] = positionals(args);
  const out = flag(args, '-o');
  if (!input || extra !== undefined || !out) throw new Error('kiln codec encode: usage: kiln codec encode IN.png [--bpp X | --iterations K] [--raw] [--model DIR] -o OUT.rgru');
  const bpp = numFlag(args, '--bpp');
  const iterations = intFlag(args, '--iterations');
  if (bpp !== undefined && iterations !== undefined) throw new Error('kiln codec encode: give --bpp or --iterations, not both');
  const { readImage } = await import('../io/image.ts');
  const { loadCodecModel, DEFAULT_CODEC_MODEL } = await import('../models/codec/store.ts');
  const { codeImage, fitBitRate } = await import('../models/codec/codec.ts');
  const { bitsPerPixel } = await import('../models/codec/bitstream.ts');
  const img = await readImage(input);
  const m = await loadCodecModel(flag(args, '--model') ?? DEFAULT_CODEC_MODEL);
  try {
  const t0 = performance.now();
  const coded = await codeImage(m, img, { iterations: iterations ?? m.spec.iterations, entropy: !args.includes('--raw') });
  let bytes = coded.bytes, k = coded.codes.length;
  if (bpp !== undefined) {
    const fit = fitBitRate(coded.bytes, bpp, img.width, img.height);
    bytes = fit.bytes; k = fit.iterations;
    if (fit.bpp > bpp) write(`kiln codec encode: one iteration already takes ${fit.bpp.toFixed(4)} bpp (> ${bpp}); wrote that\n`);
  }
  await writeFile(out, bytes);
  write(`${out}: ${img.width}x${img.height}, ${k} iteration${k === 1 ? '' : 's'}, ${bytes.length} bytes, ${bitsPerPixel(bytes, img.width, img.height).toFixed(4)} bpp (${((performance.now() - t0) / 1000).toFixed(2)} s)\n`);
  return 0;
  } finally { m.dispose(); }
}

async function decodeCmd(args: string[], write: (s: string) => void): Promise<number> {
  checkFlags(args, ['--iterations', '--model', '-o']);
  const [input, extra] = positionals(args);
  const out = flag(args, '-o');
  if (!input || extra !== undefined || !out) throw new Error('kiln codec decode: usage: kiln codec decode IN.rgru [--iterations K] [--model DIR] -o OUT.png');
  let bytes: Uint8Array;
  try { bytes = new Uint8Array(await readFile(input)); } catch (e) { throw new Error(`kiln codec decode: cannot read ${input}: ${(e as Error).message}`); }
  const { writeImage } = await import('../io/image.ts');
  const { loadCodecModel, DEFAULT_CODEC_MODEL } = await import('../models/codec/store.ts');
  const { decodeRgru } = await import('../models/codec/codec.ts');
  const { RgruFormatError } = await import('../models/codec/bitstream.ts');
  const m = await loadCodecModel(flag(args, '--model') ?? DEFAULT_CODEC_MODEL);
  try {
  const t0 = performance.now();
  let r;
  try { r = await decodeRgru(m, bytes, { maxIterations: intFlag(args, '--iterations') }); } catch (e) {
    if (e instanceof RgruFormatError) throw new Error(`kiln codec decode: ${input}: ${e.message}`);
    throw e;
  }
  await writeImage(out, r.image);
  write(`${out}: ${r.image.width}x${r.image.height} from ${r.iterations} iteration${r.iterations === 1 ? '' : 's'} (${((performance.now() - t0) / 1000).toFixed(2)} s)\n`);
  return 0;
  } finally { m.dispose(); }
}

async function trainCmd(args: string[], write: (s: string) => void): Promise<number> {
  checkFlags(args, ['--data', '--out', '--steps', '--batch', '--lr', '--iterations', '--widths', '--reconstruction', '--no-residual', '--max-minutes', '--resume', '--seed']);
  const out = flag(args, '--out');
  if (!out) throw new Error('kiln codec train: --out DIR is required (where the model and its checkpoints go)');
  const { trainCodec, TRAIN_DEFAULTS } = await import('../models/codec/train.ts');
  const { specFor } = await import('../models/codec/model.ts');
  const { CODEC_DATA } = await import('../models/codec/data.ts');
  const { join } = await import('node:path');
  const widths = flag(args, '--widths') ?? 'small';
  if (widths !== 'small' && widths !== 'paper' && widths !== 'tiny') throw new Error(`kiln codec train: --widths must be small, paper or tiny, got ${JSON.stringify(widths)}`);
  const recon = flag(args, '--reconstruction') ?? 'one-shot';
  if (recon !== 'one-shot' && recon !== 'additive') throw new Error(`kiln codec train: --reconstruction must be one-shot or additive, got ${JSON.stringify(recon)}`);
  const spec = specFor(widths, { iterations: intFlag(args, '--iterations', 4), reconstruction: recon, residual: !args.includes('--no-residual') });
  const minutes = numFlag(args, '--max-minutes');
  const { model } = await trainCodec({
    data: flag(args, '--data') ?? join(CODEC_DATA, 'train'), out, spec,
    steps: intFlag(args, '--steps', TRAIN_DEFAULTS.steps)!, batch: intFlag(args, '--batch', TRAIN_DEFAULTS.batch)!,
    lr: numFlag(args, '--lr', TRAIN_DEFAULTS.lr)!, seed: intFlag(args, '--seed', TRAIN_DEFAULTS.seed)!,
    resume: args.includes('--resume'), checkpointEvery: TRAIN_DEFAULTS.checkpointEvery,
    maxSeconds: minutes ? minutes * 60 : 0,
    log: (l) => write(l + '\n'),
  });
  model.dispose();
  return 0;
}

async function evalCmd(args: string[], write: (s: string) => void): Promise<number> {
  checkFlags(args, ['--model', '--json', '--plot', '--crops', '--save']);
  const { evalCli } = await import('../models/codec/eval.ts');
  return evalCli(args, positionals(args), write);
}
