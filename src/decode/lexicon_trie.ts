// The decoder's lexicon: a key trie (a deterministic key-to-word transducer whose word labels sit
// at the end of their spelling), with weight pushing for LM lookahead: best[n] is the cost of the
// cheapest word below node n, so a search that is inside a word already knows a lower bound of
// the word cost it will pay. The trie is the lexicon transducer L in the form a CTC search wants:
// one state per typed prefix (prefix merging is exact), so a 50k-word lexicon costs one trie walk,
// never a composition with the LM. Words can be added at run time (a user dictionary).
import { EPSILON, VectorFst } from '../fst/fst.ts';
import { TropicalSemiring } from '../fst/semiring.ts';
import { SymbolTable } from '../fst/symbols.ts';

export interface TrieOptions {
  /** The key alphabet, one character per key; key i gets label i + 1 (label 0 is CTC's blank / epsilon). */
  keys: string;
  /** Characters that may be left out when typing, the word still reached (default "'": "ive" -> "I've"). */
  optionalChars?: string;
  /** Extra cost of a spelling that leaves them out (default 0). */
  omitCost?: number;
  /** Collapse doubled keys ("hello" is spelled h e l o): for glides, where a trace visits a key once. */
  collapseRepeats?: boolean;
}

export class LexiconTrie {
  readonly keys: string;
  readonly optionalChars: string;
  readonly omitCost: number;
  readonly collapseRepeats: boolean;
  private readonly labelOfChar = new Map<string, number>();
  // Nodes (0 = root): the key label of the arc into the node, its parent, first child, next sibling.
  readonly label: number[] = [0];
  readonly parent: number[] = [-1];
  private readonly firstChild: number[] = [-1];
  private readonly nextSibling: number[] = [-1];
  /** Cheapest word cost in the subtree of each node (Infinity when none): the pushed lookahead. */
  readonly best: number[] = [Infinity];
  /** Word ids ending at each node (a spelling may spell several words: its / it's). */
  readonly wordsAt: (number[] | undefined)[] = [undefined];
  /** Cost of each of wordsAt[n] when reached by this spelling (word cost + the spelling's extra). */
  readonly costsAt: (number[] | undefined)[] = [undefined];
  readonly words: string[] = [];
  /** The nodes where each word's spellings end. */
  readonly wordNodes: number[][] = [];
  readonly wordCost: number[] = [];
  private readonly idOf = new Map<string, number>();

  constructor(opts: TrieOptions) {
    if (!opts.keys) throw new Error('LexiconTrie: keys must be a non-empty string of key characters');
    this.keys = opts.keys;
    [...opts.keys].forEach((c, i) => {
      if (this.labelOfChar.has(c)) throw new Error(`LexiconTrie: key '${c}' is listed twice in keys`);
      this.labelOfChar.set(c, i + 1);
    });
    this.optionalChars = opts.optionalChars ?? "'";
    this.omitCost = opts.omitCost ?? 0;
    this.collapseRepeats = opts.collapseRepeats ?? false;
  }

  /** An independent copy (same options, nodes, words and costs): cheaper than adding every word again. */
  clone(): LexiconTrie {
    const t = new LexiconTrie({ keys: this.keys, optionalChars: this.optionalChars, omitCost: this.omitCost, collapseRepeats: this.collapseRepeats });
    const copy = <T,>(dst: T[], src: readonly T[]) => { dst.length = 0; for (const x of src) dst.push(x); };
    copy(t.label, this.label); copy(t.parent, this.parent); copy(t.firstChild, this.firstChild); copy(t.nextSibling, this.nextSibling);
    copy(t.best, this.best); copy(t.words, this.words); copy(t.wordCost, this.wordCost);
    copy(t.wordsAt, this.wordsAt.map((a) => a?.slice()));
    copy(t.costsAt, this.costsAt.map((a) => a?.slice()));
    copy(t.wordNodes, this.wordNodes.map((a) => a.slice()));
    for (const [w, id] of this.idOf) t.idOf.set(w, id);
    return t;
  }

  get numNodes(): number { return this.label.length; }
  get numLabels(): number { return this.labelOfChar.size; }

  /** Label of a key character (1-based), or -1. */
  labelOf(ch: string): number { return this.labelOfChar.get(ch) ?? -1; }
  /** Key character of a label. */
  keyOf(label: number): string { return [...this.keys][label - 1]; }

  /** The child of `node` by key `label`, or -1. */
  child(node: number, label: number): number {
    for (let c = this.firstChild[node]; c !== -1; c = this.nextSibling[c]) if (this.label[c] === label) return c;
    return -1;
  }

  /** Calls fn(child, label) for each child of node. */
  forEachChild(node: number, fn: (child: number, label: number) => void): void {
    for (let c = this.firstChild[node]; c !== -1; c = this.nextSibling[c]) fn(c, this.label[c]);
  }

