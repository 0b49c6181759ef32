// Shared FST test helpers: a seeded random weighted-FST generator, OpenFst command-line runners
// (batched: one bash process runs many fstcompile | tool | fstprint pipelines), and semantic
// comparisons (path maps of acyclic FSTs, line-by-line text comparison with weight tolerance).
import { rng } from '../src/util/numeric.ts';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync, readFileSync, rmSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as assert from 'uvu/assert';
import { VectorFst, TropicalSemiring, parseFst, printFst, appendStates, type Semiring } from '../src/fst/index.ts';

/** kiln's seeded generator in [0, 1), with the seed spread first (nearby seeds, unrelated streams). */
export function seededRng(seed: number): () => number {
  return rng((seed * 0x9e3779b1 + 0x6d2b79f5) >>> 0);
}

export interface RandomFstOptions {
  /** Number of states (default: 2..7 at random). */
  states?: number;
  /** Arcs per state drawn in [0, maxArcs] (default 3). */
  maxArcs?: number;
  /** Labels are drawn in 1..numLabels (default 3). */
  numLabels?: number;
  /** Probability that a label is epsilon (default 0.25, drawn separately for each side). */
  epsProb?: number;
  acceptor?: boolean;
  /** Allow arcs to any state (default true); false gives a DAG (arcs only to higher ids). */
  cyclic?: boolean;
  /** Probability that a state is final (default 0.35; at least one final state is ensured). */
  finalProb?: number;
  /** Weights uniform in [lo, hi] rounded to 3 decimals (default [0, 5]); integer weights if integerWeights. */
  weightRange?: [number, number];
  integerWeights?: boolean;
  /** Probability that an arc/final weight is One (default 0.2). */
  oneProb?: number;
  semiring?: Semiring<number>;
  /** Extra states no arc from the others reaches (arcs out of them, maybe final; default 0). */
  unreachable?: number;
}

/** A seeded random weighted FST: epsilons on both sides, several final states, cyclic or acyclic. */
export function randomFst(seed: number, o: RandomFstOptions = {}): VectorFst<number> {
  const r = seededRng(seed);
  const sr = o.semiring ?? TropicalSemiring;
  const n = o.states ?? 2 + Math.floor(r() * 6);
  const maxArcs = o.maxArcs ?? 3;
  const L = o.numLabels ?? 3;
  const eps = o.epsProb ?? 0.25;
  const cyclic = o.cyclic ?? true;
  const fp = o.finalProb ?? 0.35;
  const [lo, hi] = o.weightRange ?? [0, 5];
  const oneProb = o.oneProb ?? 0.2;
  const weight = () => {
    if (r() < oneProb) return sr.one;
    const x = lo + (hi - lo) * r();
    return sr.parse(o.integerWeights ? String(Math.round(x)) : x.toFixed(3));
  };
  const label = () => (r() < eps ? 0 : 1 + Math.floor(r() * L));
  const f = new VectorFst<number>(sr);
  f.addStates(n);
  f.setStart(0);
  let anyFinal = false;
  for (let s = 0; s < n; s++) {
    const k = Math.floor(r() * (maxArcs + 1));
    for (let j = 0; j < k; j++) {
      let d: number;
      if (cyclic) d = Math.floor(r() * n);
      else if (s === n - 1) break;
      else d = s + 1 + Math.floor(r() * (n - 1 - s));
      const il = label();
      const ol = o.acceptor ? il : label();
      f.addArc(s, { ilabel: il, olabel: ol, weight: weight(), nextstate: d });
    }
    if (r() < fp) { f.setFinal(s, weight()); anyFinal = true; }
  }
  if (!anyFinal) f.setFinal(n - 1, weight());
  const u = o.unreachable ?? 0;
  if (u > 0) {
    // Drawn from their own stream so the reachable part is the same FST with or without them.
    const r2 = seededRng(seed * 31 + 977);
    const base = f.numStates();
    f.addStates(u);
    for (let s = base; s < base + u; s++) {
      const k = Math.floor(r2() * (maxArcs + 1));
      for (let j = 0; j < k; j++) {
        const il = r2() < eps ? 0 : 1 + Math.floor(r2() * L);
        const ol = o.acceptor ? il : r2() < eps ? 0 : 1 + Math.floor(r2() * L);
        const w = r2() < oneProb ? sr.one : sr.parse((lo + (hi - lo) * r2()).toFixed(3));
        f.addArc(s, { ilabel: il, olabel: ol, weight: w, nextstate: Math.floor(r2() * (base + u)) });
      }
      if (r2() < fp) f.setFinal(s, sr.parse((lo + (hi - lo) * r2()).toFixed(3)));
    }
  }
  return f;
}

