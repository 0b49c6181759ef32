// FST core: semirings (OpenFst's weight contract), VectorFst, symbol tables, AT&T text I/O.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import {
  TropicalSemiring as T, LogSemiring as L, Log64Semiring, semiringByName, formatG, K_DELTA,
  VectorFst, isAcceptor, verifyFst, KilnFstError, NO_STATE, SymbolTable, parseFst, printFst,
} from '../src/fst/index.ts';
import { seededRng } from './fst_util.ts';

const t = suite('fst core');

function throwsFst(fn: () => unknown, ...patterns: RegExp[]): void {
  try {
    fn();
  } catch (e) {
    assert.instance(e, KilnFstError, `expected a KilnFstError, got ${(e as Error).name}: ${(e as Error).message}`);
    for (const p of patterns) assert.match((e as Error).message, p);
    return;
  }
  assert.unreachable(`expected a KilnFstError matching ${patterns.join(', ')}`);
}

t('tropical semiring: min/+ with float32 results, identities, divide, order', () => {
  assert.is(T.plus(1, 2), 1);
  assert.is(T.plus(T.zero, 2), 2);
  assert.is(T.times(0.1, 0.2), Math.fround(0.1 + 0.2));
  assert.is(T.times(T.zero, -5), T.zero);
  assert.is(T.times(T.one, 3.5), 3.5);
  assert.is(T.divide(5, 2), 3);
  assert.is(T.divide(T.zero, 2), T.zero);
  throwsFst(() => T.divide(1, T.zero), /division by Zero/);
  assert.ok(T.isZero(Infinity) && T.isOne(0) && !T.isOne(1e-9));
  assert.ok(T.member(-3) && !T.member(NaN) && !T.member(-Infinity));
  assert.ok(T.idempotent && T.path && T.commutative && T.less!(1, 2) && !T.less!(2, 2));
  assert.ok(T.approxEqual(1, 1 + K_DELTA / 2) && !T.approxEqual(1, 1 + 2 * K_DELTA) && T.approxEqual(Infinity, Infinity));
  assert.is(T.quantize(1.0004), 1);
  assert.is(T.hashKey(1.0004), T.hashKey(0.9998));
  assert.is.not(T.hashKey(1.01), T.hashKey(1));
  assert.is(T.reverse(2.5), 2.5);
  assert.is(semiringByName('standard'), T);
  assert.is(semiringByName('log'), L);
  throwsFst(() => semiringByName('boolean'), /unknown semiring/);
  // Semiring laws on random float32 values.
  const r = seededRng(1);
  for (let i = 0; i < 200; i++) {
    const [a, b, c] = [r() * 10 - 2, r() * 10, r() * 10].map(Math.fround);
    assert.is(T.plus(a, b), T.plus(b, a));
    assert.ok(T.approxEqual(T.times(a, T.plus(b, c)), T.plus(T.times(a, b), T.times(a, c)), 1e-5));
    assert.ok(T.approxEqual(T.times(T.divide(a, b), b), a, 1e-5));
  }
});

t('log semiring: stable -log(e^-a + e^-b), not idempotent, no order', () => {
  assert.ok(Math.abs(L.plus(0.5, 0.25) - -Math.log(Math.exp(-0.5) + Math.exp(-0.25))) < 1e-6);
  assert.is(L.plus(L.zero, 3), 3);
  assert.is(L.plus(3, L.zero), 3);
  // Large arguments stay finite and exact (naive exp would underflow to +Inf).
  assert.ok(Math.abs(L.plus(1000, 1000) - (1000 - Math.log(2))) < 1e-3);
  assert.is(L.plus(1, 200), Math.fround(1 - Math.log1p(Math.exp(-199))));
  assert.ok(!L.idempotent && !L.path && L.less === undefined);
  assert.is(Log64Semiring.plus(0, 0), -Math.log(2));
  const r = seededRng(2);
  for (let i = 0; i < 200; i++) {
    const [a, b, c] = [r() * 10, r() * 10, r() * 10];
    assert.ok(L.approxEqual(L.plus(L.plus(a, b), c), L.plus(a, L.plus(b, c)), 1e-5));
    assert.ok(L.approxEqual(L.times(a, L.plus(b, c)), L.plus(L.times(a, b), L.times(a, c)), 1e-5));
  }
});

