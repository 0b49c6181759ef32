// A generic, model-agnostic beam search. The caller owns what a hypothesis is (its `state`) and how
// it grows (`expand`); the search owns the beam: pruning to a width and a score threshold,
// recombination of hypotheses that reach the same state, finished hypotheses, and the final
// ranking through a length/score hook. `expand` gets every live hypothesis of a step at once, so a
// neural model can score the whole beam (of every sentence) in one batched GPU call.
//
// Scores are log-domain and higher is better (sum of log-probabilities, minus penalties).

export interface Hypothesis<S> {
  state: S;
  /** Accumulated score (log domain, higher is better). */
  score: number;
  /** Number of expansions that produced it (tokens emitted). */
  length: number;
  /** True once `expand` marked it finished: it is kept aside and never expanded again. */
  done: boolean;
}

export interface Candidate<S> {
  state: S;
  /** The child's total score (not an increment). */
  score: number;
  /** The child is a complete output (e.g. it emitted end-of-sequence). */
  done?: boolean;
}

export interface BeamSearchOptions<S> {
  /** Live hypotheses kept per step (>= 1). */
  beamWidth: number;
  /** Steps at most; live hypotheses left then are finished as they are when `finishAtMax` (default true). */
  maxSteps: number;
  /** Children of every live hypothesis: result[i] for live[i]. May be async (a batched model call). */
  expand(live: readonly Hypothesis<S>[], step: number): Candidate<S>[][] | Promise<Candidate<S>[][]>;
  /** Drop a live hypothesis whose score is below the step's best minus this (default Infinity: width only). */
  threshold?: number;
  /** Hypotheses with the same key are recombined into one (default: no recombination). */
  key?(state: S): string | number;
  /** How recombined scores combine: keep the best ('max', Viterbi) or add probabilities ('logadd'). Default 'max'. */
  combine?: 'max' | 'logadd';
  /** Ranking score of a finished hypothesis (length normalisation, utility bias). Default: its score. */
  finalScore?(h: Hypothesis<S>): number;
  /** Finished hypotheses returned (default beamWidth). */
  topK?: number;
  /** Stop when the best live hypothesis cannot beat the k-th finished one (only sound when finalScore is the score and scores never rise). Default false. */
  earlyStop?: boolean;
  /** Finish live hypotheses left at maxSteps (default true); false drops them. */
  finishAtMax?: boolean;
}

export interface BeamResult<S> extends Hypothesis<S> {
  /** finalScore(h): what the results are sorted by. */
  rank: number;
}

export function logAddExp(a: number, b: number): number {
  if (a === -Infinity) return b;
  if (b === -Infinity) return a;
  return a > b ? a + Math.log1p(Math.exp(b - a)) : b + Math.log1p(Math.exp(a - b));
}

/**
 * GNMT's length penalty lp(len) = ((5 + len) / 6)^alpha: rank = score / lp. alpha 0 is no
 * normalisation; 1 is close to the mean log-probability per token.
 */
export function lengthNormalized<S>(alpha: number): (h: Hypothesis<S>) => number {
  return (h) => h.score / Math.pow((5 + h.length) / 6, alpha);
}

/** rank = score + bonus * length: a per-token reward that counters the search's bias to short outputs. */
export function lengthBonus<S>(bonus: number): (h: Hypothesis<S>) => number {
  return (h) => h.score + bonus * h.length;
}

function checkOptions<S>(o: BeamSearchOptions<S>): void {
  if (!(Number.isInteger(o.beamWidth) && o.beamWidth >= 1)) throw new Error(`beamSearch: beamWidth must be an integer >= 1, got ${o.beamWidth}`);
  if (!(Number.isInteger(o.maxSteps) && o.maxSteps >= 0)) throw new Error(`beamSearch: maxSteps must be an integer >= 0, got ${o.maxSteps}`);
  if (o.threshold !== undefined && !(o.threshold >= 0)) throw new Error(`beamSearch: threshold must be >= 0, got ${o.threshold}`);
  if (o.topK !== undefined && !(Number.isInteger(o.topK) && o.topK >= 1)) throw new Error(`beamSearch: topK must be an integer >= 1, got ${o.topK}`);
}

/** Keeps the best `width` of `items` by score, recombining equal keys; returns them best first. */
export function pruneBeam<S>(items: Hypothesis<S>[], width: number, opts: { threshold?: number; key?: (s: S) => string | number; combine?: 'max' | 'logadd' } = {}): Hypothesis<S>[] {
  let list = items;
  if (opts.key) {
    const byKey = new Map<string | number, Hypothesis<S>>();
    for (const h of items) {
      const k = opts.key(h.state);
      const have = byKey.get(k);
      if (!have) { byKey.set(k, h); continue; }
      if (opts.combine === 'logadd') {
        const s = logAddExp(have.score, h.score);
        const best = h.score > have.score ? h : have;
        byKey.set(k, { ...best, score: s });
      } else if (h.score > have.score) byKey.set(k, h);
    }
    list = [...byKey.values()];
  }
  list = list.filter((h) => !Number.isNaN(h.score) && h.score > -Infinity);
  list.sort((a, b) => b.score - a.score);
  if (list.length > width) list.length = width;
  if (opts.threshold !== undefined && list.length) {
    const floor = list[0].score - opts.threshold;
    list = list.filter((h) => h.score >= floor);
  }
  return list;
}

