// Residual-GRU bitstream: the adaptive binary arithmetic coder (src/models/codec/arith.ts) and the
// .rgru file format (src/models/codec/bitstream.ts): round trips, compression, rate scalability and
// every error path.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { BinaryDecoder, BinaryEncoder, ContextModel } from '../src/models/codec/arith.ts';
import {
  RGRU_CHUNK_OVERHEAD, RGRU_HEADER_BYTES, RgruFormatError, bitsPerPixel, crc32, decodeBitstream, encodeBitstream,
  iterationChunkSizes, nominalBitsPerPixel, readHeader, truncateIterations, type RgruErrorKind, type RgruGeometry,
} from '../src/models/codec/bitstream.ts';
import { rng } from '../src/util/numeric.ts';

const t = suite('codec bitstream');

function throwsRgru(fn: () => unknown, kind: RgruErrorKind, ...patterns: RegExp[]): void {
  try {
    fn();
  } catch (e) {
    assert.instance(e, RgruFormatError, `expected an RgruFormatError, got ${(e as Error).name}: ${(e as Error).message}`);
    assert.is((e as RgruFormatError).kind, kind, (e as Error).message);
    for (const p of patterns) assert.match((e as Error).message, p);
    return;
  }
  assert.unreachable(`expected an RgruFormatError (${kind}) matching ${patterns.join(', ')}`);
}

function roundTripCoder(bits: ArrayLike<number>, ctxs: ArrayLike<number>, nContexts: number): Uint8Array {
  const enc = new BinaryEncoder(nContexts);
  for (let i = 0; i < bits.length; i++) enc.encode(bits[i], ctxs[i]);
  const out = enc.finish();
  const dec = new BinaryDecoder(out, nContexts);
  for (let i = 0; i < bits.length; i++) {
    const b = dec.decode(ctxs[i]);
    if (b !== bits[i]) assert.unreachable(`bit ${i} of ${bits.length} decoded as ${b}, encoded ${bits[i]}`);
  }
  return out;
}

const geom = (gridH: number, gridW: number, bitsPerPos = 32): RgruGeometry => ({ width: gridW * 16 - 5, height: gridH * 16 - 3, gridH, gridW, bitsPerPos });
const bitCount = (g: RgruGeometry) => g.gridH * g.gridW * g.bitsPerPos;

function randomIterations(g: RgruGeometry, T: number, seed: number, p = 0.5): Uint8Array[] {
  const r = rng(seed);
  return Array.from({ length: T }, () => Uint8Array.from({ length: bitCount(g) }, () => (r() < p ? 1 : 0)));
}

/** Per channel a thresholded sum of a few low-frequency waves: large same-valued regions. */
function smoothIteration(g: RgruGeometry, r: () => number): Uint8Array {
  const bits = new Uint8Array(bitCount(g));
  for (let c = 0; c < g.bitsPerPos; c++) {
    const waves = Array.from({ length: 3 }, () => ({ fy: r() * 0.4, fx: r() * 0.4, ph: r() * 6.283, a: 0.5 + r() }));
    const bias = r() - 0.5;
    for (let y = 0; y < g.gridH; y++) {
      for (let x = 0; x < g.gridW; x++) {
        let v = bias;
        for (const w of waves) v += w.a * Math.sin(w.fy * y + w.fx * x + w.ph);
        bits[(y * g.gridW + x) * g.bitsPerPos + c] = v > 0 ? 1 : 0;
      }
    }
  }
  return bits;
}

/** Iteration 0 smooth, each later one the previous with a growing share of bits flipped. */
function structuredIterations(g: RgruGeometry, T: number, seed: number): Uint8Array[] {
  const r = rng(seed);
  const its = [smoothIteration(g, r)];
  for (let i = 1; i < T; i++) its.push(its[i - 1].map((b) => (r() < 0.03 * i ? 1 - b : b)));
  return its;
}

