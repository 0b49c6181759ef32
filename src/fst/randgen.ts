// Random path generation (fstrandgen): npath paths from the start, choosing at each state among
// its arcs and (if final) stopping, uniformly or by weight (log_prob: probability ∝ exp(-w) for
// tropical/log weights). The result is an unweighted FST of the paths sharing only the start state.
// Walks that enter a state from which no final state is reachable are rejected and redrawn, so
// paths follow the selector's distribution conditioned on success (and never loop forever).
import { rng } from '../util/numeric.ts';
import { VectorFst, NO_STATE, KilnFstError, type Arc } from './fst.ts';
import { coaccessible } from './props.ts';

export interface RandGenOptions {
  npath?: number;
  seed?: number;
  select?: 'uniform' | 'log_prob';
  /** Paths longer than this are discarded and drawn again (default unbounded). */
  maxLength?: number;
  /** Give up after this many discarded draws (default 1000 * npath). */
  maxTries?: number;
}

export function randGen<W>(f: VectorFst<W>, opts: RandGenOptions = {}): VectorFst<W> {
  const sr = f.semiring;
  const npath = opts.npath ?? 1;
  const maxLength = opts.maxLength ?? Infinity;
  const select = opts.select ?? 'uniform';
  if (select === 'log_prob' && typeof sr.one !== 'number') throw new KilnFstError(`randGen: select=log_prob needs numeric (tropical/log) weights, got ${sr.name}`);
  const rand = rng(opts.seed ?? 0x5eed);
  const out = new VectorFst<W>(sr);
  out.isymbols = f.isymbols;
  out.osymbols = f.osymbols;
  if (f.start === NO_STATE) return out;
  const live = coaccessible(f);
  if (!live[f.start]) throw new KilnFstError('randGen: the FST accepts nothing (no final state is reachable from the start)');
  const start = out.addState();
  out.setStart(start);
  const maxTries = opts.maxTries ?? 1000 * Math.max(1, npath);
  let tries = 0;
  for (let p = 0; p < npath; p++) {
    let path: Arc<W>[] | null = null;
    while (!path) {
      if (++tries > maxTries) throw new KilnFstError(`randGen: no successful path of length <= ${maxLength} found in ${maxTries} draws (does the FST accept anything?)`);
      path = draw(f, live, rand, select, maxLength);
    }
    let s = start;
    for (const a of path) {
      const d = out.addState();
      out.addArc(s, { ilabel: a.ilabel, olabel: a.olabel, weight: sr.one, nextstate: d });
      s = d;
    }
    out.setFinal(s, sr.one);
  }
  return out;
}

/** One random walk from the start; null (rejected) when it enters a state that cannot reach a final state or gets too long. */
function draw<W>(f: VectorFst<W>, live: Uint8Array, rand: () => number, select: string, maxLength: number): Arc<W>[] | null {
  const path: Arc<W>[] = [];
  let s = f.start;
  for (;;) {
    const arcs = f.arcs(s);
    const fin = f.isFinal(s);
    const k = arcs.length + (fin ? 1 : 0);
    if (k === 0) return null; // dead end
    let pick: number;
    if (select === 'uniform') pick = Math.floor(rand() * k);
    else {
      const ws: number[] = arcs.map((a) => Math.exp(-(a.weight as unknown as number)));
      if (fin) ws.push(Math.exp(-(f.final(s) as unknown as number)));
      const tot = ws.reduce((x, y) => x + y, 0);
      if (!(tot > 0)) return null;
      let u = rand() * tot;
      pick = ws.length - 1;
      for (let i = 0; i < ws.length; i++) { u -= ws[i]; if (u < 0) { pick = i; break; } }
    }
    if (pick === arcs.length) return path;
    if (path.length >= maxLength) return null;
    path.push(arcs[pick]);
    s = arcs[pick].nextstate;
    if (!live[s]) return null;
  }
}
