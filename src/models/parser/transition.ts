// The labelled arc-standard transition system (Nivre 2004) with the root at the bottom of the
// stack, its static oracle, projectivity, and the Chen & Manning (2014) feature template
// (docs/parser.md).
//
// Actions: 0 = SHIFT, 1 + l = LEFT-ARC(l) (s2 <- s1: s2 gets head s1, label l, and leaves the
// stack), 1 + L + l = RIGHT-ARC(l) (s2 -> s1: s1 gets head s2 and leaves). The root (token 0) may
// take a dependent only when the buffer is empty, so every parse has exactly one root word; a
// sentence of n words takes exactly 2n actions.
//
// The arc-hybrid system (Kuhlmann et al. 2011) is the same but for LEFT-ARC(l): s1 <- b0 (the top
// of the stack gets the front of the buffer as its head and leaves). Same actions, same count.

export const SHIFT = 0;

export function leftArc(label: number): number { return 1 + label; }
export function rightArc(label: number, labels: number): number { return 1 + labels + label; }
export function actionCount(labels: number): number { return 1 + 2 * labels; }

/**
 * One parser configuration. Tokens are 0 = root, 1..n = words. All arrays live in one Int32Array
 * (a beam clones thousands of states a step): [stack | heads | labels | lc1 | lc2 | rc1 | rc2],
 * n + 1 entries each; -1 = none.
 */
export type TransitionSystem = 'arc-standard' | 'arc-hybrid';

export class ParseState {
  readonly n: number;
  readonly system: TransitionSystem;
  readonly buf: Int32Array;
  sp: number;
  /** next buffer word (n + 1 = empty) */
  bi: number;
  /** actions taken so far */
  steps: number;

  constructor(n: number, from?: ParseState, system: TransitionSystem = 'arc-standard') {
    this.n = n;
    this.system = from ? from.system : system;
    if (from) {
      this.buf = from.buf.slice(); this.sp = from.sp; this.bi = from.bi; this.steps = from.steps;
      return;
    }
    this.buf = new Int32Array(7 * (n + 1)).fill(-1);
    this.buf[0] = 0; this.sp = 1; this.bi = 1; this.steps = 0;
  }

  clone(): ParseState { return new ParseState(this.n, this); }

  /** heads[t] of every token (-1 = none yet) */
  get heads(): Int32Array { return this.buf.subarray(this.n + 1, 2 * (this.n + 1)); }
  /** labels[t] of every token (-1 = none yet) */
  get labels(): Int32Array { return this.buf.subarray(2 * (this.n + 1), 3 * (this.n + 1)); }
  head(t: number): number { return this.buf[this.n + 1 + t]; }
  label(t: number): number { return this.buf[2 * (this.n + 1) + t]; }
  /** k: 0 = leftmost, 1 = second leftmost, 2 = rightmost, 3 = second rightmost child of t (-1 = none) */
  child(t: number, k: number): number { return t < 0 ? -1 : this.buf[(3 + k) * (this.n + 1) + t]; }

  get done(): boolean { return this.bi > this.n && this.sp === 1; }

  /** the i-th token from the top of the stack (0 = top), -1 if none */
  s(i: number): number { return this.sp - 1 - i >= 0 ? this.buf[this.sp - 1 - i] : -1; }
  /** the i-th word of the buffer (0 = front), -1 if none */
  b(i: number): number { return this.bi + i <= this.n ? this.bi + i : -1; }

  canShift(): boolean { return this.bi <= this.n; }
  canLeft(): boolean { return this.system === 'arc-hybrid' ? this.sp >= 2 && this.bi <= this.n : this.sp >= 3; }
  canRight(): boolean { return this.sp >= 3 || (this.sp === 2 && this.bi > this.n); }

  legal(action: number, labels: number): boolean {
    if (action === SHIFT) return this.canShift();
    return action <= labels ? this.canLeft() : this.canRight();
  }

  apply(action: number, labels: number): void {
    const m = this.n + 1, u = this.buf;
    if (action === SHIFT) {
      if (!this.canShift()) throw new Error('ParseState: SHIFT with an empty buffer');
      u[this.sp++] = this.bi++;
    } else if (action <= labels && this.system === 'arc-hybrid') {
      if (!this.canLeft()) throw new Error('ParseState: arc-hybrid LEFT-ARC needs a word on the stack and one in the buffer');
      const s1 = u[this.sp - 1], b0 = this.bi;
      u[m + s1] = b0; u[2 * m + s1] = action - 1;
      u[4 * m + b0] = u[3 * m + b0]; u[3 * m + b0] = s1; // b0's left children come outwards too
      this.sp--;
    } else if (action <= labels) {
      if (!this.canLeft()) throw new Error('ParseState: LEFT-ARC needs two words on the stack');
      const s1 = u[this.sp - 1], s2 = u[this.sp - 2];
      u[m + s2] = s1; u[2 * m + s2] = action - 1;
      u[4 * m + s1] = u[3 * m + s1]; u[3 * m + s1] = s2; // arc-standard adds left children outwards
      u[this.sp - 2] = s1; this.sp--;
    } else {
      if (!this.canRight()) throw new Error('ParseState: RIGHT-ARC needs two tokens on the stack (the root only once the buffer is empty)');
      const s1 = u[this.sp - 1], s2 = u[this.sp - 2];
      u[m + s1] = s2; u[2 * m + s1] = action - 1 - labels;
      u[6 * m + s2] = u[5 * m + s2]; u[5 * m + s2] = s1; // and right children outwards
      this.sp--;
    }
    this.steps++;
  }
}

