// FST algorithms on hand-made cases (expected texts are what OpenFst 1.7.9 prints for the same
// input) and property checks on seeded random FSTs of awkward sizes (1, 3, 17, 129 states).
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import {
  TropicalSemiring as T, LogSemiring as L, VectorFst, parseFst, printFst, KilnFstError, NO_STATE,
  arcSort, arcSortInPlace, cxxSort, connect, project, invert, union, concat, closure, reverse,
  shortestDistance, totalWeight, shortestPath, nBestStrings, push, prune, randGen, isAcyclic, equalFst, fstDifference,
} from '../src/fst/index.ts';
import { runCli } from './helpers.ts';
import { randomFst, pathMap, pathList, expectSamePaths, seededRng } from './fst_util.ts';

const t = suite('fst algorithms');

const A = '0 1 1 2 0.5\n1 0 2 0\n1 0.25\n0 1\n';
const B = '0 1 3 3 1\n1 2 0 4\n2 0.5\n';
const P = '0 1 1 1 1\n0 1 2 2 2\n0 2 3 3 0.5\n1 3 4 4 1\n2 3 5 5 3\n1 1 6 6 0.1\n3 0.5\n1 5\n';
const a = () => parseFst(A);
const b = () => parseFst(B);
const lines = (...l: string[]) => l.map((x) => x.replace(/ /g, '\t') + '\n').join('');

function throwsFst(fn: () => unknown, re: RegExp): void {
  try { fn(); } catch (e) { assert.instance(e, KilnFstError); assert.match((e as Error).message, re); return; }
  assert.unreachable(`expected KilnFstError ${re}`);
}

const SIZES = [1, 3, 17, 129];
/** Acyclic random FSTs of awkward sizes (few enough paths to enumerate). */
function dags(sr = T, extra = {}): VectorFst<number>[] {
  const out: VectorFst<number>[] = [];
  for (const n of SIZES) for (let k = 0; k < (n > 100 ? 2 : 6); k++) {
    out.push(randomFst(n * 100 + k, { states: n, cyclic: false, maxArcs: n > 100 ? 1 : 3, finalProb: n > 100 ? 0.05 : 0.4, semiring: sr, ...extra }));
  }
  return out;
}

t('union, concat, closure, reverse, invert, project: OpenFst 1.7.9 structures', () => {
  assert.is(printFst(union(a(), b())), lines('5 0 0 0', '5 2 0 0', '0 1 1 2 0.5', '0 1', '1 0 2 0', '1 0.25', '2 3 3 3 1', '3 4 0 4', '4 0.5'));
  const u1 = parseFst('0 1 1 1\n1\n');
  assert.is(printFst(union(u1, u1)), lines('0 1 1 1', '0 2 0 0', '1', '2 3 1 1', '3'), 'top-sorted first FST: epsilon arc from its start');
  assert.is(printFst(concat(a(), b())), lines('0 1 1 2 0.5', '0 2 0 0 1', '1 0 2 0', '1 2 0 0 0.25', '2 3 3 3 1', '3 4 0 4', '4 0.5'));
  assert.is(printFst(closure(a())), lines('2 0 0 0', '2', '0 1 1 2 0.5', '0 0 0 0 1', '0 1', '1 0 2 0', '1 0 0 0 0.25', '1 0.25'));
  assert.is(printFst(closure(a(), 'plus')), lines('0 1 1 2 0.5', '0 0 0 0 1', '0 1', '1 0 2 0', '1 0 0 0 0.25', '1 0.25'));
  assert.is(printFst(reverse(a())), lines('0 1 0 0 1', '0 2 0 0 0.25', '1 2 2 0', '1', '2 1 1 2 0.5'));
  assert.is(printFst(invert(a())), lines('0 1 2 1 0.5', '0 1', '1 0 0 2', '1 0.25'));
  assert.is(printFst(project(a())), lines('0 1 1 1 0.5', '0 1', '1 0 2 2', '1 0.25'));
  assert.is(printFst(project(a(), 'output')), lines('0 1 2 2 0.5', '0 1', '1 0 0 0', '1 0.25'));
  // Empty operands.
  const empty = new VectorFst(T);
  assert.is(printFst(union(empty, b())), printFst(b()));
  assert.is(printFst(union(a(), empty)), printFst(a()));
  assert.is(printFst(concat(empty, b())), '');
  assert.is(printFst(concat(a(), empty)), lines('0 1 1 2 0.5', '1 0 2 0'));
  assert.is(printFst(closure(empty)), '0\n');
  assert.is(printFst(closure(empty, 'plus')), '');
  assert.is(printFst(reverse(empty)), '0\tInfinity\n', 'fstreverse of the empty FST: the super-initial state alone');
  assert.is(printFst(reverse(parseFst('0 1 1 1\n'))), lines('0 Infinity', '1', '2 1 1 1'));
  // Inputs are not mutated.
  const x = a();
  const before = printFst(x);
  union(x, b()); concat(x, b()); closure(x); reverse(x); invert(x); project(x); push(x); prune(x, { weight: 1 }); connect(x); arcSort(x, 'olabel');
  assert.is(printFst(x), before);
  throwsFst(() => union(a(), parseFst(B, { semiring: L })), /different semirings/);
});

