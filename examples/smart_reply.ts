// Smart Reply, as a library user calls it: the shipped model (models/reply) suggests three replies
// from different clusters for a message, then a user vector is fitted with L-BFGS (network frozen)
// to a few of that user's replies and the suggestions are made for that user.
//   node --import tsx examples/smart_reply.ts ["the incoming message"]
import { loadReplyModel } from '../src/models/reply/store.ts';
import { modelSuggester } from '../src/models/reply/pipeline.ts';
import { pairExamples, personalised } from '../src/models/reply/train.ts';
import { loadReplyPairs } from '../src/models/reply/data.ts';

export interface SmartReplyExampleResult { replies: string[]; before: number; after: number; fitSeconds: number }

export async function smartReplyExample(message = 'Has anyone got the new kernel working with this sound card?', log: (...m: unknown[]) => void = console.log): Promise<SmartReplyExampleResult> {
  const b = await loadReplyModel();
  try {
    const replies = await modelSuggester(b).suggest(message, 3);
    log(`message: ${message}`);
    replies.forEach((r, i) => log(`  suggestion ${i + 1}: ${r}`));
    // personalise: the most frequent sender's training replies, measured on their other replies
    const { pairs } = loadReplyPairs();
    const counts = new Map<string, number>();
    for (const p of pairs) counts.set(p.user, (counts.get(p.user) ?? 0) + 1);
    const user = [...counts].sort((a, c) => c[1] - a[1])[0][0];
    const mine = pairs.filter((p) => p.user === user);
    const fitOn = pairExamples(mine.filter((p) => p.split === 'train'), b.vocab, new Map());
    const held = pairExamples(mine.filter((p) => p.split !== 'train'), b.vocab, new Map());
    const { before, after, seconds } = await personalised(b.model, fitOn, held);
    log(`user ${user.replace(/@.*/, '@...')}: ${fitOn.length} replies fitted in ${seconds.toFixed(2)} s; held-out perplexity ${before.toFixed(1)} -> ${after.toFixed(1)}`);
    return { replies, before, after, fitSeconds: seconds };
  } finally {
    b.model.dispose();
  }
}

const isMain = process.argv[1] && /examples\/smart_reply\.ts$/.test(process.argv[1]);
if (isMain) smartReplyExample(process.argv[2]).then(() => process.exit(0));