/**
 * True when no two arcs cross, the root's arc (from position 0) included: exactly the trees the
 * arc-standard system can build. heads[i - 1] is the head of word i.
 */
export function isProjective(heads: ArrayLike<number>): boolean {
  const n = heads.length;
  for (let i = 1; i <= n; i++) {
    const a = Math.min(i, heads[i - 1]), b = Math.max(i, heads[i - 1]);
    for (let j = i + 1; j <= n; j++) {
      const c = Math.min(j, heads[j - 1]), d = Math.max(j, heads[j - 1]);
      if ((a < c && c < b && b < d) || (c < a && a < d && d < b)) return false;
    }
  }
  return true;
}

/**
 * The static oracle's action sequence for a projective tree (heads[i-1], labels[i-1] of word i;
 * labels as ids). Throws on a non-projective tree.
 */
export function oracleActions(heads: ArrayLike<number>, labels: ArrayLike<number>, labelCount: number, system: TransitionSystem = 'arc-standard'): number[] {
  const n = heads.length;
  const pending = new Int32Array(n + 1); // children not attached yet
  for (let i = 1; i <= n; i++) pending[heads[i - 1]]++;
  const st = new ParseState(n, undefined, system);
  const hybrid = system === 'arc-hybrid';
  const out: number[] = [];
  while (!st.done) {
    const s1 = st.s(0), s2 = st.s(1);
    let a: number;
    if (hybrid && st.canLeft() && s1 > 0 && heads[s1 - 1] === st.b(0) && pending[s1] === 0) a = leftArc(labels[s1 - 1]);
    else if (!hybrid && st.canLeft() && heads[s2 - 1] === s1) a = leftArc(labels[s2 - 1]);
    else if (s2 >= 0 && s1 > 0 && heads[s1 - 1] === s2 && pending[s1] === 0 && st.canRight()) a = rightArc(labels[s1 - 1], labelCount);
    else if (st.canShift()) a = SHIFT;
    else throw new Error('oracleActions: the tree is not projective (or not a tree): no action reaches it');
    if (a !== SHIFT) pending[a > labelCount ? s2 : hybrid ? st.b(0) : s1]--;
    st.apply(a, labelCount);
    out.push(a);
  }
  return out;
}

// ---- features (Chen & Manning 2014) ----

/** 18 words, 18 tags, 12 labels. */
export const WORD_FEATURES = 18, TAG_FEATURES = 18, LABEL_FEATURES = 12;
export const FEATURES = WORD_FEATURES + TAG_FEATURES + LABEL_FEATURES;
/** Reserved ids of every feature vocabulary: no token there, unknown, the root token. */
export const NULL_ID = 0, UNK_ID = 1, ROOT_ID = 2;

/**
 * Writes the 48 feature ids of `st` into out[at .. at + 48): words (ids from `wordIds`, token 0 =
 * ROOT), tags (`tagIds`), labels (1 + label, NULL_ID when the token has none).
 * wordIds / tagIds are per token 0..n (index 0 = the root's id).
 */
export function extractFeatures(st: ParseState, wordIds: ArrayLike<number>, tagIds: ArrayLike<number>, out: Int32Array, at: number): void {
  const tok = TOKENS;
  const s1 = st.s(0), s2 = st.s(1);
  tok[0] = s1; tok[1] = s2; tok[2] = st.s(2); tok[3] = st.b(0); tok[4] = st.b(1); tok[5] = st.b(2);
  let k = 6;
  for (const s of [s1, s2]) {
    const l1 = st.child(s, 0), r1 = st.child(s, 2);
    tok[k++] = l1; tok[k++] = r1; tok[k++] = st.child(s, 1); tok[k++] = st.child(s, 3);
    tok[k++] = st.child(l1, 0); tok[k++] = st.child(r1, 2);
  }
  for (let i = 0; i < 18; i++) {
    const t = tok[i];
    out[at + i] = t < 0 ? NULL_ID : wordIds[t];
    out[at + 18 + i] = t < 0 ? NULL_ID : tagIds[t];
  }
  for (let i = 0; i < 12; i++) {
    const t = tok[6 + i];
    out[at + 36 + i] = t < 0 ? NULL_ID : 1 + st.label(t);
  }
}
const TOKENS = new Int32Array(18);