t('rational operations keep the weighted relation (random acyclic FSTs, path maps)', () => {
  const list = dags();
  for (let i = 0; i < list.length; i++) {
    const x = list[i];
    const y = list[(i + 7) % list.length];
    const px = pathMap(x), py = pathMap(y);
    const want = new Map(px);
    for (const [k, w] of py) want.set(k, want.has(k) ? T.plus(want.get(k)!, w) : w);
    expectSamePaths(pathMap(union(x, y)), want, 1e-5, `union ${i}`);
    if (px.size * py.size < 5000) {
      const cat = new Map<string, number>();
      for (const [k1, w1] of px) for (const [k2, w2] of py) {
        const [i1, o1] = k1.split('|'); const [i2, o2] = k2.split('|');
        const k = `${[i1, i2].filter(Boolean).join(' ')}|${[o1, o2].filter(Boolean).join(' ')}`;
        const w = T.times(w1, w2);
        cat.set(k, cat.has(k) ? T.plus(cat.get(k)!, w) : w);
      }
      expectSamePaths(pathMap(concat(x, y)), cat, 1e-5, `concat ${i}`);
    }
    const rev = new Map<string, number>();
    for (const [k, w] of px) { const [il, ol] = k.split('|'); rev.set(`${il.split(' ').filter(Boolean).reverse().join(' ')}|${ol.split(' ').filter(Boolean).reverse().join(' ')}`, w); }
    expectSamePaths(pathMap(reverse(x)), rev, 1e-5, `reverse ${i}`);
    const inv = new Map<string, number>();
    for (const [k, w] of px) { const [il, ol] = k.split('|'); inv.set(`${ol}|${il}`, w); }
    expectSamePaths(pathMap(invert(x)), inv, 1e-5, `invert ${i}`);
    expectSamePaths(pathMap(connect(x)), px, 0, `connect ${i}`);
    expectSamePaths(pathMap(arcSort(x, 'olabel')), px, 0, `arcsort ${i}`);
  }
});

t('arcsort: (ilabel, olabel) / (olabel, ilabel) order, std::sort tie order, flags', () => {
  const f = parseFst('0 1 2 2\n0 1 1 3\n0 1 1 2\n0 1 0 5\n1\n');
  assert.is(printFst(arcSort(f)), lines('0 1 0 5', '0 1 1 2', '0 1 1 3', '0 1 2 2', '1'));
  const o = arcSort(f, 'olabel');
  assert.is(printFst(o), lines('0 1 1 2', '0 1 2 2', '0 1 1 3', '0 1 0 5', '1'));
  assert.ok(o.olabelSorted && !o.ilabelSorted);
  const g = arcSortInPlace(randomFst(5, { states: 17 }), 'ilabel');
  assert.ok(g.ilabelSorted);
  for (const s of g.states()) { const l = g.arcs(s); for (let i = 1; i < l.length; i++) assert.ok(l[i - 1].ilabel <= l[i].ilabel); }
  // cxxSort sorts (any size) and leaves equal elements in libstdc++'s order (17+ elements are not stable).
  const r = seededRng(9);
  for (const n of [0, 1, 3, 16, 17, 129, 1000]) {
    const v = Array.from({ length: n }, () => Math.floor(r() * 10));
    const w = v.slice();
    cxxSort(w, (p, q) => p < q);
    assert.equal(w, v.slice().sort((p, q) => p - q), `cxxSort n=${n}`);
  }
  const keyed = Array.from({ length: 20 }, (_, i) => ({ k: 0, i }));
  cxxSort(keyed, (p, q) => p.k < q.k);
  assert.is.not(keyed.map((e) => e.i).join(), Array.from({ length: 20 }, (_, i) => i).join(), 'std::sort is not stable past 16 elements');
});

