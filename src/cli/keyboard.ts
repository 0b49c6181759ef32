// `kiln keyboard decode | predict | translit | train | eval` (docs/keyboard.md). Thin: parse flags,
// call src/models/keyboard.

import { flag as flagOf, intFlag as intFlagOf, readStdin } from './args.ts';
export const KEYBOARD_USAGE = `usage: kiln keyboard <command> [options]

  decode [--model DIR] [--k 5] [--spatial lstm|gaussian] [--lang en,hi] < touches.jsonl > out.jsonl
        one output line per input line: {"id", "words", "scores", "predictions"}
        (or {"id", "error"} for a bad line; the other lines still decode);
        --lang en,hi decodes English and romanised Hindi at once, adding "langs" (one tag per word)
  predict --context "words so far" [--k 3] [--model DIR]
  translit --lang hi WORD [--k 5]       romanised Hindi -> Devanagari words
  train [--out DIR] [--steps N] [--kinds tap,glide] [--language-only]
  eval [--model DIR] [--words N] [--seed S] [--lang en,hi] [--json]   accuracy, keystroke savings, latency vs baselines
  help`;

export interface KeyboardIo {
  stdin?: () => Promise<string>;
  write?: (s: string) => void;
  error?: (s: string) => void;
}

function flag(args: string[], name: string): string | undefined { return flagOf('keyboard', args, name); }
function intFlag(args: string[], name: string, def: number): number { return intFlagOf('keyboard', args, name, def); }

/** Splits JSONL text into parsed objects or errors that carry the line's id when it can be read. */
export function parseTouchLines(text: string): (object | (Error & { id?: unknown }))[] {
  const lines = text.split('\n');
  if (lines.length && lines[lines.length - 1] === '') lines.pop();
  return lines.map((raw, i) => {
    const line = raw.replace(/\r$/, '');
    if (!line.trim()) return Object.assign(new Error(`line ${i + 1}: empty line`), { id: null });
    try {
      const v = JSON.parse(line);
      if (typeof v !== 'object' || v === null || Array.isArray(v)) return Object.assign(new Error(`line ${i + 1}: expected a JSON object`), { id: null });
      return v;
    } catch (e) {
      const m = line.match(/"id"\s*:\s*("(?:[^"\\]|\\.)*"|-?\d+(?:\.\d+)?)/);
      let id: unknown = null;
      if (m) { try { id = JSON.parse(m[1]); } catch { id = null; } }
      return Object.assign(new Error(`line ${i + 1}: malformed JSON (${(e as Error).message})`), { id });
    }
  });
}

export async function keyboardCli(args: string[], io: KeyboardIo = {}): Promise<number> {
  const write = io.write ?? ((s: string) => process.stdout.write(s));
  const error = io.error ?? ((s: string) => process.stderr.write(s + '\n'));
  const [cmd, ...rest] = args;
  try {
    switch (cmd) {
      case 'decode': {
        const { KeyboardDecoder } = await import('../models/keyboard/decoder.ts');
        const k = intFlag(rest, '--k', 5);
        const spatial = flag(rest, '--spatial');
        if (spatial !== undefined && spatial !== 'lstm' && spatial !== 'gaussian') throw new Error(`kiln keyboard decode: --spatial must be lstm or gaussian, got ${spatial}`);
        const languages = (flag(rest, '--lang') ?? 'en').split(',').map((l) => l.trim()).filter(Boolean);
        const dec = await KeyboardDecoder.load(flag(rest, '--model'), { spatial: spatial as 'lstm' | 'gaussian' | undefined, languages });
        const items = parseTouchLines(await (io.stdin ?? readStdin)());
        for (let i = 0; i < items.length; i += 512) {
          const out = await dec.decodeLines(items.slice(i, i + 512) as never, k);
          write(out.map((o) => JSON.stringify(o)).join('\n') + (out.length ? '\n' : ''));
        }
        dec.dispose();
        return 0;
      }
      case 'predict': {
        const { KeyboardDecoder } = await import('../models/keyboard/decoder.ts');
        const ctx = flag(rest, '--context') ?? '';
        const dec = await KeyboardDecoder.load(flag(rest, '--model'), { spatial: 'gaussian' });
        const words = dec.predict(ctx.toLowerCase().match(/[\p{L}\p{N}']+/gu) ?? [], intFlag(rest, '--k', 3));
        write(words.join('\n') + '\n');
        return 0;
      }
      case 'translit': {
        const lang = flag(rest, '--lang') ?? 'hi';
        if (lang !== 'hi') throw new Error(`kiln keyboard translit: --lang ${lang} is not supported (supported: hi)`);
        const word = rest.filter((a, i) => !a.startsWith('--') && !(i > 0 && rest[i - 1].startsWith('--')))[0];
        if (!word) throw new Error('kiln keyboard translit: give a romanised word, e.g. kiln keyboard translit --lang hi daanth');
        const hindi = await import('../models/keyboard/hindi.ts');
        const got = hindi.loadHindi().translit(word, intFlag(rest, '--k', 5));
        write(got.map((g) => g.word).join('\n') + '\n');
        return 0;
      }
      case 'train': {
        const { trainKeyboardCli } = await import('../models/keyboard/train.ts');
        return trainKeyboardCli(rest, write);
      }
      case 'eval': {
        const { evalKeyboardCli } = await import('../models/keyboard/eval.ts');
        return evalKeyboardCli(rest, write);
      }
      case undefined: case 'help': case '--help':
        write(KEYBOARD_USAGE + '\n');
        return cmd === undefined ? 2 : 0;
      default:
        error(`kiln keyboard: unknown command '${cmd}'\n${KEYBOARD_USAGE}`);
        return 2;
    }
  } catch (e) {
    error((e as Error).message);
    return 1;
  }
}
