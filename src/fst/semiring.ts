// Semirings with OpenFst's weight contract (plus, times, zero, one, divide, approx-equal, quantize).
// Tropical and log weights are float32 like OpenFst's standard/log arcs: every result is rounded
// to float32 (Math.fround), so sums and path weights agree with OpenFst's bit-for-bit in the
// common case; log64 keeps float64.
import { KilnFstError } from './errors.ts';

/** OpenFst's default comparison/quantization delta (kDelta). */
export const K_DELTA = 1 / 1024;

export interface Semiring<W> {
  readonly name: string;
  readonly zero: W;
  readonly one: W;
  plus(a: W, b: W): W;
  times(a: W, b: W): W;
  /** a / b; throws KilnFstError when undefined (division by zero). */
  divide(a: W, b: W, side?: 'left' | 'right' | 'any'): W;
  equal(a: W, b: W): boolean;
  approxEqual(a: W, b: W, delta?: number): boolean;
  quantize(a: W, delta?: number): W;
  isZero(a: W): boolean;
  isOne(a: W): boolean;
  member(a: W): boolean;
  reverse(a: W): W;
  hashKey(a: W, delta?: number): string;
  toString(a: W): string;
  parse(s: string): W;
  readonly idempotent: boolean;
  readonly commutative: boolean;
  /** Natural order is total (plus picks one of its arguments): shortest-path / prune apply. */
  readonly path: boolean;
  less?(a: W, b: W): boolean;
}