function assertSameIterations(got: Uint8Array[], want: Uint8Array[], what: string): void {
  assert.is(got.length, want.length, `${what}: iteration count`);
  for (let i = 0; i < want.length; i++) {
    assert.is(got[i].length, want[i].length, `${what}: iteration ${i} length`);
    for (let j = 0; j < want[i].length; j++) if (got[i][j] !== want[i][j]) assert.unreachable(`${what}: iteration ${i} bit ${j} is ${got[i][j]}, expected ${want[i][j]}`);
  }
}

/** Recomputes the header checksum after the test has edited header fields. */
function resealHeader(f: Uint8Array): Uint8Array {
  new DataView(f.buffer, f.byteOffset).setUint32(20, crc32(f, 0, 20), true);
  return f;
}

t('crc32: the IEEE check value and the empty input', () => {
  assert.is(crc32(new TextEncoder().encode('123456789')), 0xcbf43926);
  assert.is(crc32(new Uint8Array(0)), 0);
  assert.is(crc32(new TextEncoder().encode('a123456789b'), 1, 10), 0xcbf43926);
});

t('arith: exact round trip for lengths 0..100k, constant, skewed and random bits', () => {
  const r = rng(7);
  for (const n of [0, 1, 7, 8, 9, 100, 100_000]) {
    for (const p of [0, 1, 0.5, 0.003, 0.997, 0.2]) {
      const bits = Uint8Array.from({ length: n }, () => (r() < p ? 1 : 0));
      roundTripCoder(bits, new Uint8Array(n), 1);
      const ctxs = Uint16Array.from({ length: n }, () => Math.floor(r() * 5));
      roundTripCoder(bits, ctxs, 5);
    }
  }
  assert.is(roundTripCoder([], [], 1).length, 0, 'an empty stream is zero bytes');
  // Long runs of one symbol push a probability to its clamp; a surprise then must still decode.
  const spikes = new Uint8Array(50_000);
  for (let i = 997; i < spikes.length; i += 4999) spikes[i] = 1;
  roundTripCoder(spikes, new Uint8Array(spikes.length), 1);
  roundTripCoder(spikes.map((b) => 1 - b), new Uint8Array(spikes.length), 1);
  // Many random short streams, exercising carries and the flush.
  for (let trial = 0; trial < 300; trial++) {
    const n = Math.floor(r() * 300);
    const p = r();
    roundTripCoder(Uint8Array.from({ length: n }, () => (r() < p ? 1 : 0)), Uint8Array.from({ length: n }, () => Math.floor(r() * 3)), 3);
  }
});

t('arith: sizes near the entropy; a shared ContextModel carries state across streams', () => {
  const r = rng(11);
  const n = 100_000;
  const entropy = (p: number) => -(p * Math.log2(p) + (1 - p) * Math.log2(1 - p));
  // Against the sample's own entropy; the window of ADAPT_LIMIT bits costs most at small p.
  for (const [p, slack] of [[0.5, 1.005], [0.1, 1.01], [0.01, 1.04]]) {
    const bits = Uint8Array.from({ length: n }, () => (r() < p ? 1 : 0));
    const out = roundTripCoder(bits, new Uint8Array(n), 1);
    const h = entropy(bits.reduce((a, b) => a + b, 0) / n);
    const bitsPerBit = (out.length * 8) / n;
    assert.ok(bitsPerBit < h * slack, `p=${p}: ${bitsPerBit.toFixed(4)} bits/bit, sample entropy ${h.toFixed(4)}`);
  }
  assert.ok(roundTripCoder(new Uint8Array(n), new Uint8Array(n), 1).length <= 4, 'all zeros codes to almost nothing');
  assert.ok(roundTripCoder(new Uint8Array(n).fill(1), new Uint8Array(n), 1).length <= 16, 'all ones codes to almost nothing');

  const bits = Uint8Array.from({ length: 2000 }, () => (r() < 0.1 ? 1 : 0));
  const em = new ContextModel(1);
  const streams = [0, 1000, 2000].slice(1).map((end, i) => {
    const enc = new BinaryEncoder(em);
    for (let j = i * 1000; j < end; j++) enc.encode(bits[j], 0);
    return enc.finish();
  });
  const dm = new ContextModel(1);
  for (let s = 0; s < 2; s++) {
    const dec = new BinaryDecoder(streams[s], dm);
    for (let j = s * 1000; j < (s + 1) * 1000; j++) assert.is(dec.decode(0), bits[j]);
  }
  assert.is(em.p1(0), dm.p1(0));
});

