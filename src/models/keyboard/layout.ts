// A keyboard layout: key rectangles in key-width units (see models/keyboard/qwerty.json). Shared by
// the touch generator and the decoders, so validation is strict: a typo in a layout file would
// otherwise show up much later as a mysteriously bad decode.
import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

/** One key: its label, centre (x, y) and size (w, h), in key widths; x grows right, y grows down. */
export interface Key { key: string; x: number; y: number; w: number; h: number }

/**
 * The repo's QWERTY layout. This module is src/models/keyboard/layout.ts, or bundled into
 * dist/node/*.js, so the repo root is three or two levels up; the first that has the file wins.
 */
export function defaultLayoutPath(): string {
  const candidates = ['../../../models/keyboard/qwerty.json', '../../models/keyboard/qwerty.json'].map((p) => fileURLToPath(new URL(p, import.meta.url)));
  return candidates.find((p) => existsSync(p)) ?? candidates[0];
}

/** Gaps this small (in units of the smaller key's size) still count as "touching" for neighbours. */
const TOUCH_TOLERANCE = 0.1;
/** Overlaps up to this area are rounding noise in hand-written coordinates, not an error. */
const OVERLAP_TOLERANCE = 1e-6;

const isLetter = (k: string) => k === "'" || /^\p{L}$/u.test(k);

export class KeyboardLayout {
  readonly name: string;
  readonly keys: readonly Key[];
  readonly width: number;
  readonly height: number;
  /** The letter keys plus apostrophe, in file order: the alphabet a word is spelled in. */
  readonly letters: readonly Key[];
  /** The space key, if the layout has one; kept apart from `letters` since it ends a word rather than spelling it. */
  readonly space: Key | null;
  private readonly index: Map<string, number>;
  private readonly adjacent: Key[][];

  /** Prefer `fromJson`, which validates; this trusts its input. */
  constructor(keys: readonly Key[], width: number, height: number, name = 'keyboard') {
    this.keys = keys.map((k) => ({ ...k }));
    this.width = width;
    this.height = height;
    this.name = name;
    this.index = new Map(this.keys.map((k, i) => [k.key, i]));
    this.letters = this.keys.filter((k) => isLetter(k.key));
    this.space = this.keys.find((k) => k.key === ' ') ?? null;
    this.adjacent = this.keys.map((a) => this.keys.filter((b) => b !== a && edgeAdjacent(a, b)));
  }

