// Smart Reply data: mail parsing (folded headers, quoted-printable, multipart), the quote
// structure of replies (bottom- and top-posted, greetings, Outlook's original-message block,
// fragments of interleaved quotes refused), the tokenizer, and the pairs of the real corpus split
// by thread.
import './setup.ts';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseMail, senderOf, threadOf, quoteDepth } from '../src/models/reply/mail.ts';
import { extractPair, tokenize, sentences, loadReplyPairs, splitOfThread, type ReplyPair } from '../src/models/reply/data.ts';
import { kmeans, assign, textVector, idfOf, type WordSpace } from '../src/models/reply/clusters.ts';
import { frequentReplies, retrieval, clusterRecall } from '../src/models/reply/baselines.ts';

const t = suite('reply');

t('mail: folded headers, quoted-printable, the text/plain part of a multipart message', () => {
  const raw = [
    'From: "Tom T." <Tom@Example.org>',
    'Subject: Re: [ILUG] a very',
    '  long subject',
    'Content-Type: multipart/alternative; boundary="XYZ"',
    '',
    'preamble',
    '--XYZ',
    'Content-Type: text/html',
    '',
    '<p>html</p>',
    '--XYZ',
    'Content-Type: text/plain; charset=iso-8859-1',
    'Content-Transfer-Encoding: quoted-printable',
    '',
    'caf=E9 and a soft=',
    'break',
    '--XYZ--',
  ].join('\r\n');
  const m = parseMail(raw);
  assert.is(m.headers.get('subject'), 'Re: [ILUG] a very long subject');
  assert.is(senderOf(m.headers.get('from')!), 'tom@example.org');
  assert.is(m.body.trim(), 'caf\u00e9 and a softbreak');
  assert.is(threadOf('Re: RE: [zzzzteana] Re: That wacky imam'), 'that wacky imam');
  assert.is(threadOf('Fwd: hello (was: goodbye)'), 'hello');
  assert.equal(quoteDepth('> > deep'), { depth: 2, text: 'deep' });
  assert.equal(quoteDepth('>>x'), { depth: 2, text: 'x' });
  assert.equal(quoteDepth('plain > text'), { depth: 0, text: 'plain > text' });
  assert.is(parseMail('no headers at all').body, '');
});

t('tokenize and sentences', () => {
  assert.equal(tokenize("Don't use http://x.org/a?b, mail me@x.ie: 3.5 GHz!"), ["don't", 'use', '<url>', 'mail', '<email>', ':', '0.0', 'ghz', '!']);
  assert.equal(sentences('It works. e.g. this one too! what now? ok'), ['It works.', 'e.g. this one too!', 'what now?', 'ok']);
});

t('extractPair: the first sentences below the quote, and the quote they answer', () => {
  const bottom = [
    'Nick Hilliard wrote:',
    '> > an older quote',
    '> Is the aDSL service NATed?',
    '> I would like to know.',
    '',
    'No, you get a real IP address. It is dynamic though. And more text that is not needed here at all, really.',
    '',
    '-- ',
    'sig',
  ].join('\n');
  assert.equal(extractPair(bottom), { message: 'Is the aDSL service NATed? I would like to know.', reply: 'No, you get a real IP address.' });
  // a short first sentence takes the next one with it (up to 8 tokens or more, never past 30)
  assert.is(extractPair(bottom.replace('No, you get a real IP address.', 'No.'))!.reply, 'No. It is dynamic though. And more text that is not needed here at all, really.');
  const top = ['Hi Marc,', '', 'Yes, that was fixed last week.', '', 'On Fri, Aug 02, 2002 at 03:01:42PM -0700, Marc wrote:', '> Is the trust bug fixed yet?'].join('\n');
  assert.equal(extractPair(top), { message: 'Is the trust bug fixed yet?', reply: 'Yes, that was fixed last week.' });
  const outlook = ['Sounds good to me.', '', '-----Original Message-----', 'From: a@b.c', 'Sent: Monday', 'Subject: x', '', 'Shall we meet on Monday at ten?'].join('\n');
  assert.equal(extractPair(outlook), { message: 'Shall we meet on Monday at ten?', reply: 'Sounds good to me.' });
  // refused: a fragment of an interleaved quote, code, a forward, no quote at all
  assert.is(extractPair(['> Mr Tim Chapman of Halifax,', 'Yorkshire,', '> announces his betrothal.'].join('\n')), null);
  assert.is(extractPair(['> How do I list big files?', '', '$ find / | xargs du -s | sort -n'].join('\n')), null);
  assert.is(extractPair(['--- begin forwarded text', '> a b c d', 'Nice one.'].join('\n')), null);
  assert.is(extractPair('Just a message with no quote in it.'), null);
});