t('connect: removes inaccessible and dead-end states, keeps order', () => {
  const f = parseFst('0 1 1 1\n0 2 2 2\n1 3 3 3\n4 3 4 4\n2 5 5 5\n3\n');
  assert.is(printFst(connect(f)), lines('0 1 1 1', '1 2 3 3', '2'));
  assert.is(printFst(connect(parseFst('0 1 1 1\n1 0 1 1\n'))), '', 'no final state: empty');
});

t('shortest distance: forward/reverse, tropical and log, OpenFst values', () => {
  const S = '0 1 1 1 0.5\n0 1 1 1 0.25\n1 2 1 1\n3 1 1 1\n4 4 1 1\n1 0.125\n';
  const f = parseFst(S);
  assert.equal(shortestDistance(f).slice(0, 3), [0, 0.25, 0.25]);
  assert.equal(shortestDistance(f).slice(3), [Infinity, Infinity]);
  assert.equal(shortestDistance(f, { reverse: true }), [0.375, 0.125, Infinity, 0.125, Infinity]);
  const g = parseFst(S, { semiring: L });
  const d = shortestDistance(g);
  assert.ok(Math.abs(d[1] - -0.325939417) < 1e-6 && Math.abs(d[2] - d[1]) < 1e-7);
  assert.ok(Math.abs(shortestDistance(g, { reverse: true })[0] - -0.200939417) < 1e-6);
  // A log-semiring cycle: 0 -(1)-> 0 loop, final 0: total = -log(sum_k e^-k) = log(1 - e^-1).
  const c = parseFst('0 0 1 1 1\n0 0\n', { semiring: L });
  assert.ok(Math.abs(totalWeight(c) - Math.log(1 - Math.exp(-1))) < 1e-5);
  // Brute force on random DAGs: total weight = plus over all paths.
  for (const sr of [T, L]) {
    for (const x of dags(sr, { weightRange: [0, 3] })) {
      let want = sr.zero;
      for (const p of pathList(x)) want = sr.plus(want, p.weight);
      const got = totalWeight(x);
      assert.ok(Math.abs(got - want) <= 1e-4 * Math.max(1, Math.abs(want)) || got === want, `${sr.name} total ${got} vs ${want}`);
    }
  }
  assert.equal(shortestDistance(new VectorFst(T)), []);
});

t('shortest distance never loops forever: negative tropical cycles and divergent log cycles throw', () => {
  throwsFst(() => shortestDistance(parseFst('0 1 1 1 1\n1 0 1 1 -2\n1\n'), { maxIterations: 10_000 }), /no convergence/);
  throwsFst(() => shortestDistance(parseFst('0 0 1 1\n0\n', { semiring: L }), { maxIterations: 10_000 }), /no convergence/);
});