  /** The node reached by typing `keys` (a string of key characters), or -1. */
  walk(keys: string, from = 0): number {
    let n = from;
    for (const ch of keys) {
      const l = this.labelOf(ch);
      if (l < 0) return -1;
      n = this.child(n, l);
      if (n < 0) return -1;
    }
    return n;
  }

  /** The key string of a node (the typed prefix it stands for). */
  prefixOf(node: number): string {
    const out: string[] = [];
    for (let n = node; n > 0; n = this.parent[n]) out.push(this.keyOf(this.label[n]));
    return out.reverse().join('');
  }

  /** Word id, or -1. */
  wordId(word: string): number { return this.idOf.get(word) ?? -1; }

  /** Key spellings of a word: lower-cased, optional characters kept and left out, repeats collapsed if asked. */
  spellings(word: string): { keys: string; extra: number }[] {
    const lower = word.toLowerCase();
    const bad = [...lower].find((c) => !this.labelOfChar.has(c) && !this.optionalChars.includes(c));
    if (bad !== undefined) throw new Error(`LexiconTrie.add: word ${JSON.stringify(word)} has the character ${JSON.stringify(bad)}, which is not a key (keys: ${this.keys})`);
    const full = [...lower].filter((c) => !this.optionalChars.includes(c)).join('');
    const out = new Map<string, number>();
    const put = (k: string, extra: number) => {
      const s = this.collapseRepeats ? k.replace(/(.)\1+/g, '$1') : k;
      if (s && (out.get(s) ?? Infinity) > extra) out.set(s, extra);
    };
    const hasOptional = [...lower].some((c) => this.optionalChars.includes(c));
    // typed as written (an optional character that is not a key cannot be typed: left out for free)
    const asTyped = [...lower].filter((c) => this.labelOfChar.has(c)).join('');
    put(asTyped, 0);
    if (hasOptional) put(full, this.omitCost);
    return [...out].map(([keys, extra]) => ({ keys, extra }));
  }

  /** Checks given spellings (keys only, extra >= 0), collapsing repeats where the trie does. */
  private given(word: string, spellings: readonly { keys: string; extra?: number }[]): { keys: string; extra: number }[] {
    if (!spellings.length) throw new Error(`LexiconTrie.add: ${JSON.stringify(word)} was given an empty list of spellings`);
    const out = new Map<string, number>();
    for (const sp of spellings) {
      const extra = sp.extra ?? 0;
      if (typeof sp.keys !== 'string' || !sp.keys) throw new Error(`LexiconTrie.add: a spelling of ${JSON.stringify(word)} must be a non-empty string of keys, got ${JSON.stringify(sp.keys)}`);
      if (!(extra >= 0)) throw new Error(`LexiconTrie.add: spelling ${JSON.stringify(sp.keys)} of ${JSON.stringify(word)} has extra cost ${extra}; it must be >= 0`);
      const lower = sp.keys.toLowerCase();
      const bad = [...lower].find((c) => !this.labelOfChar.has(c));
      if (bad !== undefined) throw new Error(`LexiconTrie.add: spelling ${JSON.stringify(sp.keys)} of ${JSON.stringify(word)} has the character ${JSON.stringify(bad)}, which is not a key (keys: ${this.keys})`);
      const k = this.collapseRepeats ? lower.replace(/(.)\1+/g, '$1') : lower;
      if ((out.get(k) ?? Infinity) > extra) out.set(k, extra);
    }
    return [...out].map(([keys, extra]) => ({ keys, extra }));
  }

  /**
   * Adds a word with its cost (e.g. -ln unigram probability); a word added again keeps the lower
   * cost. Returns the word id. The lookahead of every node on its paths is updated.
   * `spellings`: the key strings that type the word, each with an extra cost, instead of the word's
   * own letters (a word in another script typed by its romanisations: दांत as "daant" or "dant");
   * repeats are collapsed as for any word when the trie collapses them.
   */
  add(word: string, cost = 0, spellings?: readonly { keys: string; extra?: number }[]): number {
    if (typeof word !== 'string' || word.length === 0 || /\s/.test(word)) throw new Error(`LexiconTrie.add: a word must be a non-empty string without whitespace, got ${JSON.stringify(word)}`);
    if (Number.isNaN(cost)) throw new Error(`LexiconTrie.add: cost of ${JSON.stringify(word)} is NaN`);
    let id = this.idOf.get(word);
    if (id === undefined) {
      id = this.words.length;
      this.words.push(word);
      this.wordCost.push(cost);
      this.wordNodes.push([]);
      this.idOf.set(word, id);
    } else this.wordCost[id] = Math.min(this.wordCost[id], cost);
    for (const { keys, extra } of spellings ? this.given(word, spellings) : this.spellings(word)) {
      let n = 0;
      const c = this.wordCost[id] + extra;
      if (this.best[0] > c) this.best[0] = c;
      for (const ch of keys) {
        const l = this.labelOfChar.get(ch)!;
        let m = this.child(n, l);
        if (m < 0) m = this.newNode(n, l);
        if (this.best[m] > c) this.best[m] = c;
        n = m;
      }
      const at = (this.wordsAt[n] ??= []);
      const costs = (this.costsAt[n] ??= []);
      const j = at.indexOf(id);
      if (j < 0) { at.push(id); costs.push(c); this.wordNodes[id].push(n); } else costs[j] = Math.min(costs[j], c);
    }
    return id;
  }