t('weights print like fstprint (%.9g of the float32) and parse back exactly', () => {
  assert.is(T.toString(T.parse('1.23456789')), '1.23456788');
  assert.is(T.toString(T.parse('1e-7')), '1.00000001e-07');
  assert.is(T.toString(T.parse('-2.5e12')), '-2.49999996e+12');
  assert.is(T.toString(T.parse('0.1')), '0.100000001');
  assert.is(T.toString(0.5), '0.5');
  assert.is(T.toString(0), '0');
  assert.is(T.toString(T.zero), 'Infinity');
  assert.is(T.toString(-Infinity), '-Infinity');
  assert.is(T.toString(T.parse('1e30')), '1.00000002e+30');
  assert.is(T.toString(T.parse('123456789')), '123456792');
  assert.is(T.toString(T.parse('1234567890')), '1.23456794e+09');
  assert.is(formatG(0.0001, 9), '0.0001');
  assert.is(formatG(Math.fround(1e-5), 9), '9.99999975e-06');
  assert.is(formatG(1e-5, 6), '1e-05');
  assert.is(formatG(100000, 6), '100000');
  assert.is(formatG(1000000, 6), '1e+06');
  // exact decimal ties round to even, as glibc's printf does (fstprint): determinize's weights
  // are often multiples of 1/1024
  assert.is(formatG(3.603515625, 9), '3.60351562');
  assert.is(formatG(-3.603515625, 9), '-3.60351562');
  assert.is(formatG(3.603515625 + 2 ** -20, 9), '3.60351658'); // not a tie: 3.6035165786...

  assert.is(formatG(123456789.5, 9), '123456790');
  assert.is(formatG(0.125, 2), '0.12');
  assert.is(formatG(0.375, 2), '0.38');
  assert.is(T.parse('Infinity'), Infinity);
  assert.is(T.parse('inf'), Infinity);
  for (const bad of ['abc', '1.5x', '', 'nan', 'NaN', '--1', '1e']) throwsFst(() => T.parse(bad), /bad weight/);
  const r = seededRng(3);
  for (let i = 0; i < 2000; i++) {
    const x = Math.fround((r() - 0.5) * 10 ** Math.floor(r() * 20 - 10));
    assert.is(T.parse(T.toString(x)), x, `round trip of ${x}`);
  }
});

t('VectorFst: states, finals, arcs, deleteStates renumbering, clone, flags', () => {
  const f = new VectorFst(T);
  assert.is(f.start, NO_STATE);
  f.addStates(4);
  f.setStart(0);
  f.addArc(0, { ilabel: 1, olabel: 1, weight: 0.5, nextstate: 1 });
  f.addArc(0, { ilabel: 0, olabel: 2, weight: 1, nextstate: 2 });
  f.addArc(1, { ilabel: 2, olabel: 0, weight: 0, nextstate: 3 });
  f.addArc(2, { ilabel: 3, olabel: 3, weight: 0, nextstate: 3 });
  f.setFinal(3, 0.25);
  assert.ok(f.isFinal(3) && !f.isFinal(0));
  assert.is(f.final(0), Infinity);
  assert.is(f.totalArcs(), 4);
  assert.is(f.numInputEpsilons(0), 1);
  assert.is(f.numOutputEpsilons(0), 0);
  assert.is(f.numOutputEpsilons(1), 1);
  assert.ok(!isAcceptor(f));
  f.ilabelSorted = true;
  const g = f.clone();
  g.arcs(0)[0].weight = 9;
  assert.is(f.arcs(0)[0].weight, 0.5, 'clone copies arcs');
  f.addArc(2, { ilabel: 1, olabel: 1, weight: 0, nextstate: 0 });
  assert.ok(!f.ilabelSorted, 'mutation resets the sorted flag');
  f.deleteStates([1]);
  assert.is(f.numStates(), 3);
  assert.equal(f.arcs(0).map((a) => a.nextstate), [1]);
  assert.is(f.final(2), 0.25);
  assert.is(f.start, 0);
  f.setFinal(2, T.zero);
  assert.ok(!f.isFinal(2));
  throwsFst(() => f.addArc(7, { ilabel: 1, olabel: 1, weight: 0, nextstate: 0 }), /state 7 does not exist/);
  throwsFst(() => f.setStart(3), /state 3 does not exist/);
  f.deleteStates([0]);
  assert.is(f.start, NO_STATE, 'deleting the start state leaves no start');
  f.deleteStates();
  assert.is(f.numStates(), 0);
  assert.equal([...new VectorFst(T).states()], []);
});