t('shortest path: single best and n-best as OpenFst (tree shape, weights, strings)', () => {
  const f = parseFst(P);
  assert.is(printFst(shortestPath(f)), lines('2 1 1 1 1', '0 0.5', '1 0 4 4 1'));
  assert.is(printFst(shortestPath(f, { nshortest: 2 })), lines('0 6 0 0', '0 8 0 0', '1', '2 1 0 0 0.5', '3 2 4 4 1', '4 3 1 1 1', '5 3 6 6 0.100000001', '6 4 0 0', '7 5 1 1 1', '8 7 0 0'));
  const best = nBestStrings(f, 5);
  assert.equal(best.map((p) => p.ilabels.join(' ')), ['1 4', '1 6 4', '1 6 6 4', '1 6 6 6 4', '1 6 6 6 6 4']);
  assert.ok(Math.abs(best[1].weight - 2.6) < 1e-5);
  assert.is(shortestPath(f, { nshortest: 0 }).numStates(), 0);
  assert.is(shortestPath(new VectorFst(T), { nshortest: 3 }).numStates(), 0);
  assert.is(printFst(shortestPath(parseFst('0 1 1 1\n'))), '', 'nothing accepted: empty');
  // Threshold: only paths within 0.15 of the best (2.5): 1 4 and 1 6 4.
  assert.is(nBestStrings(parseFst(P), 1).length, 1);
  const within = shortestPath(f, { nshortest: 10, weightThreshold: 0.15 });
  assert.is(pathList(within).length, 2);
  throwsFst(() => shortestPath(parseFst(P, { semiring: L })), /path semiring/);
  // Brute force on random DAGs: the n best path weights.
  for (const x of dags()) {
    const all = pathList(x).map((p) => p.weight).sort((p, q) => p - q);
    for (const n of [1, 3, 17]) {
      const got = pathList(shortestPath(x, { nshortest: n })).map((p) => p.weight).sort((p, q) => p - q);
      assert.is(got.length, Math.min(n, all.length));
      for (let i = 0; i < got.length; i++) assert.ok(Math.abs(got[i] - all[i]) < 1e-4, `n=${n} path ${i}: ${got[i]} vs ${all[i]}`);
    }
  }
});

t('push: weights toward the start or the finals, relation unchanged, log push is stochastic', () => {
  assert.is(printFst(push(a())), lines('2 0 0 0 0.75', '0 1 1 2', '0 0.25', '1 0 2 0 0.5', '1'));
  for (const sr of [T, L]) {
    for (const x of dags(sr)) {
      const px = pathMap(x);
      for (const opts of [{}, { toFinal: true }]) expectSamePaths(pathMap(push(x, opts)), px, 1e-4, `${sr.name} push ${JSON.stringify(opts)}`);
      const total = totalWeight(x);
      if (sr.isZero(total)) continue;
      const r = push(x, { removeTotalWeight: true });
      assert.ok(Math.abs(totalWeight(r)) < 1e-4, `${sr.name} total after removal ${totalWeight(r)}`);
      if (sr === L) {
        // Pushed toward the start: every coaccessible non-start state's outgoing mass (arcs + final) is One.
        const p = push(x, { delta: 1e-7 });
        const rd = shortestDistance(p, { reverse: true });
        for (const s of p.states()) {
          if (s === p.start || sr.isZero(rd[s])) continue;
          let m = p.final(s);
          for (const arc of p.arcs(s)) if (!sr.isZero(rd[arc.nextstate])) m = sr.plus(m, arc.weight);
          assert.ok(Math.abs(m) < 1e-3, `log push: state ${s} mass ${m}`);
        }
      }
    }
  }
});

t('prune: keeps exactly the paths within the threshold of the best', () => {
  for (const x of dags()) {
    const px = pathMap(x);
    if (px.size === 0) { assert.is(prune(x, { weight: 1 }).numStates(), 0); continue; }
    const best = Math.min(...px.values());
    for (const w of [0, 0.7531, 2.5003]) {
      const want = new Map([...px].filter(([, v]) => v <= best + w + 1e-6));
      expectSamePaths(pathMap(prune(x, { weight: w })), want, 1e-5, `prune ${w}`);
    }
    expectSamePaths(pathMap(prune(x)), px, 0, 'prune without threshold');
  }
  throwsFst(() => prune(parseFst(A, { semiring: L }), { weight: 1 }), /path semiring/);
});