/**
 * AT&T text of f as a person might write it: states renamed by a random permutation of
 * 0..n+gaps-1 (ids out of order, a start state that is rarely 0, ids that never appear) and the
 * lines shuffled, except that the first line is one of the start state's (fstcompile takes the
 * start from the first line). Compile it the same way on both sides (keepStateNumbering or not).
 */
export function scrambledText(f: VectorFst<number>, seed: number, gaps = 2): string {
  const r = seededRng(seed * 13 + 5);
  const n = f.numStates();
  const ids = Array.from({ length: n + gaps }, (_, i) => i);
  for (let i = ids.length - 1; i > 0; i--) { const j = Math.floor(r() * (i + 1)); [ids[i], ids[j]] = [ids[j], ids[i]]; }
  const sr = f.semiring;
  const w = (x: number) => (sr.isOne(x) && r() < 0.5 ? '' : `\t${sr.toString(x)}`);
  const first: string[] = [];
  const rest: string[] = [];
  for (let s = 0; s < n; s++) {
    const out = s === f.start ? first : rest;
    for (const a of f.arcs(s)) out.push(`${ids[s]}\t${ids[a.nextstate]}\t${a.ilabel}\t${a.olabel}${w(a.weight)}`);
    if (f.isFinal(s)) out.push(`${ids[s]}${w(f.final(s))}`);
  }
  const head = first.length ? first.splice(Math.floor(r() * first.length), 1) : [];
  const lines = [...first, ...rest];
  for (let i = lines.length - 1; i > 0; i--) { const j = Math.floor(r() * (i + 1)); [lines[i], lines[j]] = [lines[j], lines[i]]; }
  return [...head, ...lines].map((l) => l + '\n').join('');
}

let openFstChecked: boolean | undefined;
/** True when OpenFst's command-line tools (fstcompile, fstprint) are on PATH. */
export function haveOpenFst(): boolean {
  if (openFstChecked === undefined) {
    const p = spawnSync('bash', ['-c', 'command -v fstcompile && command -v fstprint'], { encoding: 'utf8' });
    openFstChecked = p.status === 0;
  }
  return openFstChecked;
}

/** Says loudly (once per suite name) that OpenFst differential tests are skipped. Returns true when skipping. */
export function skipWithoutOpenFst(what: string): boolean {
  if (haveOpenFst()) return false;
  console.log(`\n  SKIPPED ${what}: OpenFst command-line tools (fstcompile/fstprint, Debian libfst-tools) are not on PATH; run scripts/setup`);
  return true;
}

export interface OpenFstJob {
  /** AT&T texts, compiled once to $1, $2, ... (binary .fst files) before the commands run. */
  inputs: string[];
  /** Shell command using $1 $2 ...; its stdout is the result, e.g. 'fstunion $1 $2 | fstprint'. */
  cmd?: string;
  /** Several commands on the same compiled inputs (results in `all`, in order). */
  cmds?: string[];
  /** fstcompile --arc_type (default standard). */
  arcType?: string;
  acceptor?: boolean;
  /** fstcompile --keep_state_numbering (default false: states numbered in order of first mention). */
  keepStateNumbering?: boolean;
}

export interface OpenFstResult { out: string; err: string; code: number }
export interface OpenFstJobResult extends OpenFstResult { all: OpenFstResult[] }