t('the SpamAssassin ham: about 1,400 pairs, no thread in two splits, stable splits', () => {
  const { pairs, stats } = loadReplyPairs();
  assert.ok(stats.mails > 4000 && stats.pairs > 1200, JSON.stringify(stats));
  assert.ok(stats.bySplit.train > 0.7 * stats.pairs && stats.bySplit.test > 80 && stats.bySplit.dev > 80, JSON.stringify(stats.bySplit));
  const splitOf = new Map<string, string>();
  for (const p of pairs) {
    assert.is(splitOf.get(p.thread) ?? p.split, p.split, p.thread);
    splitOf.set(p.thread, p.split);
    assert.ok(tokenize(p.reply).length >= 2 && tokenize(p.reply).length <= 30, p.reply);
    assert.ok(tokenize(p.message).length >= 3 && tokenize(p.message).length <= 120, p.message);
    assert.ok(p.user.includes('@'), p.user);
  }
  assert.is(splitOfThread('that wacky imam'), splitOfThread('that wacky imam'));
  assert.is(new Set(pairs.map((p) => `${p.message}\u0000${p.reply}`)).size, pairs.length, 'deduplicated');
});

// a hand-made word space: 'yes'-words along axis 0, 'no'-words along 1, 'thanks'-words along 2
function toySpace(): WordSpace {
  const words = ['yes', 'sure', 'ok', 'no', 'nope', 'never', 'thanks', 'cheers', 'meet', 'monday', 'broken', 'bug', 'party'];
  const axis = [0, 0, 0, 1, 1, 1, 2, 2, 3, 3, 4, 4, 3];
  const vectors = new Float32Array(words.length * 5);
  axis.forEach((a, i) => { vectors[i * 5 + a] = 1; vectors[i * 5 + ((a + 1) % 5)] = 0.1 * (i % 3); });
  const index = new Map(words.map((w, i) => [w, i]));
  return { index, vectors, dim: 5, idf: idfOf(index, [words]) };
}

t('spherical k-means finds the three reply intents; every vector joins its own', () => {
  const space = toySpace();
  const texts = ['yes', 'sure ok', 'ok yes', 'no', 'nope never', 'never', 'thanks', 'cheers thanks', 'thanks cheers'];
  const X = new Float32Array(texts.length * 5);
  texts.forEach((x, i) => X.set(textVector(space, x), i * 5));
  const c = kmeans(X, texts.length, 5, 3, 4);
  const of = texts.map((x) => assign(c, textVector(space, x)));
  assert.is(new Set(of).size, 3);
  for (let g = 0; g < 3; g++) assert.is(new Set(of.slice(3 * g, 3 * g + 3)).size, 1, `group ${g}: ${of}`);
  assert.equal([...textVector(space, 'unknown words only')], [0, 0, 0, 0, 0]);
  assert.throws(() => kmeans(X, texts.length, 5, 10), /9 vectors cannot make 10 clusters/);
});

t('baselines: the most frequent replies, and retrieval by the nearest training message', async () => {
  const space = toySpace();
  const mk = (message: string, reply: string): ReplyPair => ({ id: message, user: 'u@x', thread: message, message, reply, split: 'train' });
  const train = [mk('shall we meet monday', 'sure ok'), mk('meet monday party', 'yes'), mk('party monday', 'ok yes'), mk('the bug is broken', 'no'), mk('thanks for the party', 'cheers'), mk('broken bug again', 'nope never')];
  const replies = train.map((p) => p.reply);
  const X = new Float32Array(replies.length * 5);
  replies.forEach((x, i) => X.set(textVector(space, x), i * 5));
  const c = kmeans(X, replies.length, 5, 3, 2);
  const freq = frequentReplies(train, space, c);
  assert.is(freq.suggest('anything', 3).length, 3);
  assert.is(assign(c, textVector(space, freq.suggest('anything', 1)[0])), assign(c, textVector(space, 'yes')), 'the largest cluster first');
  const ret = retrieval(train, space, c);
  const got = ret.suggest('is the bug broken', 3);
  assert.is(assign(c, textVector(space, got[0])), assign(c, textVector(space, 'no')), got.join(' | '));
  assert.is(new Set(got.map((r) => assign(c, textVector(space, r)))).size, got.length, 'one suggestion per cluster');
  const test = [mk('a broken bug', 'nope'), mk('monday then', 'sure')];
  assert.is(await clusterRecall(ret, test, space, c, 1), 1);
  assert.is(await clusterRecall(freq, test, space, c, 1), 0.5);
});