t('randgen: seeded random paths of the input, uniform or by weight', () => {
  for (const x of dags()) {
    if (x.start === NO_STATE || pathMap(x).size === 0) continue;
    const keys = new Set(pathMap(x).keys());
    const g = randGen(x, { npath: 5, seed: 42 });
    assert.is(printFst(g), printFst(randGen(x, { npath: 5, seed: 42 })), 'same seed, same paths');
    for (const p of pathList(g)) assert.ok(keys.has(p.key), `generated path ${p.key} is not a path of the input`);
    const count = pathList(g).length;
    assert.ok(count === 5 || (count >= 1 && g.isFinal(g.start)), `5 paths (empty ones merge at the start), got ${count}`);
    assert.ok(isAcyclic(g));
  }
  // log_prob: arcs with weights 0 and ln 3 are taken 3:1.
  const f = parseFst(`0 1 1 1 0\n0 1 2 2 ${Math.log(3)}\n1\n`);
  const g = randGen(f, { npath: 4000, seed: 7, select: 'log_prob' });
  const ones = pathList(g).filter((p) => p.key.startsWith('1|')).length / 4000;
  assert.ok(Math.abs(ones - 0.75) < 0.03, `log_prob fraction ${ones}`);
  const u = randGen(f, { npath: 4000, seed: 7 });
  const uo = pathList(u).filter((p) => p.key.startsWith('1|')).length / 4000;
  assert.ok(Math.abs(uo - 0.5) < 0.03, `uniform fraction ${uo}`);
  throwsFst(() => randGen(parseFst('0 1 1 1\n')), /accepts nothing/);
  throwsFst(() => randGen(parseFst('0 0 1 1\n')), /accepts nothing/);
  throwsFst(() => randGen(parseFst('0 0 1 1\n0 1 1 1\n1 1 1 1\n1\n'), { maxLength: 0, maxTries: 100 }), /no successful path of length <= 0/);
  // Dead ends are rejected, not returned: only 2:2 reaches the final state.
  const dead = randGen(parseFst('0 1 1 1\n0 2 2 2\n1 1 3 3\n2\n'), { npath: 20, seed: 1 });
  assert.equal([...new Set(pathList(dead).map((p) => p.key))], ['2|2']);
});

t('equalFst: structural equality within delta, with the first difference named', () => {
  const x = parseFst(A);
  assert.ok(equalFst(x, x.clone()));
  const y = x.clone();
  y.arcs(0)[0].weight = 0.5 + 1e-4;
  assert.ok(equalFst(x, y), 'within kDelta');
  assert.ok(!equalFst(x, y, { delta: 1e-6 }));
  y.arcs(0)[0].nextstate = 0;
  assert.match(fstDifference(x, y)!, /state 0, arc 0/);
  assert.match(fstDifference(x, parseFst(A, { semiring: L }))!, /semirings differ/);
  assert.match(fstDifference(x, union(x, x))!, /start states differ|state counts differ/);
  assert.ok(equalFst(reverse(reverse(parseFst('0 1 1 1\n1\n'))), reverse(reverse(parseFst('0 1 1 1\n1\n')))));
});

/** `kiln fst ...` in-process; stdout as the CLI writes it (every line newline-terminated). */
async function cli(...args: string[]): Promise<{ code: number; out: string; err: string }> {
  const r = await runCli('fst', ...args);
  return { code: r.code, out: r.outLines.map((l) => l + '\n').join(''), err: r.err };
}

