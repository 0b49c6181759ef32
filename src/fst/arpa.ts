// ARPA back-off language model files (SRILM/KenLM/OpenGrm's interchange format) <-> NgramModel.
// ARPA stores log10 probabilities and backoff weights; NgramModel keeps natural logs.
import { KilnFstError } from './errors.ts';
import { BOS, NgramModel } from './ngram.ts';

const NUM_RE = /^[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?$/;

/**
 * Parses an ARPA file. Errors (KilnFstError, `file:line: ...`): missing \data\ or \end\,
 * counts that disagree with the header, malformed entries, non-numeric numbers, an n-gram whose
 * history is not listed at the order below.
 */
export function parseArpa(text: string, file = 'arpa'): NgramModel {
  const lines = text.split('\n');
  let i = 0;
  const at = (n: number) => `${file}:${n + 1}`;
  while (i < lines.length && lines[i].trim() !== '\\data\\') i++;
  if (i === lines.length) throw new KilnFstError(`${file}: no \\data\\ section: not an ARPA file`);
  i++;
  const counts: number[] = [];
  for (; i < lines.length; i++) {
    const t = lines[i].trim();
    if (t === '') { if (counts.length) break; continue; }
    const m = /^ngram\s+(\d+)\s*=\s*(\d+)$/.exec(t);
    if (!m) break;
    if (Number(m[1]) !== counts.length + 1) throw new KilnFstError(`${at(i)}: expected 'ngram ${counts.length + 1}=COUNT', got '${t}'`);
    counts.push(Number(m[2]));
  }
  if (counts.length === 0) throw new KilnFstError(`${at(i)}: the \\data\\ section lists no 'ngram N=COUNT' line`);
  const model = new NgramModel(counts.length);
  let n = 0;
  let ended = false;
  const seen = counts.map(() => 0);
  for (; i < lines.length; i++) {
    const t = lines[i].trim();
    if (t === '') continue;
    if (t === '\\end\\') { ended = true; break; }
    const sec = /^\\(\d+)-grams:$/.exec(t);
    if (sec) {
      if (n > 0 && seen[n - 1] !== counts[n - 1]) throw new KilnFstError(`${at(i)}: the header says ${counts[n - 1]} ${n}-grams, the section has ${seen[n - 1]}`);
      n = Number(sec[1]);
      if (n < 1 || n > counts.length) throw new KilnFstError(`${at(i)}: section ${t} but the header lists orders 1..${counts.length}`);
      continue;
    }
    if (n === 0) throw new KilnFstError(`${at(i)}: '${t}' outside an \\N-grams: section`);
    const cols = t.split(/\s+/);
    if (cols.length !== n + 1 && cols.length !== n + 2) throw new KilnFstError(`${at(i)}: a ${n}-gram line needs 'log10prob w1 .. w${n} [log10backoff]', got ${cols.length} fields`);
    for (const c of [cols[0], cols.length === n + 2 ? cols[n + 1] : '0']) {
      if (!NUM_RE.test(c)) throw new KilnFstError(`${at(i)}: bad number '${c}' (expected a log10 value)`);
    }
    const g = n === 1 ? cols[1] : cols.slice(1, n + 1).join(' ');
    if (n > 1) {
      const h = g.slice(0, g.lastIndexOf(' '));
      if (!model.grams[n - 2].has(h)) throw new KilnFstError(`${at(i)}: ${n}-gram '${g}' has no listed history '${h}' among the ${n - 1}-grams`);
    }
    const table = model.grams[n - 1];
    const before = table.size;
    table.set(g, { logProb: Number(cols[0]) * Math.LN10, backoff: cols.length === n + 2 ? Number(cols[n + 1]) * Math.LN10 : 0 });
    if (table.size === before) throw new KilnFstError(`${at(i)}: ${n}-gram '${g}' is listed twice`);
    seen[n - 1]++;
  }
  if (!ended) throw new KilnFstError(`${file}:${lines.length}: missing \\end\\`);
  for (let k = 0; k < counts.length; k++) {
    if (seen[k] !== counts[k]) throw new KilnFstError(`${file}: the header says ${counts[k]} ${k + 1}-grams, the file has ${seen[k]}`);
  }
  return model;
}

/** log10 value with 9 significant digits (trailing zeros dropped; -99 for probability zero). */
function fmt(ln: number): string {
  const x = ln / Math.LN10;
  if (x <= -99 || !Number.isFinite(x)) return '-99';
  const s = String(Number(x.toPrecision(9)));
  return s === '-0' ? '0' : s;
}

/** Writes a model as ARPA text (log10, 9 significant digits; backoff written when not 1, always for <s>). */
export function toArpa(model: NgramModel): string {
  const out: string[] = ['', '\\data\\'];
  for (let k = 1; k <= model.order; k++) out.push(`ngram ${k}=${model.grams[k - 1].size}`);
  for (let k = 1; k <= model.order; k++) {
    out.push('', `\\${k}-grams:`);
    const hasNext = k < model.order;
    for (const [g, e] of model.grams[k - 1]) {
      const bo = hasNext && (e.backoff !== 0 || g === BOS) ? `\t${fmt(e.backoff)}` : '';
      out.push(`${fmt(e.logProb)}\t${g}${bo}`);
    }
  }
  out.push('', '\\end\\', '');
  return out.join('\n');
}