  /** Validates a parsed layout file; errors name `source` and the offending field. */
  static fromJson(obj: unknown, source = '<layout>'): KeyboardLayout {
    const fail = (msg: string): never => { throw new Error(`${source}: ${msg}`); };
    if (obj === null || typeof obj !== 'object' || Array.isArray(obj)) fail(`expected a JSON object, got ${describe(obj)}`);
    const o = obj as Record<string, unknown>;
    const positive = (v: unknown, field: string): number => {
      if (typeof v !== 'number' || !Number.isFinite(v) || v <= 0) fail(`${field} must be a positive number (got ${describe(v)})`);
      return v as number;
    };
    const finite = (v: unknown, field: string): number => {
      if (typeof v !== 'number' || !Number.isFinite(v)) fail(`${field} must be a finite number (got ${describe(v)})`);
      return v as number;
    };
    const width = positive(o.width, 'width');
    const height = positive(o.height, 'height');
    if (o.name !== undefined && typeof o.name !== 'string') fail(`name must be a string (got ${describe(o.name)})`);
    if (!Array.isArray(o.keys) || o.keys.length === 0) fail(`keys must be a non-empty array (got ${describe(o.keys)})`);
    const keys: Key[] = [];
    const seen = new Map<string, number>();
    (o.keys as unknown[]).forEach((raw, i) => {
      const at = `keys[${i}]`;
      if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) fail(`${at} must be an object (got ${describe(raw)})`);
      const r = raw as Record<string, unknown>;
      if (typeof r.key !== 'string' || r.key.length === 0) fail(`${at}.key must be a non-empty string (got ${describe(r.key)})`);
      const label = r.key as string;
      if (label !== label.toLowerCase()) fail(`${at}.key ${JSON.stringify(label)} must be lowercase (words are lowered before lookup)`);
      if (seen.has(label)) fail(`${at}.key ${JSON.stringify(label)} duplicates keys[${seen.get(label)}]`);
      seen.set(label, i);
      const k: Key = { key: label, x: finite(r.x, `${at}.x`), y: finite(r.y, `${at}.y`), w: positive(r.w, `${at}.w`), h: positive(r.h, `${at}.h`) };
      const eps = 1e-9;
      if (k.x - k.w / 2 < -eps || k.x + k.w / 2 > width + eps) fail(`${at} (${JSON.stringify(label)}) spans x ${k.x - k.w / 2}..${k.x + k.w / 2}, outside the layout's width ${width}`);
      if (k.y - k.h / 2 < -eps || k.y + k.h / 2 > height + eps) fail(`${at} (${JSON.stringify(label)}) spans y ${k.y - k.h / 2}..${k.y + k.h / 2}, outside the layout's height ${height}`);
      keys.push(k);
    });
    // Overlapping keys make "the key under the finger" ambiguous, which is nearly always a typo.
    for (let i = 0; i < keys.length; i++) {
      for (let j = i + 1; j < keys.length; j++) {
        const a = keys[i], b = keys[j];
        const ox = Math.min(a.x + a.w / 2, b.x + b.w / 2) - Math.max(a.x - a.w / 2, b.x - b.w / 2);
        const oy = Math.min(a.y + a.h / 2, b.y + b.h / 2) - Math.max(a.y - a.h / 2, b.y - b.h / 2);
        if (ox > 0 && oy > 0 && ox * oy > OVERLAP_TOLERANCE) fail(`keys[${i}] (${JSON.stringify(a.key)}) and keys[${j}] (${JSON.stringify(b.key)}) overlap`);
      }
    }
    if (!keys.some((k) => isLetter(k.key))) fail('keys has no letter keys');
    return new KeyboardLayout(keys, width, height, (o.name as string | undefined) ?? source);
  }

  /** Reads and validates a layout file (default: the repo's models/keyboard/qwerty.json). */
  static load(path = defaultLayoutPath()): KeyboardLayout {
    let text: string;
    try {
      text = readFileSync(path, 'utf8');
    } catch (e) {
      throw new Error(`${path}: cannot read keyboard layout (${(e as Error).message})`);
    }
    let obj: unknown;
    try {
      obj = JSON.parse(text);
    } catch (e) {
      throw new Error(`${path}: not valid JSON (${(e as Error).message})`);
    }
    return KeyboardLayout.fromJson(obj, path);
  }

  /** Index of key `k` in `keys`, or -1. */
  keyIndex(k: string): number {
    return this.index.get(k) ?? -1;
  }

  has(k: string): boolean {
    return this.index.has(k);
  }

  /** The key labelled `k`; throws if the layout has none, since callers spell words with it. */
  key(k: string): Key {
    const i = this.index.get(k);
    if (i === undefined) throw new Error(`${this.name}: no key ${JSON.stringify(k)}`);
    return this.keys[i];
  }

  /**
   * The key whose rectangle contains (x, y) (the nearest centre among several, on a shared edge);
   * off every key, the key with the nearest centre.
   */
  nearestKey(x: number, y: number): Key {
    let best: Key | null = null, bestD = Infinity, inside = false;
    for (const k of this.keys) {
      const contains = Math.abs(x - k.x) <= k.w / 2 && Math.abs(y - k.y) <= k.h / 2;
      const d = (x - k.x) ** 2 + (y - k.y) ** 2;
      if ((contains && !inside) || (contains === inside && d < bestD)) {
        best = k;
        bestD = d;
        inside = contains;
      }
    }
    return best!;
  }

  /**
   * Keys sharing an edge with `k` (corner contact does not count: on a staggered keyboard the
   * diagonal keys are where a fat finger rarely lands).
   */
  neighbours(k: string): readonly Key[] {
    const i = this.keyIndex(k);
    if (i < 0) throw new Error(`${this.name}: no key ${JSON.stringify(k)}`);
    return this.adjacent[i];
  }
}

function edgeAdjacent(a: Key, b: Key): boolean {
  const tol = TOUCH_TOLERANCE * Math.min(a.w, a.h, b.w, b.h);
  const gapX = Math.abs(a.x - b.x) - (a.w + b.w) / 2;
  const gapY = Math.abs(a.y - b.y) - (a.h + b.h) / 2;
  // A positive-length shared edge: touching on one axis, overlapping (by more than tol) on the other.
  return (Math.abs(gapX) <= tol && gapY < -tol) || (Math.abs(gapY) <= tol && gapX < -tol);
}

function describe(v: unknown): string {
  if (v === undefined) return 'nothing';
  if (Array.isArray(v)) return `an array of ${v.length}`;
  const s = JSON.stringify(v);
  return s === undefined ? String(v) : s.length > 40 ? `${s.slice(0, 40)}...` : s;
}