t('verifyFst reports arcs to missing states, bad labels and bad weights', () => {
  const f = new VectorFst(T);
  f.addStates(2);
  f.setStart(0);
  f.arcs(0).push({ ilabel: 1, olabel: 1, weight: 0, nextstate: 5 });
  throwsFst(() => verifyFst(f, 'x.txt'), /x\.txt: arc 0 -> 5 .* missing state/);
  f.arcs(0)[0] = { ilabel: -1, olabel: 1, weight: 0, nextstate: 1 };
  throwsFst(() => verifyFst(f), /bad labels/);
  f.arcs(0)[0] = { ilabel: 1, olabel: 1, weight: NaN, nextstate: 1 };
  throwsFst(() => verifyFst(f), /invalid weight/);
  f.arcs(0)[0] = { ilabel: 1, olabel: 1, weight: 1, nextstate: 1 };
  verifyFst(f);
});

t('symbol tables: text round trip, find/symbol, errors with file:line', () => {
  const st = SymbolTable.fromText('<eps>\t0\na\t1\nb 2\n\nc\t5\n', 'syms.txt');
  assert.is(st.find('b'), 2);
  assert.is(st.find('zz'), -1);
  assert.is(st.symbol(5), 'c');
  assert.is(st.numSymbols(), 4);
  assert.is(st.addSymbol('d'), 6);
  assert.is(st.addSymbol('a'), 1);
  assert.is(st.toText(), '<eps>\t0\na\t1\nb\t2\nc\t5\nd\t6\n');
  throwsFst(() => SymbolTable.fromText('a\t1\nb\n', 's.txt'), /s\.txt:2: bad symbol table line/);
  throwsFst(() => SymbolTable.fromText('a\tx\n', 's.txt'), /s\.txt:1: bad key "x"/);
  throwsFst(() => SymbolTable.fromText('a\t1\na\t2\n', 's.txt'), /s\.txt:2: symbol "a" is listed twice/);
});

t('parseFst follows fstcompile: first line source is the start, states numbered by first mention, missing weight One', () => {
  const f = parseFst('5\t7\t1\t2\t0.5\n7\t3\t0\t0\n3\t1.5\n\n5\n', { file: 'a.txt' });
  assert.is(f.numStates(), 3);
  assert.is(f.start, 0);
  assert.equal(f.arcs(0), [{ ilabel: 1, olabel: 2, weight: 0.5, nextstate: 1 }]);
  assert.equal(f.arcs(1), [{ ilabel: 0, olabel: 0, weight: 0, nextstate: 2 }]);
  assert.is(f.final(2), 1.5);
  assert.is(f.final(0), 0);
  const k = parseFst('2 0 1 1\n0 Infinity\n', { keepStateNumbering: true });
  assert.is(k.numStates(), 3);
  assert.is(k.start, 2);
  assert.ok(!k.isFinal(0));
  const acc = parseFst('0 1 4\n1 2 5 0.25\n2\n', { acceptor: true });
  assert.equal(acc.arcs(1)[0], { ilabel: 5, olabel: 5, weight: 0.25, nextstate: 2 });
  const log = parseFst('0 1 1 1 0.5\n1\n', { semiring: L });
  assert.is(log.semiring, L);
  assert.is(parseFst('').numStates(), 0);
  assert.is(parseFst('\n \n').start, NO_STATE);
  const is = SymbolTable.fromText('<eps> 0\na 1\nb 2\n');
  const os = SymbolTable.fromText('<eps> 0\nX 1\n');
  const s = parseFst('0 1 a X\n1 2 b <eps> 2\n2\n', { isymbols: is, osymbols: os });
  assert.equal(s.arcs(1)[0], { ilabel: 2, olabel: 0, weight: 2, nextstate: 2 });
  assert.is(printFst(s), '0\t1\ta\tX\n1\t2\tb\t<eps>\t2\n2\n');
});

