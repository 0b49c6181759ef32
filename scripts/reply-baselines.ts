// The Smart Reply baselines of docs/smart_reply.md: extraction counts, then recall@3 of the most
// frequent replies and of retrieval on dev and test, with replies clustered in K clusters.
//   node --import tsx scripts/reply-baselines.ts [--clusters K]
import * as kiln from '../src/index.ts';
import { loadHam, loadReplyPairs, corpusParagraphs } from '../src/models/reply/data.ts';
import { kmeans, textVector, idfOf } from '../src/models/reply/clusters.ts';
import { frequentReplies, retrieval, clusterRecall } from '../src/models/reply/baselines.ts';
import { trainSkipGram } from '../src/models/topics/skipgram.ts';

const arg = (name: string) => { const i = process.argv.indexOf(name); return i > 0 ? process.argv[i + 1] : undefined; };
const K = Number(arg('--clusters') ?? 20);
await kiln.ready();
const docs = loadHam();
const { pairs, stats } = loadReplyPairs(docs);
console.log('extraction:', JSON.stringify(stats));
const paras = corpusParagraphs(docs);
const sg = await trainSkipGram(paras, { dim: 64, epochs: 5, minCount: 2, sample: 1e-3, seed: 1 });
console.log(`word vectors: ${paras.length} paragraphs, ${paras.reduce((a, p) => a + p.length, 0)} tokens, ${sg.vocab.words.length} words, ${sg.seconds.toFixed(0)} s`);
const space = { index: sg.vocab.index, vectors: sg.vectors, dim: sg.dim, idf: idfOf(sg.vocab.index, paras) };
const of = (s: string) => pairs.filter((p) => p.split === s);
const train = of('train');
const X = new Float32Array(train.length * space.dim);
train.forEach((p, i) => X.set(textVector(space, p.reply), i * space.dim));
const c = kmeans(X, train.length, space.dim, K, 1);
console.log(`| baseline (${K} clusters) | dev recall@3 | test recall@3 |\n|---|---:|---:|`);
for (const s of [frequentReplies(train, space, c), retrieval(train, space, c)]) {
  console.log(`| ${s.name} | ${(100 * clusterRecall(s, of('dev'), space, c)).toFixed(1)}% | ${(100 * clusterRecall(s, of('test'), space, c)).toFixed(1)}% |`);
}