class Search<S> {
  live: Hypothesis<S>[];
  finished: Hypothesis<S>[] = [];
  constructor(readonly o: BeamSearchOptions<S>, initial: readonly (S | Candidate<S>)[]) {
    checkOptions(o);
    this.live = initial.map((s) => (isCandidate(s) ? { state: s.state, score: s.score, length: 0, done: false } : { state: s, score: 0, length: 0, done: false }));
  }

  rank(h: Hypothesis<S>): number {
    return this.o.finalScore ? this.o.finalScore(h) : h.score;
  }

  absorb(children: Candidate<S>[][], step: number): void {
    if (children.length !== this.live.length) throw new Error(`beamSearch: expand returned ${children.length} candidate lists for ${this.live.length} live hypotheses (step ${step})`);
    const next: Hypothesis<S>[] = [];
    children.forEach((cs, i) => {
      const parent = this.live[i];
      for (const c of cs) {
        if (Number.isNaN(c.score)) throw new Error(`beamSearch: expand gave a NaN score (step ${step}, hypothesis ${i})`);
        const h = { state: c.state, score: c.score, length: parent.length + 1, done: !!c.done };
        (h.done ? this.finished : next).push(h);
      }
    });
    this.live = pruneBeam(next, this.o.beamWidth, this.o);
  }

  shouldStop(): boolean {
    if (this.live.length === 0) return true;
    if (!this.o.earlyStop) return false;
    const k = this.o.topK ?? this.o.beamWidth;
    if (this.finished.length < k) return false;
    const kth = this.finished.map((h) => this.rank(h)).sort((a, b) => b - a)[k - 1];
    return this.live[0].score <= kth;
  }

  results(): BeamResult<S>[] {
    if (this.o.finishAtMax ?? true) for (const h of this.live) this.finished.push({ ...h, done: true });
    const k = this.o.topK ?? this.o.beamWidth;
    const ranked = this.finished.map((h) => ({ ...h, rank: this.rank(h) }));
    ranked.sort((a, b) => b.rank - a.rank);
    if (!this.o.key) return ranked.slice(0, k);
    const seen = new Set<string | number>();
    const out: BeamResult<S>[] = [];
    for (const r of ranked) {
      const key = this.o.key(r.state);
      if (seen.has(key)) continue;
      seen.add(key);
      out.push(r);
      if (out.length === k) break;
    }
    return out;
  }
}

function isCandidate<S>(x: S | Candidate<S>): x is Candidate<S> {
  return typeof x === 'object' && x !== null && 'state' in x && 'score' in x && typeof (x as Candidate<S>).score === 'number';
}

/**
 * Runs the search from `initial` states (score 0) or candidates (with scores); returns the finished
 * hypotheses best first by finalScore (distinct keys when `key` is given).
 */
export async function beamSearch<S>(initial: readonly (S | Candidate<S>)[], opts: BeamSearchOptions<S>): Promise<BeamResult<S>[]> {
  const s = new Search(opts, initial);
  for (let step = 0; step < opts.maxSteps && !s.shouldStop(); step++) s.absorb(await opts.expand(s.live, step), step);
  return s.results();
}

/** beamSearch with a synchronous `expand` (no awaits between steps: for searches in TypeScript only). */
export function beamSearchSync<S>(initial: readonly (S | Candidate<S>)[], opts: BeamSearchOptions<S> & { expand(live: readonly Hypothesis<S>[], step: number): Candidate<S>[][] }): BeamResult<S>[] {
  const s = new Search(opts, initial);
  for (let step = 0; step < opts.maxSteps && !s.shouldStop(); step++) {
    const c = opts.expand(s.live, step);
    if (c instanceof Promise) throw new Error('beamSearchSync: expand returned a Promise; use beamSearch');
    s.absorb(c, step);
  }
  return s.results();
}

export interface BatchBeamSearchOptions<S> extends Omit<BeamSearchOptions<S>, 'expand'> {
  /**
   * Children of every live hypothesis of every search: result[k][i] for live[k][i]. A search that
   * has stopped gets an empty list (and returns an empty list). One call a step scores the beams
   * of all searches together (one batched model call for all sentences).
   */
  expand(live: readonly (readonly Hypothesis<S>[])[], step: number): Candidate<S>[][][] | Promise<Candidate<S>[][][]>;
}

/** Runs one beam search per entry of `initials` in lockstep, with the same options; results per search. */
export async function beamSearchBatch<S>(initials: readonly (readonly (S | Candidate<S>)[])[], opts: BatchBeamSearchOptions<S>): Promise<BeamResult<S>[][]> {
  const searches = initials.map((init) => new Search<S>({ ...opts, expand: () => [] }, init));
  for (let step = 0; step < opts.maxSteps; step++) {
    const active = searches.map((s) => !s.shouldStop());
    if (!active.some(Boolean)) break;
    const kids = await opts.expand(searches.map((s, k) => (active[k] ? s.live : [])), step);
    if (kids.length !== searches.length) throw new Error(`beamSearchBatch: expand returned ${kids.length} searches' children for ${searches.length} searches (step ${step})`);
    searches.forEach((s, k) => { if (active[k]) s.absorb(kids[k], step); });
  }
  return searches.map((s) => s.results());
}
