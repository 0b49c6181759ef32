// Adaptive binary arithmetic coding for the Residual-GRU bitstream (bitstream.ts).
//
// Coder: a 32-bit range coder. The encoder keeps `low` (up to 33 bits, the 33rd is a carry) and
// `range` (kept >= 2^24 by emitting one byte whenever it falls below). A byte whose value could still
// change through a carry is held back: `cache` is the last byte not yet written and `pending` counts
// the 0xFF bytes after it; a carry turns them into cache + 1 followed by 0x00s. The interval starts as
// [0, 2^32 - 1), so the first byte of that scheme is always 0 and is not written. finish() picks the
// number in the final interval with the most trailing zero bytes and drops trailing zeros from the
// output; the decoder reads zeros past the end, so nothing is lost.
//
// Probabilities: 16-bit P(bit = 1) for coding, clamped to [16, 65520]/65536 so neither symbol's share
// of the range is ever empty. The split point is floor(range * p0 / 65536), exact in a double
// (range < 2^32, p0 < 2^16). Each context keeps a 22-bit estimate and a count n: after each bit,
// p += (bit - p) / (min(n, ADAPT_LIMIT) + 2), i.e. the Krichevsky-Trofimov estimate (ones + 1/2) /
// (n + 1) for the first ADAPT_LIMIT bits, then an exponential moving average of that window.
// Encoder and decoder do the same IEEE double operations, so the estimates agree bit for bit.

const TOP = 2 ** 24;
const SPAN = 2 ** 32;
const STATE_ONE = 1 << 22;
const P_MIN = 16;
const P_MAX = 65536 - P_MIN;
/** Counts stop growing here: the estimator then averages over roughly the last ADAPT_LIMIT bits. */
export const ADAPT_LIMIT = 254;

/** One adaptive probability per context id, 0 <= ctx < size. Shared by encoder and decoder. */
export class ContextModel {
  readonly size: number;
  private readonly p: Uint32Array;
  private readonly n: Uint8Array;

  constructor(nContexts: number) {
    if (!Number.isInteger(nContexts) || nContexts < 1) throw new RangeError(`ContextModel: nContexts must be a positive integer, got ${nContexts}`);
    this.size = nContexts;
    this.p = new Uint32Array(nContexts).fill(STATE_ONE / 2);
    this.n = new Uint8Array(nContexts);
  }

  /** P(bit = 1) in context ctx, as an integer in [16, 65520] out of 65536. */
  p1(ctx: number): number {
    const q = this.p[ctx] >>> 6;
    return q < P_MIN ? P_MIN : q > P_MAX ? P_MAX : q;
  }

  update(ctx: number, bit: number): void {
    const n = this.n[ctx];
    const p = this.p[ctx];
    this.p[ctx] = p + Math.trunc(((bit ? STATE_ONE : 0) - p) / (n + 2));
    if (n < ADAPT_LIMIT) this.n[ctx] = n + 1;
  }

  checkContext(ctx: number): void {
    if (!(Number.isInteger(ctx) && ctx >= 0 && ctx < this.size)) throw new RangeError(`context ${ctx} is outside [0, ${this.size - 1}]`);
  }
}

function modelOf(m: ContextModel | number): ContextModel {
  return typeof m === 'number' ? new ContextModel(m) : m;
}

export class BinaryEncoder {
  readonly model: ContextModel;
  private low = 0;
  private range = SPAN - 1;
  private cache = 0;
  private pending = 0;
  private started = false;
  private buf = new Uint8Array(256);
  private len = 0;
  private done = false;

  /** Pass a context count for a fresh model, or a ContextModel to continue one (its state is updated). */
  constructor(model: ContextModel | number) {
    this.model = modelOf(model);
  }

  encode(bit: number, ctx: number): void {
    if (this.done) throw new Error('BinaryEncoder: encode() after finish()');
    if (bit !== 0 && bit !== 1) throw new RangeError(`BinaryEncoder: bit must be 0 or 1, got ${bit}`);
    const m = this.model;
    m.checkContext(ctx);
    const bound = Math.floor((this.range * (65536 - m.p1(ctx))) / 65536);
    if (bit === 0) this.range = bound;
    else {
      this.low += bound;
      this.range -= bound;
    }
    m.update(ctx, bit);
    while (this.range < TOP) {
      this.range *= 256;
      this.shiftLow();
    }
  }

  /** Ends the stream and returns its bytes (possibly none). The encoder cannot be used afterwards. */
  finish(): Uint8Array {
    if (!this.done) {
      this.done = true;
      // Any value in [low, low + range) decodes the same; range >= 2^24 guarantees a multiple of 2^24.
      const whole = Math.ceil(this.low / SPAN) * SPAN;
      this.low = whole < this.low + this.range ? whole : Math.ceil(this.low / TOP) * TOP;
      this.shiftLow();
      this.shiftLow();
      while (this.len > 0 && this.buf[this.len - 1] === 0) this.len--;
    }
    return this.buf.slice(0, this.len);
  }

  private shiftLow(): void {
    const low = this.low;
    if (low < 0xff000000 || low >= SPAN) {
      const carry = low >= SPAN ? 1 : 0;
      this.put((this.cache + carry) & 0xff);
      for (; this.pending > 0; this.pending--) this.put((0xff + carry) & 0xff);
      this.cache = (low >>> 24) & 0xff;
    } else this.pending++;
    this.low = (low & 0xffffff) * 256;
  }

  private put(byte: number): void {
    if (!this.started) {
      this.started = true; // the always-zero leading byte
      return;
    }
    if (this.len === this.buf.length) {
      const grown = new Uint8Array(this.buf.length * 2);
      grown.set(this.buf);
      this.buf = grown;
    }
    this.buf[this.len++] = byte;
  }
}

export class BinaryDecoder {
  readonly model: ContextModel;
  private readonly bytes: Uint8Array;
  private pos = 0;
  private code = 0;
  private range = SPAN - 1;

  /** bytes: the output of BinaryEncoder.finish(); model: the same context count (or model state) the encoder started from. */
  constructor(bytes: Uint8Array, model: ContextModel | number) {
    this.bytes = bytes;
    this.model = modelOf(model);
    for (let i = 0; i < 4; i++) this.code = this.code * 256 + this.next();
  }

  decode(ctx: number): number {
    const m = this.model;
    m.checkContext(ctx);
    const bound = Math.floor((this.range * (65536 - m.p1(ctx))) / 65536);
    let bit: number;
    if (this.code < bound) {
      bit = 0;
      this.range = bound;
    } else {
      bit = 1;
      this.code -= bound;
      this.range -= bound;
    }
    m.update(ctx, bit);
    while (this.range < TOP) {
      this.range *= 256;
      this.code = this.code * 256 + this.next();
    }
    return bit;
  }

  /** Bytes read so far, including the zeros implied past the end of the input. */
  get bytesRead(): number {
    return this.pos;
  }

  private next(): number {
    return this.pos < this.bytes.length ? this.bytes[this.pos++] : (this.pos++, 0);
  }
}