/**
 * Runs many jobs through OpenFst's command-line tools in `parallel` bash processes (process
 * start-up, ~10 ms per tool, dominates on tiny FSTs; one bash per batch avoids node spawns).
 */
export function openfstBatch(jobs: OpenFstJob[], parallel = 2): OpenFstJobResult[] {
  if (!haveOpenFst()) throw new Error('OpenFst tools are not installed (fstcompile not on PATH)');
  const dir = mkdtempSync(join(tmpdir(), 'kiln-ofst-'));
  try {
    const parts: string[][] = Array.from({ length: Math.max(1, parallel) }, () => []);
    jobs.forEach((job, i) => {
      const script = parts[i % parts.length];
      const files: string[] = [];
      job.inputs.forEach((t, k) => {
        const txt = join(dir, `in${i}_${k}.txt`);
        writeFileSync(txt, t);
        const fst = join(dir, `in${i}_${k}.fst`);
        files.push(fst);
        script.push(`fstcompile --arc_type=${job.arcType ?? 'standard'}${job.acceptor ? ' --acceptor' : ''}${job.keepStateNumbering ? ' --keep_state_numbering' : ''} ${txt} ${fst}`);
      });
      const cmds = job.cmds ?? (job.cmd !== undefined ? [job.cmd] : []);
      cmds.forEach((cmd, c) => {
        script.push(`job() { ${cmd} ; }`);
        script.push(`job ${files.join(' ')} > ${join(dir, `out${i}_${c}`)} 2> ${join(dir, `err${i}_${c}`)}; echo $? > ${join(dir, `rc${i}_${c}`)}`);
      });
    });
    const main: string[] = ['set +e'];
    parts.forEach((lines, p) => {
      const sh = join(dir, `part${p}.sh`);
      writeFileSync(sh, lines.join('\n') + '\n');
      main.push(`bash ${sh} &`);
    });
    main.push('wait');
    writeFileSync(join(dir, 'run.sh'), main.join('\n') + '\n');
    spawnSync('bash', [join(dir, 'run.sh')], { encoding: 'utf8', maxBuffer: 1 << 28 });
    const rd = (n: string) => (existsSync(join(dir, n)) ? readFileSync(join(dir, n), 'utf8') : '');
    return jobs.map((job, i) => {
      const n = (job.cmds ?? (job.cmd !== undefined ? [job.cmd] : [])).length;
      const all: OpenFstResult[] = [];
      for (let c = 0; c < n; c++) all.push({ out: rd(`out${i}_${c}`), err: rd(`err${i}_${c}`), code: Number(rd(`rc${i}_${c}`).trim() || '1') });
      const first = all[0] ?? { out: '', err: '', code: 0 };
      return { ...first, all };
    });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** One OpenFst tool run: fstcompile each input, `tool args $1 [$2]`, fstprint the result (if printResult). Throws on failure. */
export function openfst(tool: string, args: string[], inputs: string[], opts: { arcType?: string; print?: boolean } = {}): string {
  const files = inputs.map((_, k) => `$${k + 1}`).join(' ');
  const cmd = `${tool} ${args.join(' ')} ${files}${opts.print === false ? '' : ' | fstprint'}`;
  const [r] = openfstBatch([{ inputs, cmd, arcType: opts.arcType }]);
  if (r.code !== 0) throw new Error(`OpenFst ${tool} failed (exit ${r.code}): ${r.err}`);
  return r.out;
}

/**
 * All successful paths of an acyclic FST as "ilabels|olabels" (epsilons dropped) -> total weight
 * (plus over paths with the same strings). Throws if the FST has a cycle on a path or more than
 * maxPaths paths.
 */
export function pathMap<W>(f: VectorFst<W>, maxPaths = 100_000): Map<string, W> {
  const sr = f.semiring;
  const out = new Map<string, W>();
  for (const { key, weight } of pathList(f, maxPaths)) {
    const prev = out.get(key);
    out.set(key, prev === undefined ? weight : sr.plus(prev, weight));
  }
  for (const [k, w] of out) if (sr.isZero(w)) out.delete(k);
  return out;
}

/** Asserts two path maps have the same keys and weights within tol (absolute, on numeric weights). */
export function expectSamePaths(got: Map<string, number>, want: Map<string, number>, tol = 1e-4, what = ''): void {
  const g = [...got.keys()].sort();
  const w = [...want.keys()].sort();
  assert.equal(g, w, `${what}: path strings differ\n got: ${g.join(', ')}\nwant: ${w.join(', ')}`);
  for (const k of w) {
    const a = got.get(k)!;
    const b = want.get(k)!;
    if (!(a === b || Math.abs(a - b) <= tol * Math.max(1, Math.abs(b)))) assert.unreachable(`${what}: path ${k}: weight ${a} vs ${b}`);
  }
}

/** Compares two AT&T texts line by line: same fields, numeric fields equal within tol. */
export function expectSameText(got: string, want: string, tol = 1e-4, what = ''): void {
  const gl = got.split('\n').filter((l) => l !== '');
  const wl = want.split('\n').filter((l) => l !== '');
  const msg = () => `${what}\n--- got ---\n${got}--- want (OpenFst) ---\n${want}`;
  if (gl.length !== wl.length) assert.unreachable(`line count ${gl.length} vs ${wl.length}: ${msg()}`);
  for (let i = 0; i < gl.length; i++) {
    // A missing weight is One (0 for the tropical and log semirings the tests use).
    const norm = (l: string) => { const f = l.split('\t'); if (f.length === 4 || f.length === 1) f.push('0'); return f; };
    const a = norm(gl[i]);
    const b = norm(wl[i]);
    if (a.length !== b.length) assert.unreachable(`line ${i + 1}: "${gl[i]}" vs "${wl[i]}": ${msg()}`);
    for (let j = 0; j < a.length; j++) {
      if (a[j] === b[j]) continue;
      const x = Number(a[j]);
      const y = Number(b[j]);
      const numeric = j === a.length - 1 && (a.length === 2 || a.length === 5);
      if (!(numeric && Number.isFinite(x) && Number.isFinite(y) && Math.abs(x - y) <= tol * Math.max(1, Math.abs(y)))) {
        assert.unreachable(`line ${i + 1}: "${gl[i]}" vs "${wl[i]}": ${msg()}`);
      }
    }
  }
}

/**
 * The AT&T text of f and the FST kiln reads from it (numbered by first mention, as fstcompile
 * does): give `text` to OpenFst and `fst` to kiln so both run on the same FST.
 */
export function asCompiled(f: VectorFst<number>): { text: string; fst: VectorFst<number> } {
  const text = printFst(f);
  return { text, fst: parseFst(text, { semiring: f.semiring }) };
}

/** Parses OpenFst output (tropical unless a semiring is given). */
export function fromOpenFst(text: string, semiring?: Semiring<number>): VectorFst<number> {
  return parseFst(text, { semiring: semiring ?? TropicalSemiring, file: 'openfst-output', keepStateNumbering: true });
}

export { printFst, parseFst };

export interface PathEntry<W = number> { key: string; weight: W }

/** Every successful path of an acyclic FST (not aggregated), as "ilabels|olabels" (epsilons dropped) and weight. */
export function pathList<W>(f: VectorFst<W>, maxPaths = 100_000): PathEntry<W>[] {
  const sr = f.semiring;
  const out: PathEntry<W>[] = [];
  if (f.start < 0) return out;
  const onPath = new Uint8Array(f.numStates());
  const walk = (s: number, il: number[], ol: number[], w: W) => {
    if (onPath[s]) throw new Error(`pathList: cycle through state ${s}`);
    onPath[s] = 1;
    if (!sr.isZero(f.final(s))) {
      if (out.length >= maxPaths) throw new Error(`pathList: more than ${maxPaths} paths`);
      out.push({ key: `${il.join(' ')}|${ol.join(' ')}`, weight: sr.times(w, f.final(s)) });
    }
    for (const a of f.arcs(s)) {
      if (a.ilabel) il.push(a.ilabel);
      if (a.olabel) ol.push(a.olabel);
      walk(a.nextstate, il, ol, sr.times(w, a.weight));
      if (a.ilabel) il.pop();
      if (a.olabel) ol.pop();
    }
    onPath[s] = 0;
  };
  walk(f.start, [], [], sr.one);
  return out;
}

/**
 * n-best agreement: the same number of paths, the same sorted weights (within tol), and the same
 * strings wherever the weight is not tied (within 1e-3) with another path's or the cut-off.
 */
export function expectSameNBest(got: VectorFst<number>, want: VectorFst<number>, tol = 1e-4, what = ''): void {
  const g = pathList(got).sort((a, b) => a.weight - b.weight);
  const w = pathList(want).sort((a, b) => a.weight - b.weight);
  const show = (l: PathEntry[]) => l.map((p) => `${p.key}:${p.weight}`).join(', ');
  if (g.length !== w.length) assert.unreachable(`${what}: ${g.length} paths vs OpenFst's ${w.length}\n got: ${show(g)}\nwant: ${show(w)}`);
  for (let i = 0; i < g.length; i++) {
    if (Math.abs(g[i].weight - w[i].weight) > tol * Math.max(1, Math.abs(w[i].weight))) assert.unreachable(`${what}: path ${i} weight ${g[i].weight} vs ${w[i].weight}\n got: ${show(g)}\nwant: ${show(w)}`);
  }
  for (let i = 0; i < w.length; i++) {
    const tied = w.some((p, j) => j !== i && Math.abs(p.weight - w[i].weight) <= 1e-3);
    if (tied) continue;
    if (g[i].key !== w[i].key) assert.unreachable(`${what}: path ${i} (weight ${w[i].weight}) is ${g[i].key} vs OpenFst's ${w[i].key}\n got: ${show(g)}\nwant: ${show(w)}`);
  }
}

// ---- bundles: many random cases in one FST, so OpenFst runs a handful of processes -------------

/** Tag labels of the bundle arcs: case i is reached through label BUNDLE_TAG + i. */
export const BUNDLE_TAG = 100_000;

/** One FST holding every case: start --(BUNDLE_TAG+i):(BUNDLE_TAG+i)--> case i. */
export function bundle(fsts: VectorFst<number>[], sr: Semiring<number>): VectorFst<number> {
  const out = new VectorFst<number>(sr);
  out.setStart(out.addState());
  fsts.forEach((f, i) => {
    if (f.start < 0) return;
    const off = appendStates(out, f);
    out.addArc(0, { ilabel: BUNDLE_TAG + i, olabel: BUNDLE_TAG + i, weight: sr.one, nextstate: off + f.start });
  });
  return out;
}

/** Path maps equal within tol; on failure names the case (its tag) and the first differences. */
export function expectSameBundles(got: VectorFst<number>, want: VectorFst<number>, inputs: (i: number) => string, what: string, tol = 1e-4): void {
  const g = pathMap(got, 1e6), w = pathMap(want, 1e6);
  const diffs: string[] = [];
  for (const k of new Set([...g.keys(), ...w.keys()])) {
    const a = g.get(k), b = w.get(k);
    if (a === undefined || b === undefined || Math.abs(a - b) > tol * Math.max(1, Math.abs(b))) diffs.push(`${k}: kiln ${a} vs OpenFst ${b}`);
  }
  if (diffs.length) {
    const tag = Number(diffs[0].split(/[ |]/)[0]) - BUNDLE_TAG;
    assert.unreachable(`${what}: ${diffs.length} path differences, first: ${diffs.slice(0, 3).join('; ')}\ncase ${tag}:\n${inputs(tag)}`);
  }
  assert.ok(w.size > 0, `${what}: OpenFst result has paths`);
}
