// `kiln reply suggest | train | eval` (docs/smart_reply.md). Thin: parse flags, call src/models/reply.
import { flag as flagOf, intFlag as intFlagOf, readStdin } from './args.ts';

export const REPLY_USAGE = `usage: kiln reply <command> [options]

  suggest [--model DIR] [--user ADDRESS] [--k 3] < messages.jsonl > replies.jsonl
        input lines {"id", "text"} (and optionally "user"); one output line per input line:
        {"id", "replies": [k suggestions, best first, each from a different cluster]}, or
        {"id", "error"} for a bad line (the other lines still get their replies)
  train --out DIR [--lm-epochs N] [--epochs N] [--hidden N] [--embed N] [--clusters K]
        [--softmax hierarchical|full] [--resume]
        word vectors and reply clusters, decoder pre-training on the mail corpus, then
        message -> reply training; dev perplexity picks the epoch; checkpoints every epoch
  eval [--model DIR] [--json]
        test perplexity and recall@3 of the model against the most-frequent-replies and the
        retrieval baselines, measured in the same run
  help`;

export interface ReplyIo {
  stdin?: () => Promise<string>;
  write?: (s: string) => void;
  error?: (s: string) => void;
}

const flag = (args: string[], name: string) => flagOf('reply', args, name);
const intFlag = (args: string[], name: string, def?: number) => intFlagOf('reply', args, name, def);

/** suggest's input: {"id", "text", "user"?} per line; a bad line becomes an error that keeps the id when it can be read. */
export function parseMessageLines(text: string): ({ id: unknown; text: string; user?: string } | { id: unknown; error: string })[] {
  const lines = text.split('\n');
  if (lines.length && lines[lines.length - 1] === '') lines.pop();
  return lines.map((raw, i) => {
    const line = raw.replace(/\r$/, '');
    const where = `line ${i + 1}`;
    if (!line.trim()) return { id: null, error: `${where}: empty line` };
    let v: unknown;
    try { v = JSON.parse(line); } catch (e) {
      const m = line.match(/"id"\s*:\s*("(?:[^"\\]|\\.)*"|-?[0-9.]+)/);
      let id: unknown = null;
      if (m) { try { id = JSON.parse(m[1]); } catch { id = null; } }
      return { id, error: `${where}: malformed JSON (${(e as Error).message})` };
    }
    if (typeof v !== 'object' || v === null || Array.isArray(v)) return { id: null, error: `${where}: expected a JSON object {"id", "text"}` };
    const o = v as Record<string, unknown>;
    const id = o.id ?? null;
    if (typeof o.text !== 'string') return { id, error: `${where}: "text" must be a string, got ${o.text === undefined ? 'nothing' : JSON.stringify(o.text)}` };
    if (!o.text.trim()) return { id, error: `${where}: "text" is empty` };
    if (o.user !== undefined && typeof o.user !== 'string') return { id, error: `${where}: "user" must be a string (a sender address)` };
    return { id, text: o.text, user: o.user as string | undefined };
  });
}

export async function replyCli(args: string[], io: ReplyIo = {}): Promise<number> {
  const write = io.write ?? ((s: string) => process.stdout.write(s));
  const error = io.error ?? ((s: string) => process.stderr.write(s + '\n'));
  const [cmd, ...rest] = args;
  try {
    switch (cmd) {
      case 'suggest': {
        const { loadReplyModel, DEFAULT_REPLY_MODEL } = await import('../models/reply/store.ts');
        const { modelSuggester } = await import('../models/reply/pipeline.ts');
        const k = intFlag(rest, '--k', 3)!;
        const b = await loadReplyModel(flag(rest, '--model') ?? DEFAULT_REPLY_MODEL);
        const userFlag = flag(rest, '--user');
        const suggesters = new Map<number, ReturnType<typeof modelSuggester>>();
        const forUser = (u: string | undefined) => {
          const row = u ? b.users.get(u.trim().toLowerCase()) ?? 0 : 0;
          let s = suggesters.get(row);
          if (!s) suggesters.set(row, (s = modelSuggester(b, row)));
          return s;
        };
        const input = await (io.stdin ?? readStdin)();
        let bad = 0;
        for (const item of parseMessageLines(input)) {
          if ('error' in item) { bad++; write(JSON.stringify({ id: item.id, error: item.error }) + '\n'); continue; }
          const replies = await forUser(item.user ?? userFlag).suggest(item.text, k);
          write(JSON.stringify({ id: item.id, replies }) + '\n');
        }
        if (bad) error(`kiln reply suggest: ${bad} line(s) had errors (see their "error" fields)`);
        b.model.dispose();
        return 0;
      }
      case 'train': {
        const { trainReply, REPLY_TRAIN_DEFAULTS: d } = await import('../models/reply/pipeline.ts');
        const out = flag(rest, '--out');
        if (!out) throw new Error('kiln reply train: --out DIR is required (the shipped model is models/reply)');
        const softmax = flag(rest, '--softmax') ?? 'hierarchical';
        if (softmax !== 'hierarchical' && softmax !== 'full') throw new Error(`kiln reply train: --softmax must be hierarchical or full, got ${JSON.stringify(softmax)}`);
        const b = await trainReply({
          out,
          lmEpochs: rest.includes('--lm-epochs') && flag(rest, '--lm-epochs') === '0' ? 0 : intFlag(rest, '--lm-epochs', d.lmEpochs)!,
          epochs: intFlag(rest, '--epochs', d.epochs)!,
          embed: intFlag(rest, '--embed', d.embed)!,
          hidden: intFlag(rest, '--hidden', d.hidden)!,
          userDim: d.userDim,
          clusters: intFlag(rest, '--clusters', d.clusters)!,
          softmax, lr: d.lr, seed: d.seed,
          resume: rest.includes('--resume'),
          log: error,
        });
        b.model.dispose();
        return 0;
      }
      case 'eval': {
        const { evalReply } = await import('../models/reply/eval.ts');
        const { DEFAULT_REPLY_MODEL } = await import('../models/reply/store.ts');
        const r = await evalReply(flag(rest, '--model') ?? DEFAULT_REPLY_MODEL, error);
        write(rest.includes('--json') ? JSON.stringify(r) + '\n' : r.table + '\n');
        return 0;
      }
      case undefined: case 'help': case '--help': case '-h':
        write(REPLY_USAGE + '\n');
        return cmd === undefined ? 2 : 0;
      default:
        error(`kiln reply: unknown command '${cmd}'\n\n${REPLY_USAGE}`);
        return 2;
    }
  } catch (e) {
    error(e instanceof Error ? e.message : String(e));
    return 1;
  }
}