t('arith: bad bits and contexts throw; no encode after finish', () => {
  const enc = new BinaryEncoder(4);
  assert.throws(() => enc.encode(2, 0), /bit must be 0 or 1, got 2/);
  assert.throws(() => enc.encode(1, 4), /context 4 is outside \[0, 3\]/);
  assert.throws(() => enc.encode(1, -1), /context -1/);
  enc.finish();
  assert.throws(() => enc.encode(1, 0), /after finish/);
  assert.throws(() => new BinaryDecoder(new Uint8Array(0), 2).decode(2), /context 2 is outside/);
  assert.throws(() => new ContextModel(0), /positive integer/);
});

t('rgru: raw and entropy round trips on random and structured codes, edge grid sizes', () => {
  const cases: [RgruGeometry, number][] = [
    [geom(1, 1), 1], [geom(1, 1), 16], [geom(3, 17), 1], [geom(3, 17), 16], [geom(4, 5, 1), 3], [geom(2, 3, 7), 5], [geom(16, 16), 4],
  ];
  let seed = 1;
  for (const [g, T] of cases) {
    for (const its of [randomIterations(g, T, seed++), structuredIterations(g, T, seed++), randomIterations(g, T, seed++, 0.02)]) {
      for (const entropy of [false, true]) {
        const f = encodeBitstream(g, its, { entropy });
        const what = `${g.gridH}x${g.gridW}x${g.bitsPerPos} T=${T} entropy=${entropy}`;
        const d = decodeBitstream(f);
        assert.equal(d.header, { ...g, version: 1, entropy, iterations: T }, what);
        assert.equal(readHeader(f), d.header);
        assertSameIterations(d.iterations, its, what);
        const sizes = iterationChunkSizes(f);
        assert.is(sizes.length, T);
        assert.is(RGRU_HEADER_BYTES + sizes.reduce((a, b) => a + b, 0), f.length, `${what}: chunk sizes add up to the file`);
        if (!entropy) for (const s of sizes) assert.is(s, RGRU_CHUNK_OVERHEAD + 1 + Math.ceil(bitCount(g) / 8), `${what}: raw chunk size`);
      }
    }
  }
  // Plain arrays of 0/1 are accepted as well as Uint8Arrays; zero iterations is a valid file.
  const g = geom(2, 2, 3);
  assertSameIterations(decodeBitstream(encodeBitstream(g, [[1, 0, 1, 1, 0, 0, 1, 1, 1, 0, 0, 0]], { entropy: true })).iterations, [Uint8Array.of(1, 0, 1, 1, 0, 0, 1, 1, 1, 0, 0, 0)], 'plain array');
  const empty = encodeBitstream(g, [], { entropy: true });
  assert.is(empty.length, RGRU_HEADER_BYTES);
  assert.is(decodeBitstream(empty).iterations.length, 0);
});

