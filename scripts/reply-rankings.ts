// The cluster rankings compared in docs/smart_reply.md, on the dev pairs, from one scoring of the
// response set per message: sum / max / mean over a cluster's replies of p(reply|message)/p(reply),
// max plus 0.5 or 1 x log(cluster size) (max_g1 is the shipped rule), and the raw sum of p(reply|message).
//   node --import tsx scripts/reply-rankings.ts [MODEL_DIR] [N_DEV]
import { loadHam, loadReplyPairs } from '../src/models/reply/data.ts';
import { loadReplyModel } from '../src/models/reply/store.ts';
import { modelSpace } from '../src/models/reply/pipeline.ts';
import { DEFAULT_REPLY_MODEL } from '../src/models/reply/store.ts';
import { candidateSet, scoreResponses } from '../src/models/reply/suggest.ts';
import { assign, textVector } from '../src/models/reply/clusters.ts';
import { logAddExp } from '../src/decode/beam.ts';
const b = await loadReplyModel(process.argv[2] ?? DEFAULT_REPLY_MODEL);
const { pairs } = loadReplyPairs(loadHam());
const dev = pairs.filter((p) => p.split === 'dev').slice(0, Number(process.argv[3] ?? 1e9));
const space = await modelSpace(b);
const c = { k: b.responses.k, dim: b.responses.dim, centroids: Float32Array.from(b.responses.centroids) };
const cands = candidateSet(b.vocab, b.responses.texts);
const prior = Float32Array.from(b.responses.prior!);
const K = c.k; const size = new Float64Array(K); for (const x of b.responses.clusters) size[x]++;
const variants: Record<string, (logp: Float32Array) => number[]> = {
  sum: (lp) => { const e = new Float64Array(K).fill(-Infinity); lp.forEach((v, i) => { e[b.responses.clusters[i]] = logAddExp(e[b.responses.clusters[i]], v - prior[i]); }); return Array.from(e); },
  max: (lp) => { const e = new Float64Array(K).fill(-Infinity); lp.forEach((v, i) => { const q = b.responses.clusters[i]; e[q] = Math.max(e[q], v - prior[i]); }); return Array.from(e); },
  mean: (lp) => { const e = new Float64Array(K).fill(-Infinity); lp.forEach((v, i) => { e[b.responses.clusters[i]] = logAddExp(e[b.responses.clusters[i]], v - prior[i]); }); return Array.from(e, (x, q) => x - Math.log(size[q])); },
  max_g05: (lp) => { const e = new Float64Array(K).fill(-Infinity); lp.forEach((v, i) => { const q = b.responses.clusters[i]; e[q] = Math.max(e[q], v - prior[i]); }); return Array.from(e, (x, q) => x + 0.5 * Math.log(size[q])); },
  max_g1: (lp) => { const e = new Float64Array(K).fill(-Infinity); lp.forEach((v, i) => { const q = b.responses.clusters[i]; e[q] = Math.max(e[q], v - prior[i]); }); return Array.from(e, (x, q) => x + Math.log(size[q])); },
  raw: (lp) => { const e = new Float64Array(K).fill(-Infinity); lp.forEach((v, i) => { e[b.responses.clusters[i]] = logAddExp(e[b.responses.clusters[i]], v); }); return Array.from(e); },
};
const hits: Record<string, number> = {}; const tops: Record<string, Set<string>> = {};
for (const p of dev) {
  const want = assign(c, textVector(space, p.reply));
  const { logp } = await scoreResponses(b.model, b.vocab, p.message, 0, cands);
  for (const [name, f] of Object.entries(variants)) {
    const sc = f(logp); const top = Array.from(sc.keys()).sort((x, y) => sc[y] - sc[x]).slice(0, 3);
    hits[name] = (hits[name] ?? 0) + Number(top.includes(want)); (tops[name] ??= new Set()).add(top.join(','));
  }
}
console.log(`| cluster ranking (${dev.length} dev messages) | recall@3 | distinct top-3 sets |\n|---|---:|---:|`);
for (const n of Object.keys(variants)) console.log(`| ${n} | ${(100 * hits[n] / dev.length).toFixed(1)}% | ${tops[n].size} |`);