  /** Cost of word `id` as reached at `node` (its spelling's extra cost included); Infinity if it does not end there. */
  costAt(node: number, id: number): number {
    const j = this.wordsAt[node]?.indexOf(id) ?? -1;
    return j < 0 ? Infinity : this.costsAt[node]![j];
  }

  private newNode(parent: number, label: number): number {
    const n = this.label.length;
    this.label.push(label);
    this.parent.push(parent);
    this.firstChild.push(-1);
    this.nextSibling.push(this.firstChild[parent]);
    this.firstChild[parent] = n;
    this.best.push(Infinity);
    this.wordsAt.push(undefined);
    this.costsAt.push(undefined);
    return n;
  }

  /**
   * The k cheapest words at or below `node` by lexicon cost, cheapest first (best-first over the
   * pushed lookahead: exact, and it visits only the nodes it needs).
   */
  bestWordsBelow(node: number, k: number): { id: number; node: number; cost: number }[] {
    const out: { id: number; node: number; cost: number }[] = [];
    const seen = new Set<number>();
    // a small binary heap of [cost, kind (0 node, 1 word), node, id]
    const heap: [number, number, number, number][] = [];
    const push = (e: [number, number, number, number]) => {
      heap.push(e);
      for (let i = heap.length - 1; i > 0;) {
        const p = (i - 1) >> 1;
        if (heap[p][0] <= heap[i][0]) break;
        [heap[p], heap[i]] = [heap[i], heap[p]];
        i = p;
      }
    };
    const pop = () => {
      const top = heap[0];
      const last = heap.pop()!;
      if (heap.length) {
        heap[0] = last;
        for (let i = 0; ;) {
          const l = 2 * i + 1, r = l + 1;
          let m = i;
          if (l < heap.length && heap[l][0] < heap[m][0]) m = l;
          if (r < heap.length && heap[r][0] < heap[m][0]) m = r;
          if (m === i) break;
          [heap[m], heap[i]] = [heap[i], heap[m]];
          i = m;
        }
      }
      return top;
    };
    if (node >= 0 && this.best[node] < Infinity) push([this.best[node], 0, node, -1]);
    while (heap.length && out.length < k) {
      const [cost, kind, n, id] = pop();
      if (kind === 1) {
        if (!seen.has(id)) { seen.add(id); out.push({ id, node: n, cost }); }
        continue;
      }
      const at = this.wordsAt[n];
      if (at) at.forEach((w, j) => push([this.costsAt[n]![j], 1, n, w]));
      this.forEachChild(n, (c) => { if (this.best[c] < Infinity) push([this.best[c], 0, c, -1]); });
    }
    return out;
  }

  /**
   * The trie as a kiln transducer (tropical): keys in, words out, one state per node, the word label
   * on an input-epsilon arc from the node of its spelling to a final state, its cost on that arc.
   * For printing (kiln fst), checks and composition with other FSTs.
   */
  toFst(): VectorFst<number> {
    const f = new VectorFst<number>(TropicalSemiring);
    const isyms = new SymbolTable('keys');
    isyms.addSymbol('<eps>', 0);
    [...this.keys].forEach((c, i) => isyms.addSymbol(c, i + 1));
    const osyms = new SymbolTable('words');
    osyms.addSymbol('<eps>', 0);
    this.words.forEach((w, i) => osyms.addSymbol(w, i + 1));
    for (let n = 0; n < this.numNodes; n++) f.addState();
    const fin = f.addState();
    f.setStart(0);
    f.setFinal(fin, 0);
    for (let n = 0; n < this.numNodes; n++) {
      this.forEachChild(n, (c, l) => f.addArc(n, { ilabel: l, olabel: EPSILON, weight: 0, nextstate: c }));
      this.wordsAt[n]?.forEach((w, j) => f.addArc(n, { ilabel: EPSILON, olabel: w + 1, weight: this.costsAt[n]![j], nextstate: fin }));
    }
    f.isymbols = isyms;
    f.osymbols = osyms;
    return f;
  }
}
