// A binary min-heap of state ids with decrease/increase-key (positions tracked per state).
export class StateHeap {
  private h: number[] = [];
  private pos: Int32Array;
  constructor(n: number, private readonly less: (a: number, b: number) => boolean) {
    this.pos = new Int32Array(n).fill(-1);
  }
  get size(): number { return this.h.length; }
  has(s: number): boolean { return this.pos[s] >= 0; }
  /** Inserts s, or restores the heap order after s's key changed. */
  push(s: number): void {
    const i = this.pos[s];
    if (i >= 0) { this.up(i); this.down(this.pos[s]); return; }
    this.h.push(s);
    this.pos[s] = this.h.length - 1;
    this.up(this.h.length - 1);
  }
  pop(): number {
    const h = this.h;
    const top = h[0];
    const last = h.pop()!;
    this.pos[top] = -1;
    if (h.length) { h[0] = last; this.pos[last] = 0; this.down(0); }
    return top;
  }
  private swap(i: number, j: number): void {
    const h = this.h;
    const t = h[i]; h[i] = h[j]; h[j] = t;
    this.pos[h[i]] = i; this.pos[h[j]] = j;
  }
  private up(i: number): void {
    while (i > 0) {
      const p = (i - 1) >> 1;
      if (!this.less(this.h[i], this.h[p])) return;
      this.swap(i, p); i = p;
    }
  }
  private down(i: number): void {
    const h = this.h;
    for (;;) {
      const l = 2 * i + 1, r = l + 1;
      let m = i;
      if (l < h.length && this.less(h[l], h[m])) m = l;
      if (r < h.length && this.less(h[r], h[m])) m = r;
      if (m === i) return;
      this.swap(i, m); i = m;
    }
  }
}