const NUMBER_RE = /^[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?$/;

/** Parses an OpenFst float weight: decimal/exponent numbers, 'Infinity', '-Infinity' (also 'inf'). NaN is rejected. */
export function parseFloatWeight(s: string, round: (x: number) => number): number {
  const t = s.trim();
  if (t === 'Infinity' || t === 'inf' || t === '+Infinity' || t === '+inf') return Infinity;
  if (t === '-Infinity' || t === '-inf') return -Infinity;
  if (!NUMBER_RE.test(t)) throw new KilnFstError(`bad weight "${s}": expected a number, 'Infinity' or '-Infinity'`);
  return round(Number(t));
}

/**
 * C printf "%.Pg" (what OpenFst's fstprint writes: precision 9 for float32 weights, which
 * round-trips every float32). 'Infinity' / '-Infinity' / 'BadNumber' for the specials.
 */
export function formatG(value: number, precision: number): string {
  let x = value;
  if (Number.isNaN(x)) return 'BadNumber';
  if (x === Infinity) return 'Infinity';
  if (x === -Infinity) return '-Infinity';
  if (x === 0) return Object.is(x, -0) ? '-0' : '0';
  let e = x.toExponential(precision - 1); // d.ddddde[+-]X
  // JavaScript rounds an exact decimal tie away from zero; C's printf (glibc), which fstprint
  // uses, rounds it to even: 3.603515625 prints 3.60351562. Detect an exact tie from the exact
  // expansion (a float's terminates well within 100 digits here) and round it down when the
  // kept last digit would become odd.
  const exact = x.toExponential(Math.min(100, precision + 40));
  const dig = exact.slice(0, exact.indexOf('e')).replace('-', '').replace('.', '');
  if (dig[precision] === '5' && /^0*$/.test(dig.slice(precision + 1)) && Number(dig[precision - 1]) % 2 === 0) {
    const mant = `${x < 0 ? '-' : ''}${dig[0]}.${dig.slice(1, precision)}`;
    e = `${mant}${exact.slice(exact.indexOf('e'))}`;
    x = Number(e); // the rounded-down value: toFixed below then prints the same digits
  }
  const at = e.indexOf('e');
  const exp = Number(e.slice(at + 1));
  if (exp < -4 || exp >= precision) {
    let mant = e.slice(0, at);
    if (mant.includes('.')) mant = mant.replace(/0+$/, '').replace(/\.$/, '');
    const ae = Math.abs(exp);
    return `${mant}e${exp < 0 ? '-' : '+'}${ae < 10 ? '0' : ''}${ae}`;
  }
  let f = x.toFixed(Math.max(0, precision - 1 - exp));
  if (f.includes('.')) f = f.replace(/0+$/, '').replace(/\.$/, '');
  return f;
}

const formatCache = new Map<number, string>();
/** formatG(x, 9) with a bounded cache: FST weights repeat, and printing big FSTs is dominated by formatting. */
function formatG9(x: number): string {
  if (x === 0) return formatG(x, 9); // the cache would not tell -0 from 0
  let s = formatCache.get(x);
  if (s === undefined) {
    s = formatG(x, 9);
    if (formatCache.size > 65536) formatCache.clear();
    formatCache.set(x, s);
  }
  return s;
}

function quantizeNum(a: number, delta = K_DELTA): number {
  if (!Number.isFinite(a)) return a;
  return Math.floor(a / delta + 0.5) * delta;
}

function makeNumeric(name: string, kind: 'tropical' | 'log', bits: 32 | 64): Semiring<number> {
  const round: (x: number) => number = bits === 32 ? Math.fround : (x) => x;
  const precision = bits === 32 ? 9 : 17;
  const plus = kind === 'tropical'
    ? (a: number, b: number) => (a < b ? a : b)
    : bits === 32
      // OpenFst's float LogWeight: f_min - log1p(exp(-(f_max - f_min))), each step rounded to float32 as C++ float arithmetic does.
      ? (a: number, b: number) => {
        if (a === Infinity) return b;
        if (b === Infinity) return a;
        const lo = a <= b ? a : b;
        const x = Math.fround((a <= b ? b : a) - lo);
        return Math.fround(lo - Math.fround(Math.log1p(Math.fround(Math.exp(-x)))));
      }
      : (a: number, b: number) => {
        if (a === Infinity) return b;
        if (b === Infinity) return a;
        return a <= b ? a - Math.log1p(Math.exp(a - b)) : b - Math.log1p(Math.exp(b - a));
      };
  const sr: Semiring<number> = {
    name,
    zero: Infinity,
    one: 0,
    plus,
    times: (a, b) => (a === Infinity || b === Infinity ? Infinity : round(a + b)),
    divide: (a, b) => {
      if (b === Infinity) throw new KilnFstError(`${name} semiring: division by Zero (Infinity) is undefined`);
      if (a === Infinity) return Infinity;
      return round(a - b);
    },
    equal: (a, b) => a === b,
    approxEqual: (a, b, delta = K_DELTA) => a <= b + delta && b <= a + delta,
    quantize: quantizeNum,
    isZero: (a) => a === Infinity,
    isOne: (a) => a === 0,
    member: (a) => a === a && a !== -Infinity,
    reverse: (a) => a,
    hashKey: (a, delta = K_DELTA) => String(quantizeNum(a, delta)),
    // Printed as the float32 OpenFst would hold (a float64 value slipped in by a caller prints the same as fstprint would print it).
    toString: bits === 32 ? (a) => formatG9(Math.fround(a)) : (a) => formatG(a, precision),
    parse: (s) => parseFloatWeight(s, round),
    idempotent: kind === 'tropical',
    commutative: true,
    path: kind === 'tropical',
  };
  if (kind === 'tropical') (sr as { less?: (a: number, b: number) => boolean }).less = (a, b) => a < b;
  return Object.freeze(sr);
}

/** min, + over float32; zero = +Infinity, one = 0 (OpenFst's TropicalWeight, arc type 'standard'). */
export const TropicalSemiring: Semiring<number> = makeNumeric('tropical', 'tropical', 32);
/** -log(e^-a + e^-b), + over float32 (OpenFst's LogWeight, arc type 'log'). */
export const LogSemiring: Semiring<number> = makeNumeric('log', 'log', 32);
/** The log semiring over float64 (OpenFst's Log64Weight, arc type 'log64'). */
export const Log64Semiring: Semiring<number> = makeNumeric('log64', 'log', 64);
/** The tropical semiring over float64 (OpenFst's Tropical64Weight). */
export const Tropical64Semiring: Semiring<number> = makeNumeric('tropical64', 'tropical', 64);

/** 'tropical' | 'standard' | 'log' | 'log64' | 'tropical64' (OpenFst arc-type or weight-type names). */
export function semiringByName(name: string): Semiring<any> {
  switch (name) {
    case 'tropical': case 'standard': return TropicalSemiring;
    case 'log': return LogSemiring;
    case 'log64': return Log64Semiring;
    case 'tropical64': return Tropical64Semiring;
    default: throw new KilnFstError(`unknown semiring / arc type '${name}': expected tropical (standard), log, log64 or tropical64`);
  }
}

/** Sum (plus) of many weights. */
export function plusAll<W>(sr: Semiring<W>, ws: Iterable<W>): W {
  let acc = sr.zero;
  for (const w of ws) acc = sr.plus(acc, w);
  return acc;
}