t('kiln fst CLI: ops, flags, and errors (exit code, file:line on stderr)', async () => {
  const { mkdtempSync, writeFileSync, rmSync } = await import('node:fs');
  const { join } = await import('node:path');
  const { tmpdir } = await import('node:os');
  const dir = mkdtempSync(join(tmpdir(), 'kiln-fstcli-'));
  try {
    const fa = join(dir, 'a.txt'); writeFileSync(fa, A);
    const fb = join(dir, 'b.txt'); writeFileSync(fb, B);
    const fp = join(dir, 'p.txt'); writeFileSync(fp, P);
    let r = await cli('union', fa, fb);
    assert.is(r.code, 0);
    assert.is(r.out, printFst(union(a(), b())));
    r = await cli('shortestdistance', '--reverse', fa);
    assert.is(r.out, '0\t0.75\n1\t0.25\n');
    r = await cli('shortestpath', '--nshortest=2', fp);
    assert.is(r.out, printFst(shortestPath(parseFst(P), { nshortest: 2 })));
    r = await cli('closure', '--closure_plus', fa);
    assert.is(r.out, printFst(closure(a(), 'plus')));
    r = await cli('project', '--project_type=output', fa);
    assert.is(r.out, printFst(project(a(), 'output')));
    r = await cli('push', '--push_weights', fa);
    assert.is(r.out, printFst(push(a())));
    r = await cli('push', fa);
    assert.is(r.out, printFst(a()), 'without --push_weights fstpush pushes nothing');
    r = await cli('prune', '--weight=0.5', fa);
    assert.is(r.code, 0);
    r = await cli('shortestdistance', '--arc_type=log', fa);
    // OpenFst prints -0.932749867 and -0.432749867 (log(1 - e^-0.5) and + 0.5): equal to float32 rounding.
    const sd = r.out.trim().split('\n').map((l) => Number(l.split('\t')[1]));
    assert.ok(sd.length === 2 && Math.abs(sd[0] - Math.log(1 - Math.exp(-0.5))) < 1e-5 && Math.abs(sd[1] - sd[0] - 0.5) < 1e-6, r.out);
    // The text's state ids are kept (issue 11's example, a state first listed after a higher one,
    // and one no path reaches): OpenFst's fstcompile --keep_state_numbering | fstshortestdistance prints these.
    const fo = join(dir, 'order.txt'); writeFileSync(fo, '0 0 3 2 3\n0 2 1 3 0.5\n1 2 3 2 0.25\n1 0 3 0 3\n1 0 1 3 1.75\n1 0\n2 2 2 1 0\n');
    r = await cli('shortestdistance', fo);
    assert.is(r.out, '0\t0\n1\tInfinity\n2\t0.5\n');
    r = await cli('shortestdistance', '--reverse', fo);
    assert.is(r.out, '0\tInfinity\n1\t0\n');
    r = await cli('arcsort', fo);
    assert.is(r.out, '0\t2\t1\t3\t0.5\n0\t0\t3\t2\t3\n1\t0\t1\t3\t1.75\n1\t0\t3\t0\t3\n1\t2\t3\t2\t0.25\n1\n2\t2\t2\t1\n');
    // --keep_state_numbering=false: numbered in order of first mention (text 2 -> 1, 1 -> 2), as bare fstcompile does.
    r = await cli('shortestdistance', '--keep_state_numbering=false', fo);
    assert.is(r.out, '0\t0\n1\t0.5\n');
    r = await cli('randgen', '--npath=2', '--seed=3', fp);
    assert.is(r.code, 0);
    assert.is(pathList(parseFst(r.out)).length, 2);
    // Empty output for an empty result.
    const fe = join(dir, 'e.txt'); writeFileSync(fe, '0 1 1 1\n');
    r = await cli('connect', fe);
    assert.is(r.code, 0);
    assert.is(r.out, '');
    // Symbol tables.
    const syms = join(dir, 's.txt'); writeFileSync(syms, '<eps> 0\na 1\nb 2\n');
    const fs = join(dir, 'sym.txt'); writeFileSync(fs, '0 1 a b 0.5\n1\n');
    r = await cli('invert', `--isymbols=${syms}`, `--osymbols=${syms}`, fs);
    assert.is(r.out, '0\t1\tb\ta\t0.5\n1\n');
    // Errors.
    const bad = join(dir, 'bad.txt'); writeFileSync(bad, '0 1 1 1\n1 2 1 1 zz\n');
    r = await cli('invert', bad);
    assert.is(r.code, 1);
    assert.match(r.err, /bad\.txt:2: bad weight "zz"/);
    writeFileSync(bad, '0 1 1 1\n1 2 1\n');
    r = await cli('reverse', bad);
    assert.is(r.code, 1);
    assert.match(r.err, /bad\.txt:2: bad number of columns/);
    r = await cli('invert', `--isymbols=${syms}`, `--osymbols=${syms}`, fa);
    assert.is(r.code, 1);
    assert.match(r.err, /a\.txt:1: unknown input symbol "1"/);
    r = await cli('union', fa);
    assert.is(r.code, 2);
    assert.match(r.err, /takes two input files/);
    r = await cli('closure', '--bogus', fa);
    assert.is(r.code, 2);
    assert.match(r.err, /unknown flag --bogus/);
    r = await cli('frobnicate', fa);
    assert.is(r.code, 2);
    r = await cli('invert', join(dir, 'missing.txt'));
    assert.is(r.code, 1);
    assert.match(r.err, /cannot read .*missing\.txt/);
    r = await cli('shortestpath', '--arc_type=log', fa);
    assert.is(r.code, 1);
    assert.match(r.err, /path semiring/);
    r = await cli('prune', '--weight=abc', fa);
    assert.is(r.code, 2);
    r = await cli('help');
    assert.is(r.code, 0);
    assert.match(r.out, /shortestpath A/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

t.run();