t('a tiny reply model trains, saves, loads, suggests from k clusters; bad lines get errors; a user vector fits', async () => {
  const { trainReply } = await import('../src/models/reply/pipeline.ts');
  const { replyCli } = await import('../src/cli/reply.ts');
  const { loadReplyModel } = await import('../src/models/reply/store.ts');
  const { fitUserEmbedding, pairExamples, perplexity } = await import('../src/models/reply/train.ts');
  const out = mkdtempSync(join(tmpdir(), 'kiln-reply-'));
  const lines: string[] = [];
  try {
    const b = await trainReply({ out, lmEpochs: 1, epochs: 3, embed: 16, hidden: 24, userDim: 4, clusters: 5, softmax: 'hierarchical', lr: 5e-3, seed: 2, resume: false, log: (l) => lines.push(l), lmLimit: 300, pairLimit: 200, maxWords: 2000 });
    const ppl = (b.config.results as { history: { stage: string; devPpl: number }[] }).history.filter((h) => h.stage === 'pairs').map((h) => h.devPpl);
    assert.ok(lines.some((l) => /replies epoch 3\/3 loss [0-9.]+ dev perplexity/.test(l)), lines.join('\n'));
    assert.ok(ppl[ppl.length - 1] < 2000 && ppl.every(Number.isFinite), `dev perplexities ${ppl}`);
    assert.ok(existsSync(join(out, 'model.safetensors')) && !existsSync(join(out, 'train-state.json')));
    b.model.dispose();

    let written = '', err = '';
    const input = ['{"id": 1, "text": "Does anyone know how to get the modem working under linux?"}', 'not json {"id": 7', '{"id": 3, "text": ""}', '{"id": "x", "text": "Thanks, that fixed it.", "user": "nobody@example.org"}', ''].join('\n');
    const code = await replyCli(['suggest', '--model', out, '--k', '3'], { stdin: async () => input, write: (x) => { written += x; }, error: (x) => { err += x; } });
    assert.is(code, 0, err);
    const rows = written.trim().split('\n').map((l) => JSON.parse(l));
    assert.equal(rows.map((r) => r.id), [1, 7, 3, 'x']);
    assert.is(rows[0].replies.length, 3);
    assert.is(new Set(rows[0].replies).size, 3);
    assert.match(rows[1].error, /line 2: malformed JSON/);
    assert.match(rows[2].error, /line 3: "text" is empty/);
    assert.is(rows[3].replies.length, 3);

    // the suggestions come from three different clusters of the shipped response set
    const m = await loadReplyModel(out);
    const clusterOf = new Map(m.responses.texts.map((t2, i) => [t2, m.responses.clusters[i]]));
    assert.is(new Set(rows[0].replies.map((r: string) => clusterOf.get(r))).size, 3);
    // a user vector fitted on a few pairs lowers that user's loss, the network untouched
    const { pairs } = loadReplyPairs();
    const mine = pairs.filter((p) => p.split === 'train').slice(0, 6);
    const ex = pairExamples(mine, m.vocab, new Map());
    const w0 = Array.from(await m.model.decoder.namedParameters()[0][1].data());
    const before = (await perplexity(m.model, ex)).loss;
    const fit = await fitUserEmbedding(m.model, ex, { maxIter: 10 });
    assert.ok(fit.after < before, `loss ${before} -> ${fit.after}`);
    assert.equal([...fit.vector.shape], [1, 4]);
    assert.equal(Array.from(await m.model.decoder.namedParameters()[0][1].data()), w0, 'the network stays frozen');
    fit.vector.dispose();
    // the response set scored in length-sorted batches equals each candidate scored alone
    const { candidateSet, scoreResponses, generate } = await import('../src/models/reply/suggest.ts');
    const cands = candidateSet(m.vocab, m.responses.texts.slice(0, 9));
    const together = await scoreResponses(m.model, m.vocab, 'is the server down again', 0, cands, { batch: 4 });
    for (let i = 0; i < 9; i++) {
      const alone = await scoreResponses(m.model, m.vocab, 'is the server down again', 0, { texts: [cands.texts[i]], ids: [cands.ids[i]] });
      assert.ok(Math.abs(alone.logp[0] - together.logp[i]) < 1e-3 * Math.max(1, Math.abs(alone.logp[0])), `candidate ${i}: ${alone.logp[0]} vs ${together.logp[i]}`);
    }
    // beam generation: at most beam results, best first, never <unk>, at least minLength words
    const gen = await generate(m.model, m.vocab, 'is the server down again', 0, { beam: 4, maxLength: 8, minLength: 2 });
    assert.ok(gen.length >= 1 && gen.length <= 4, `${gen.length} results`);
    for (let i = 1; i < gen.length; i++) assert.ok(gen[i - 1].rank >= gen[i].rank, 'sorted by rank');
    for (const g of gen) { assert.not.match(g.text, /<unk>/); assert.ok(tokenize(g.text).length >= 2, g.text); assert.ok(Number.isFinite(g.logp) && g.logp < 0); }
    m.model.dispose();
  } finally {
    rmSync(out, { recursive: true, force: true });
  }
});

t.run();