t('parseFst rejects bad input with file:line and never returns a partial FST', () => {
  throwsFst(() => parseFst('0 1 1 1\n0 1 2\n', { file: 'a.txt' }), /^a\.txt:2: bad number of columns \(3\)/);
  throwsFst(() => parseFst('0 1 1 1 abc\n', { file: 'a.txt' }), /^a\.txt:1: bad weight "abc"/);
  throwsFst(() => parseFst('0 1 1 1\n1 nan\n', { file: 'a.txt' }), /^a\.txt:2: bad weight "nan"/);
  throwsFst(() => parseFst('0 1 -1 1\n', { file: 'a.txt' }), /^a\.txt:1: bad input label "-1"/);
  throwsFst(() => parseFst('0 1 1 x\n', { file: 'a.txt' }), /^a\.txt:1: bad output label "x"/);
  throwsFst(() => parseFst('0 s 1 1\n', { file: 'a.txt' }), /^a\.txt:1: bad state id "s"/);
  throwsFst(() => parseFst('0 1 1 1 1 1\n', { file: 'a.txt' }), /^a\.txt:1: bad number of columns \(6\)/);
  throwsFst(() => parseFst('0 1 1 2 3\n', { file: 'a.txt', acceptor: true }), /^a\.txt:1: bad weight "3"|^a\.txt:1: bad number of columns/);
  const is = SymbolTable.fromText('a 1\n');
  throwsFst(() => parseFst('0 1 a a\n1 2 q a\n', { file: 'a.txt', isymbols: is, osymbols: is }), /^a\.txt:2: unknown input symbol "q"/);
  throwsFst(() => parseFst('0 1 2 2\n1 2 1 1\n', { file: 'g.txt', semiring: L }) && parseFst('0 1 1 1 1.0.0\n', { file: 'g.txt', semiring: L }), /^g\.txt:1: bad weight "1\.0\.0" for the log semiring/);
});

t('printFst follows fstprint: start first, finals after arcs, arc-less states print, One omitted', () => {
  const f = new VectorFst(T);
  f.addStates(4);
  f.setStart(2);
  f.addArc(2, { ilabel: 1, olabel: 1, weight: 0, nextstate: 0 });
  f.addArc(0, { ilabel: 2, olabel: 3, weight: 0.5, nextstate: 1 });
  f.setFinal(1);
  f.setFinal(2, 1.25);
  assert.is(printFst(f), '2\t0\t1\t1\n2\t1.25\n0\t1\t2\t3\t0.5\n1\n3\tInfinity\n');
  assert.is(printFst(f, { showWeightOne: true }), '2\t0\t1\t1\t0\n2\t1.25\n0\t1\t2\t3\t0.5\n1\t0\n3\tInfinity\n');
  throwsFst(() => printFst(f, { acceptor: true }), /acceptor output requested/);
  const a = parseFst('0 1 3\n1\n', { acceptor: true });
  assert.is(printFst(a, { acceptor: true }), '0\t1\t3\n1\n');
  assert.is(printFst(new VectorFst(T)), '');
  const noStart = new VectorFst(T);
  noStart.addState();
  assert.is(printFst(noStart), '');
  const text = '0\t1\t1\t2\t1.23456788\n0\t2\t3\t3\t-0.5\n1\t2\t0\t0\n1\n2\t0.25\n3\t4\t5\t5\t1.00000001e-07\n4\tInfinity\n';
  assert.is(printFst(parseFst(text)), text, 'print(parse(fstprint output)) is the identity');
});

t.run();
