// Symbol tables (OpenFst text form: one "symbol<TAB>key" per line).
import { KilnFstError } from './errors.ts';

export class SymbolTable {
  name: string;
  private byName = new Map<string, number>();
  private byKey = new Map<number, string>();
  private nextKey = 0;

  constructor(name = '') {
    this.name = name;
  }

  /** Adds sym (with key, or the next free key); returns its key. An existing symbol keeps its key. */
  addSymbol(sym: string, key?: number): number {
    const have = this.byName.get(sym);
    if (have !== undefined) return have;
    const k = key ?? this.nextKey;
    if (!Number.isInteger(k) || k < 0) throw new KilnFstError(`SymbolTable${this.name ? ` '${this.name}'` : ''}: bad key ${k} for symbol '${sym}' (expected a non-negative integer)`);
    this.byName.set(sym, k);
    if (!this.byKey.has(k)) this.byKey.set(k, sym);
    if (k >= this.nextKey) this.nextKey = k + 1;
    return k;
  }

  /** The key of sym, or -1. */
  find(sym: string): number {
    return this.byName.get(sym) ?? -1;
  }

  symbol(key: number): string | undefined {
    return this.byKey.get(key);
  }

  numSymbols(): number {
    return this.byName.size;
  }

  /** [symbol, key] pairs in key order. */
  entries(): [string, number][] {
    return [...this.byName.entries()].sort((a, b) => a[1] - b[1]);
  }

  static fromText(text: string, file = 'symbols'): SymbolTable {
    const t = new SymbolTable(file);
    const lines = text.split('\n');
    for (let i = 0; i < lines.length; i++) {
      const line = lines[i].replace(/\r$/, '');
      if (line.trim() === '') continue;
      const cols = line.split(/[ \t]+/).filter((c) => c !== '');
      if (cols.length !== 2) throw new KilnFstError(`${file}:${i + 1}: bad symbol table line "${line}": expected "symbol<TAB>key"`);
      if (!/^\d+$/.test(cols[1])) throw new KilnFstError(`${file}:${i + 1}: bad key "${cols[1]}" for symbol "${cols[0]}": expected a non-negative integer`);
      if (t.find(cols[0]) !== -1) throw new KilnFstError(`${file}:${i + 1}: symbol "${cols[0]}" is listed twice`);
      t.addSymbol(cols[0], Number(cols[1]));
    }
    return t;
  }

  toText(): string {
    return this.entries().map(([s, k]) => `${s}\t${k}\n`).join('');
  }
}
