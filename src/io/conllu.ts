// CoNLL-U (https://universaldependencies.org/format.html) reader and writer for the parser
// (docs/parser.md). The writer gives back every line it was given — comments, multiword-token
// ranges (1-2), empty nodes (8.1) and unknown columns — byte for byte, so `kiln parse` can fill
// HEAD/DEPREL/UPOS and leave everything else untouched. Errors name the file and line.

export const COLUMNS = ['ID', 'FORM', 'LEMMA', 'UPOS', 'XPOS', 'FEATS', 'HEAD', 'DEPREL', 'DEPS', 'MISC'] as const;

export interface ConlluRow {
  kind: 'word' | 'multiword' | 'empty';
  /** the ten columns as written */
  cols: string[];
  /** 1-based line number in the source */
  line: number;
}

export interface ConlluSentence {
  /** comment lines ('# ...') before the rows, as written */
  comments: string[];
  rows: ConlluRow[];
  /** the syntactic words (rows of kind 'word'), in order: words[i] has ID i + 1 */
  words: ConlluRow[];
  /** line of the sentence's first line */
  line: number;
}

export interface ReadOptions {
  /** name used in errors (default '<input>') */
  file?: string;
  /** HEAD and DEPREL must be filled (training and gold files); otherwise '_' is allowed (parser input) */
  requireTree?: boolean;
}

export class ConlluError extends Error {
  constructor(readonly file: string, readonly line: number, message: string) {
    super(`${file}:${line}: ${message}`);
    this.name = 'ConlluError';
  }
}

const INT = /^[1-9][0-9]*$/;
const RANGE = /^([1-9][0-9]*)-([1-9][0-9]*)$/;
const EMPTY = /^(0|[1-9][0-9]*)\.([1-9][0-9]*)$/;

export function parseConllu(text: string, options: ReadOptions = {}): ConlluSentence[] {
  const file = options.file ?? '<input>';
  if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
  const lines = text.split('\n');
  const out: ConlluSentence[] = [];
  let cur: ConlluSentence | null = null;
  const finish = (endLine: number) => {
    if (!cur) return;
    if (cur.words.length === 0) throw new ConlluError(file, cur.line, `a sentence with no words (only ${cur.rows.length ? 'multiword or empty rows' : 'comments'}) ending at line ${endLine}`);
    checkSentence(cur, file, options.requireTree ?? false);
    out.push(cur);
    cur = null;
  };
  for (let i = 0; i < lines.length; i++) {
    const ln = i + 1;
    const raw = lines[i].endsWith('\r') ? lines[i].slice(0, -1) : lines[i];
    if (raw.trim() === '') { finish(ln); continue; }
    if (!cur) cur = { comments: [], rows: [], words: [], line: ln };
    if (raw.startsWith('#')) {
      if (cur.rows.length) throw new ConlluError(file, ln, 'a comment line inside a sentence (comments come before the first row; a blank line ends a sentence)');
      cur.comments.push(raw);
      continue;
    }
    const cols = raw.split('\t');
    if (cols.length !== 10) throw new ConlluError(file, ln, `expected 10 tab-separated columns (${COLUMNS.join(' ')}), got ${cols.length}${cols.length === 1 && raw.includes(' ') ? ' (the columns are separated by spaces; CoNLL-U needs tabs)' : ''}`);
    for (let c = 0; c < 10; c++) if (cols[c] === '') throw new ConlluError(file, ln, `column ${COLUMNS[c]} is empty (write '_' for a missing value)`);
    const id = cols[0];
    const kind: ConlluRow['kind'] = INT.test(id) ? 'word' : RANGE.test(id) ? 'multiword' : EMPTY.test(id) ? 'empty' : (() => { throw new ConlluError(file, ln, `bad ID ${JSON.stringify(id)}: expected a word index (1, 2, ...), a range (3-4) or an empty node (5.1)`); })();
    const row: ConlluRow = { kind, cols, line: ln };
    if (kind === 'word') {
      const want = cur.words.length + 1;
      if (Number(id) !== want) throw new ConlluError(file, ln, `word ID ${id} out of order: expected ${want}`);
      cur.words.push(row);
    } else if (kind === 'multiword') {
      const [, a, b] = id.match(RANGE)!;
      if (Number(a) !== cur.words.length + 1 || Number(b) <= Number(a)) throw new ConlluError(file, ln, `multiword range ${id} must start at the next word (${cur.words.length + 1}) and span at least two words`);
    } else {
      const [, a] = id.match(EMPTY)!;
      if (Number(a) !== cur.words.length) throw new ConlluError(file, ln, `empty node ${id} must follow word ${a} (the last word so far is ${cur.words.length})`);
    }
    cur.rows.push(row);
  }
  finish(lines.length);
  return out;
}

function checkSentence(s: ConlluSentence, file: string, requireTree: boolean): void {
  const n = s.words.length;
  for (const r of s.rows) if (r.kind === 'multiword') {
    const b = Number(r.cols[0].split('-')[1]);
    if (b > n) throw new ConlluError(file, r.line, `multiword range ${r.cols[0]} goes past the sentence's last word (${n})`);
  }
  let roots = 0;
  for (const w of s.words) {
    const h = w.cols[6];
    if (h === '_') {
      if (requireTree) throw new ConlluError(file, w.line, `HEAD is '_': a training or gold file needs every word's head`);
      continue;
    }
    if (!(h === '0' || INT.test(h)) || Number(h) > n) throw new ConlluError(file, w.line, `HEAD ${JSON.stringify(h)} is not a word of this sentence (0 for the root, 1..${n})`);
    if (Number(h) === Number(w.cols[0])) throw new ConlluError(file, w.line, `word ${w.cols[0]} is its own head`);
    if (h === '0') roots++;
    if (requireTree && w.cols[7] === '_') throw new ConlluError(file, w.line, `DEPREL is '_': a training or gold file needs every word's relation`);
  }
  if (requireTree) {
    if (roots === 0) throw new ConlluError(file, s.line, 'the sentence has no root (no word with HEAD 0)');
    // every word reaches the root: no cycles
    const head = s.words.map((w) => Number(w.cols[6]));
    for (let i = 1; i <= n; i++) {
      let j = i, steps = 0;
      while (j !== 0 && steps <= n) { j = head[j - 1]; steps++; }
      if (j !== 0) throw new ConlluError(file, s.words[i - 1].line, `word ${i}'s heads form a cycle (it never reaches the root)`);
    }
  }
}

/** The text of the sentences: comments, rows, a blank line after each sentence. */
export function writeConllu(sentences: readonly ConlluSentence[]): string {
  const parts: string[] = [];
  for (const s of sentences) {
    for (const c of s.comments) parts.push(c);
    for (const r of s.rows) parts.push(r.cols.join('\t'));
    parts.push('');
  }
  return parts.length ? parts.join('\n') + '\n' : '';
}

/** HEAD of every word as numbers (0 = root, -1 = '_'). */
export function headsOf(s: ConlluSentence): number[] {
  return s.words.map((w) => (w.cols[6] === '_' ? -1 : Number(w.cols[6])));
}

/** The universal part of a relation ('nmod:poss' -> 'nmod'), as the CoNLL 2018 evaluation compares them. */
export function universalRel(deprel: string): string {
  const i = deprel.indexOf(':');
  return i < 0 ? deprel : deprel.slice(0, i);
}