t('rgru: entropy coding shrinks structured codes and costs nothing on random ones', () => {
  const g: RgruGeometry = { width: 512, height: 384, gridH: 24, gridW: 32, bitsPerPos: 32 };
  const T = 8;
  const structured = structuredIterations(g, T, 99);
  const raw = encodeBitstream(g, structured, { entropy: false });
  const coded = encodeBitstream(g, structured, { entropy: true });
  assertSameIterations(decodeBitstream(coded).iterations, structured, 'structured');
  assert.ok(coded.length < raw.length * 0.6, `structured: entropy ${coded.length} bytes vs raw ${raw.length}`);
  const rawSizes = iterationChunkSizes(raw), codedSizes = iterationChunkSizes(coded);
  assert.ok(codedSizes[0] < rawSizes[0] * 0.4, `smooth iteration 0: ${codedSizes[0]} vs ${rawSizes[0]} bytes`);
  for (let i = 1; i < T; i++) assert.ok(codedSizes[i] < rawSizes[i], `iteration ${i}: ${codedSizes[i]} vs ${rawSizes[i]} bytes`);
  assert.ok(Math.abs(nominalBitsPerPixel(g, T) - 1) < 1e-12, '8 iterations of 32 bits per 16x16 block = 1 bpp');
  assert.ok(bitsPerPixel(raw) > 1 && bitsPerPixel(raw) < 1.005, `raw bpp ${bitsPerPixel(raw)}`);
  assert.ok(bitsPerPixel(coded) < 0.6 * bitsPerPixel(raw));
  assert.is(bitsPerPixel(coded, 512, 384, 0), (RGRU_HEADER_BYTES * 8) / (512 * 384));
  assert.is(bitsPerPixel(coded, 100, 100, 1), ((RGRU_HEADER_BYTES + codedSizes[0]) * 8) / 1e4);

  const random = randomIterations(g, 4, 5);
  const rawR = encodeBitstream(g, random, { entropy: false });
  const codedR = encodeBitstream(g, random, { entropy: true });
  assertSameIterations(decodeBitstream(codedR).iterations, random, 'random');
  assert.ok(codedR.length <= rawR.length * 1.03, `random: entropy ${codedR.length} bytes vs raw ${rawR.length}`);
});

t('rgru: maxIterations and truncateIterations give the same prefix; a file cut after k chunks still serves k', () => {
  const g = geom(5, 7);
  const T = 6;
  for (const entropy of [false, true]) {
    const its = structuredIterations(g, T, entropy ? 3 : 4);
    const f = encodeBitstream(g, its, { entropy });
    const sizes = iterationChunkSizes(f);
    let end = RGRU_HEADER_BYTES;
    for (let k = 0; k <= T; k++) {
      const prefix = decodeBitstream(f, { maxIterations: k });
      assert.is(prefix.header.iterations, T);
      assertSameIterations(prefix.iterations, its.slice(0, k), `maxIterations ${k}`);
      const cut = truncateIterations(f, k);
      assert.is(cut.length, end);
      assert.is(readHeader(cut).iterations, k);
      assertSameIterations(decodeBitstream(cut).iterations, its.slice(0, k), `truncateIterations ${k}`);
      assert.equal(Array.from(cut.subarray(RGRU_HEADER_BYTES)), Array.from(f.subarray(RGRU_HEADER_BYTES, end)), 'chunks are copied unchanged');
      // The first `end` bytes of the file (a partial download) are enough for k iterations.
      const partial = f.slice(0, end);
      assertSameIterations(decodeBitstream(partial, { maxIterations: k }).iterations, its.slice(0, k), `partial file, ${k} iterations`);
      assert.equal(Array.from(truncateIterations(partial, k)), Array.from(cut));
      if (k < T) end += sizes[k];
    }
    assert.is(decodeBitstream(f, { maxIterations: 99 }).iterations.length, T, 'maxIterations beyond T decodes all');
    throwsRgru(() => truncateIterations(f, T + 1), 'input', /cannot keep 7 iterations; the file holds 6/);
    throwsRgru(() => decodeBitstream(f, { maxIterations: -1 }), 'input', /maxIterations must be a non-negative integer/);
  }
});

