// `kiln reply eval` (docs/smart_reply.md): on the test pairs, the model's perplexity and
// recall@3 against the two baselines, all with the model's own reply clusters, in one run; and
// the personalisation check (held-out perplexity of each frequent user before and after fitting
// the user's vector on that user's training replies).
import { loadHam, loadReplyPairs } from './data.ts';
import { frequentReplies, retrieval, clusterRecall } from './baselines.ts';
import { loadReplyModel } from './store.ts';
import { modelSpace, modelSuggester } from './pipeline.ts';
import { pairExamples, perplexity, personalised } from './train.ts';
import type { Clustering } from './clusters.ts';

export interface ReplyEvalResult {
  test: { pairs: number; perplexity: number; recall: Record<string, number> };
  users: { user: string; trainPairs: number; heldOut: number; before: number; after: number; fitSeconds: number }[];
  table: string;
}

export async function evalReply(dir: string, log: (s: string) => void = () => {}): Promise<ReplyEvalResult> {
  const b = await loadReplyModel(dir);
  try {
    const { pairs } = loadReplyPairs(loadHam());
    const train = pairs.filter((p) => p.split === 'train'), test = pairs.filter((p) => p.split === 'test');
    const space = await modelSpace(b);
    const c: Clustering = { k: b.responses.k, dim: b.responses.dim, centroids: Float32Array.from(b.responses.centroids) };
    const ppl = await perplexity(b.model, pairExamples(test, b.vocab, b.users));
    log(`[reply eval] test perplexity ${ppl.ppl.toFixed(1)} over ${ppl.tokens} tokens`);
    const recall: Record<string, number> = {};
    for (const s of [frequentReplies(train, space, c), retrieval(train, space, c)]) recall[s.name] = await clusterRecall(s, test, space, c, 3);
    const t0 = performance.now();
    const model = modelSuggester(b);
    recall[model.name] = await clusterRecall(model, test, space, c, 3);
    log(`[reply eval] recall@3 of ${test.length} test messages in ${((performance.now() - t0) / 1000).toFixed(0)} s`);

    // personalisation: users with >= 20 pairs; fit on their training pairs, score their dev+test pairs
    const byUser = new Map<string, typeof pairs>();
    for (const p of pairs) { const l = byUser.get(p.user); if (l) l.push(p); else byUser.set(p.user, [p]); }
    const users: ReplyEvalResult['users'] = [];
    for (const [user, ps] of byUser) {
      if (ps.length < 20) continue;
      const fitOn = ps.filter((p) => p.split === 'train'), held = ps.filter((p) => p.split !== 'train');
      if (fitOn.length < 5 || held.length < 2) continue;
      const r = await personalised(b.model, pairExamples(fitOn, b.vocab, new Map()), pairExamples(held, b.vocab, new Map()));
      users.push({ user, trainPairs: fitOn.length, heldOut: held.length, before: r.before, after: r.after, fitSeconds: r.seconds });
    }
    const pct = (x: number) => `${(100 * x).toFixed(1)}%`;
    const lines = [
      `test: ${test.length} messages, perplexity ${ppl.ppl.toFixed(1)} (${b.config.spec.softmax} softmax)`,
      '',
      '| suggester | recall@3 |',
      '|---|---:|',
      ...Object.entries(recall).map(([k, v]) => `| ${k} | ${pct(v)} |`),
      '',
      '| user | fitted on | held out | perplexity before | after | fit s |',
      '|---|---:|---:|---:|---:|---:|',
      ...users.map((u) => `| ${u.user.replace(/@.*/, '@...')} | ${u.trainPairs} | ${u.heldOut} | ${u.before.toFixed(1)} | ${u.after.toFixed(1)} | ${u.fitSeconds.toFixed(2)} |`),
      `${users.filter((u) => u.after < u.before).length} of ${users.length} users with 20+ pairs have a lower held-out perplexity once personalised`,
    ];
    return { test: { pairs: test.length, perplexity: ppl.ppl, recall }, users, table: lines.join('\n') };
  } finally {
    b.model.dispose();
  }
}
