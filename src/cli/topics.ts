// `kiln topics train | predict | eval | neighbours` (docs/topics.md). Thin: parse flags, call
// src/models/topics.

import { flag as flagOf, intFlag as intFlagOf, readStdin } from './args.ts';

export const TOPICS_USAGE = `usage: kiln topics <command> [options]

  predict [--model DIR] [--all] < packages.jsonl > topics.jsonl
        input lines {"package", "summary", "description"}; one output line per input line:
        {"package", "topics": [{"tag", "score"}, ...]} best first (the topics over their tuned
        thresholds; --all: every topic's score), or {"package", "error"} for a bad line
  train [--data FILE] --out DIR [--epochs N] [--sg-epochs N] [--dim D] [--terms N] [--resume]
        skip-gram vectors on all the text, per-topic classifiers on the train split, thresholds on dev
  eval [--model DIR] [--data FILE] [--part classifiers|embeddings|all] [--shots 5,10,50,all]
       [--figure FILE.svg] [--json]
        classifiers: per-topic vs single multi-label vs TF-IDF + LR (and fastText supervised when
        installed) on the held-out split, with the few-shot curve; embeddings: skip-gram words/s
        and quality against fastText and gensim (when installed) on the same text and settings
  neighbours WORD [--model DIR] [--k 10]   nearest words by the model's vectors
  help`;

export interface TopicsIo {
  stdin?: () => Promise<string>;
  write?: (s: string) => void;
  error?: (s: string) => void;
}

export function flag(args: string[], name: string): string | undefined { return flagOf('topics', args, name); }
export function intFlag(args: string[], name: string, def?: number): number | undefined { return intFlagOf('topics', args, name, def); }

/** Parses predict's input: one package a line; a bad line becomes an error that keeps the line's "package" when it can be read. */
export function parsePackageLines(text: string): ({ package: string; summary: string; description: string; name: unknown } | { error: string; name: unknown })[] {
  const lines = text.split('\n');
  if (lines.length && lines[lines.length - 1] === '') lines.pop();
  return lines.map((raw, i) => {
    const line = raw.replace(/\r$/, '');
    const where = `line ${i + 1}`;
    if (!line.trim()) return { error: `${where}: empty line`, name: null };
    let v: unknown;
    try { v = JSON.parse(line); } catch (e) {
      const m = line.match(/"package"\s*:\s*("(?:[^"\\]|\\.)*")/);
      let name: unknown = null;
      if (m) { try { name = JSON.parse(m[1]); } catch { name = null; } }
      return { error: `${where}: malformed JSON (${(e as Error).message})`, name };
    }
    if (typeof v !== 'object' || v === null || Array.isArray(v)) return { error: `${where}: expected a JSON object {"package", "summary", "description"}`, name: null };
    const o = v as Record<string, unknown>;
    const text = (x: unknown) => (typeof x === 'string' ? x : x === undefined || x === null ? '' : typeof x === 'object' ? JSON.stringify(x) : String(x));
    const name = o.package ?? null;
    if (!text(o.summary).trim() && !text(o.description).trim() && !text(name).trim()) return { error: `${where}: no "package", "summary" or "description" to classify`, name };
    return { package: text(name), summary: text(o.summary), description: text(o.description), name };
  });
}

export async function topicsCli(args: string[], io: TopicsIo = {}): Promise<number> {
  const write = io.write ?? ((s: string) => process.stdout.write(s));
  const error = io.error ?? ((s: string) => process.stderr.write(s + '\n'));
  const [cmd, ...rest] = args;
  try {
    switch (cmd) {
      case 'predict': {
        const { loadTopicModel, predictTopics } = await import('../models/topics/model.ts');
        const { DEFAULT_MODEL } = await import('../models/topics/data.ts');
        const model = loadTopicModel(flag(rest, '--model') ?? DEFAULT_MODEL);
        const items = parsePackageLines(await (io.stdin ?? readStdin)());
        const good = items.filter((x): x is Extract<typeof x, { package: string }> => !('error' in x));
        const pred = good.length ? await predictTopics(model, good, rest.includes('--all')) : [];
        const byItem = new Map(good.map((g, i) => [g, pred[i]]));
        const out = items.map((it) => JSON.stringify('error' in it ? { package: it.name, error: it.error } : { package: it.name, topics: byItem.get(it)!.topics }));
        write(out.join('\n') + (out.length ? '\n' : ''));
        return 0;
      }
      case 'train': {
        const { trainTopicsCli } = await import('../models/topics/train.ts');
        return trainTopicsCli(rest, write);
      }
      case 'eval': {
        const { evalTopicsCli } = await import('../models/topics/eval.ts');
        return evalTopicsCli(rest, write);
      }
      case 'neighbours': case 'neighbors': {
        const { loadTopicModel } = await import('../models/topics/model.ts');
        const { DEFAULT_MODEL } = await import('../models/topics/data.ts');
        const { neighbours } = await import('../models/topics/skipgram.ts');
        const word = rest.filter((a, i) => !a.startsWith('--') && !(i > 0 && rest[i - 1].startsWith('--')))[0];
        if (!word) throw new Error('kiln topics neighbours: give a word, e.g. kiln topics neighbours editor');
        const m = loadTopicModel(flag(rest, '--model') ?? DEFAULT_MODEL);
        const w = word.toLowerCase();
        if (!m.vectors.index.has(w)) throw new Error(`kiln topics neighbours: '${w}' is not in the model's vocabulary (${m.vectors.words.length} words seen at least ${(m.config.settings.skipgram as { minCount?: number })?.minCount ?? 5} times)`);
        const nb = neighbours(m.vectors.words, m.vectors.vectors, m.vectors.dim, w, intFlag(rest, '--k', 10)!, m.vectors.index);
        write(nb.map((x) => `${x.word}\t${x.cos.toFixed(4)}`).join('\n') + '\n');
        return 0;
      }
      case undefined: case 'help': case '--help':
        write(TOPICS_USAGE + '\n');
        return cmd === undefined ? 2 : 0;
      default:
        error(`kiln topics: unknown command '${cmd}'\n${TOPICS_USAGE}`);
        return 2;
    }
  } catch (e) {
    error((e as Error).message);
    return 1;
  }
}