t('rgru errors: bad magic, unsupported version, unknown flags, header checksum and ranges', () => {
  const g = geom(3, 4);
  const f = encodeBitstream(g, structuredIterations(g, 3, 8), { entropy: true });
  const png = Uint8Array.of(0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a);
  throwsRgru(() => decodeBitstream(png), 'magic', /^not a kiln Residual-GRU file \(\.rgru\): the first 4 bytes are 89 50 4e 47 \("\.PNG"\), expected 52 47 52 55 \("RGRU"\)/);
  throwsRgru(() => readHeader(Uint8Array.of(0x52, 0x58)), 'magic', /first 2 bytes are 52 58/);

  const v2 = f.slice();
  v2[4] = 2;
  throwsRgru(() => decodeBitstream(v2), 'version', /unsupported \.rgru format version 2: this kiln reads version 1/);

  const flags = f.slice();
  flags[5] = 0x03;
  throwsRgru(() => decodeBitstream(resealHeader(flags)), 'header', /flags 0x03 set bits this reader does not know/);

  const damaged = f.slice();
  damaged[7] ^= 0x10;
  throwsRgru(() => decodeBitstream(damaged), 'corrupt', /the header's checksum does not match/);

  const fields: [number, number, RegExp][] = [[6, 4, /width = 0 is out of range/], [10, 4, /height = 0/], [14, 2, /gridH = 0 is out of range; it must be an integer in \[1, 65535\] \(u16/], [16, 2, /gridW = 0/], [18, 1, /bitsPerPos = 0/]];
  for (const [off, size, re] of fields) {
    const z = f.slice();
    z.fill(0, off, off + size);
    throwsRgru(() => decodeBitstream(resealHeader(z)), 'header', re);
  }
  const huge = f.slice();
  new DataView(huge.buffer).setUint16(14, 65535, true);
  new DataView(huge.buffer).setUint16(16, 65535, true);
  throwsRgru(() => readHeader(resealHeader(huge)), 'header', /bits per iteration exceeds/);
});

t('rgru errors: truncation inside the header, at chunk boundaries and inside a chunk', () => {
  const g = geom(3, 17);
  for (const entropy of [false, true]) {
    const f = encodeBitstream(g, structuredIterations(g, 5, 12), { entropy });
    const sizes = iterationChunkSizes(f);
    const starts = [RGRU_HEADER_BYTES];
    for (const s of sizes) starts.push(starts[starts.length - 1] + s);
    for (const n of [0, 2, 4, 5, 10, 23]) {
      throwsRgru(() => decodeBitstream(f.subarray(0, n)), 'truncated', new RegExp(`the header needs 24 bytes but the file has ${n}`));
    }
    for (let it = 0; it < 5; it++) {
      const at = starts[it];
      // Cut exactly at the start of chunk `it`, inside its 8-byte chunk header, and inside its body.
      throwsRgru(() => decodeBitstream(f.subarray(0, at)), 'truncated', new RegExp(`iteration ${it}'s chunk header needs 8 bytes at offset ${at} but 0 remain`));
      throwsRgru(() => decodeBitstream(f.subarray(0, at + 5)), 'truncated', new RegExp(`iteration ${it}'s chunk header needs 8 bytes at offset ${at} but 5 remain`));
      const body = sizes[it] - RGRU_CHUNK_OVERHEAD;
      const cut = at + RGRU_CHUNK_OVERHEAD + Math.floor(body / 2);
      throwsRgru(
        () => decodeBitstream(f.subarray(0, cut)),
        'truncated',
        new RegExp(`iteration ${it}'s chunk needs ${body} bytes at offset ${at + 8} but only ${Math.floor(body / 2)} are present \\(expected at least ${at + 8 + body} bytes, found ${cut}\\)`),
        it > 0 ? new RegExp(`decode the ${it} complete iterations? with \\{ maxIterations: ${it} \\}`) : /re-send the whole file/,
      );
      throwsRgru(() => truncateIterations(f.subarray(0, cut), 5), 'truncated', new RegExp(`iteration ${it}'s chunk needs`));
      throwsRgru(() => iterationChunkSizes(f.subarray(0, cut)), 'truncated');
    }
    throwsRgru(() => decodeBitstream(f.subarray(0, f.length - 1)), 'truncated', /iteration 4's chunk needs/);
    const extra = new Uint8Array(f.length + 3);
    extra.set(f);
    throwsRgru(() => decodeBitstream(extra), 'corrupt', /3 bytes follow the last iteration \(iteration 4 ends at offset/);
  }
});

t('rgru errors: a damaged payload fails its checksum; bad coding byte; empty chunk', () => {
  const g = geom(4, 6);
  const its = structuredIterations(g, 5, 21);
  for (const entropy of [false, true]) {
    const f = encodeBitstream(g, its, { entropy });
    const sizes = iterationChunkSizes(f);
    const start3 = RGRU_HEADER_BYTES + sizes[0] + sizes[1] + sizes[2];
    for (const inBody of [0, 1, sizes[3] - RGRU_CHUNK_OVERHEAD - 1]) {
      const bad = f.slice();
      bad[start3 + RGRU_CHUNK_OVERHEAD + inBody] ^= 0x41;
      throwsRgru(() => decodeBitstream(bad), 'corrupt', /^corrupt \.rgru file: iteration 3's checksum does not match/, /decode them with \{ maxIterations: 3 \}/);
      assertSameIterations(decodeBitstream(bad, { maxIterations: 3 }).iterations, its.slice(0, 3), 'iterations before the damage');
      throwsRgru(() => truncateIterations(bad, 4), 'corrupt', /iteration 3's checksum/);
    }
    // A damaged stored checksum is also a mismatch.
    const badCrc = f.slice();
    badCrc[start3 + 4] ^= 1;
    throwsRgru(() => decodeBitstream(badCrc), 'corrupt', /iteration 3's checksum does not match/);
    // An empty body (length 0) cannot even hold the coding byte.
    const emptyBody = f.slice(0, start3 + RGRU_CHUNK_OVERHEAD);
    new DataView(emptyBody.buffer).setUint32(start3, 0, true);
    throwsRgru(() => decodeBitstream(emptyBody, { maxIterations: 4 }), 'corrupt', /iteration 3's chunk at offset \d+ has an empty body/);
  }
  // Arithmetic coding byte in a file without the entropy flag (checksum made consistent).
  const raw = encodeBitstream(g, its, { entropy: false });
  const body0 = RGRU_HEADER_BYTES + RGRU_CHUNK_OVERHEAD;
  const len0 = new DataView(raw.buffer).getUint32(RGRU_HEADER_BYTES, true);
  raw[body0] = 1;
  new DataView(raw.buffer).setUint32(RGRU_HEADER_BYTES + 4, crc32(raw, body0, body0 + len0), true);
  throwsRgru(() => decodeBitstream(raw), 'corrupt', /iteration 0 uses coding 1, but a file without the entropy flag allows only 0 \(raw\)/);
});

t('rgru errors: encoder input of the wrong length, non-binary values, header out of range', () => {
  const g = geom(3, 17);
  const n = bitCount(g);
  const good = randomIterations(g, 2, 1);
  throwsRgru(() => encodeBitstream(g, [good[0], new Uint8Array(n - 1)], { entropy: true }), 'input', /iteration 1 has 1631 bits but the header needs gridH \* gridW \* bitsPerPos = 3 \* 17 \* 32 = 1632/);
  const two = good[1].slice();
  two[57] = 2;
  throwsRgru(() => encodeBitstream(g, [good[0], two], { entropy: false }), 'input', /iteration 1, bit 57 \(y=0, x=1, channel 25\) is 2; codes must be 0 or 1/);
  const signs = Array.from(good[0], (b) => 2 * b - 1);
  throwsRgru(() => encodeBitstream(g, [signs], { entropy: true }), 'input', /is -1; codes must be 0 or 1 \(map the binarizer's -1\/\+1 to 0\/1 first\)/);
  const halves = Array.from(good[0], () => 0.5);
  throwsRgru(() => encodeBitstream(g, [halves], { entropy: true }), 'input', /bit 0 \(y=0, x=0, channel 0\) is 0.5/);
  throwsRgru(() => encodeBitstream(g, [null as unknown as Uint8Array], { entropy: true }), 'input', /iteration 0 is null/);
  throwsRgru(() => encodeBitstream(g, Array.from({ length: 256 }, () => good[0]), { entropy: false }), 'input', /256 iterations, but the header's count is a u8/);
  throwsRgru(() => encodeBitstream({ ...g, gridH: 70000 }, [], { entropy: false }), 'header', /gridH = 70000 is out of range/);
  throwsRgru(() => encodeBitstream({ ...g, bitsPerPos: 256 }, [], { entropy: false }), 'header', /bitsPerPos = 256 is out of range; it must be an integer in \[1, 255\]/);
  throwsRgru(() => encodeBitstream({ ...g, width: 1.5 }, [], { entropy: false }), 'header', /width = 1.5 is out of range/);
  throwsRgru(() => encodeBitstream({ ...g, height: 2 ** 32 }, [], { entropy: false }), 'header', /height = 4294967296/);
});

t.run();
