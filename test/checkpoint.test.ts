import './setup.ts';
import { suite } from 'uvu';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { kiln, assert, AWKWARD, expectThrows, numel, randArray, randInts } from './helpers.ts';
import { observeTensors } from '../src/tensor.ts';

const t = suite('checkpoint');
const dir = mkdtempSync(join(tmpdir(), 'kiln-ckpt-'));

const enc = (s: string) => new TextEncoder().encode(s);

/** A file from a raw header string (padded with spaces to 8 bytes) and raw data bytes. */
function file(header: string, data: ArrayLike<number> = [], padTo = 8): Uint8Array {
  const h = enc(header);
  const n = Math.ceil(h.length / padTo) * padTo;
  const out = new Uint8Array(8 + n + data.length);
  new DataView(out.buffer).setBigUint64(0, BigInt(n), true);
  out.fill(0x20, 8, 8 + n);
  out.set(h, 8);
  out.set(data, 8 + n);
  return out;
}

function bytesOf(a: ArrayBufferView): number[] {
  return [...new Uint8Array(a.buffer, a.byteOffset, a.byteLength)];
}

/** Asserts that the async fn rejects with an Error whose message matches every pattern. */
async function expectRejects(fn: () => Promise<unknown>, ...patterns: RegExp[]): Promise<void> {
  try {
    await fn();
  } catch (e) {
    const m = (e as Error).message;
    for (const p of patterns) assert.match(m, p, `error message "${m}" should match ${p}`);
    return;
  }
  assert.unreachable(`expected a rejection matching ${patterns.join(', ')}`);
}

function valuesOf(dtype: kiln.DType, n: number, seed: number): kiln.TypedArray {
  if (dtype === 'float32') {
    const a = randArray(n, seed, -1e3, 1e3);
    const special = [0, -0, 1e-42, 3.4e38, -Infinity, Infinity, NaN];
    for (let i = 0; i < Math.min(n, special.length); i++) a[i] = special[i];
    return a;
  }
  if (dtype === 'int32') {
    const a = randInts(n, seed, -1e9, 1e9);
    if (n > 1) { a[0] = -2147483648; a[1] = 2147483647; }
    return a;
  }
  if (dtype === 'uint32') {
    const a = Uint32Array.from(randInts(n, seed, 0, 2e9));
    if (n > 1) { a[0] = 4294967295; a[1] = 0; }
    return a;
  }
  return Uint8Array.from(randInts(n, seed, 0, 2));
}

const SHAPES: number[][] = [[], [0], [3, 0], ...AWKWARD.map((n) => [n]), [3, 17], [2, 3, 5], [1, 1, 1, 2]];
const DTYPES: kiln.DType[] = ['float32', 'int32', 'uint32', 'bool'];

t('encode/decode round trip: every dtype, empty, scalar and awkward shapes, bit-exact', () => {
  const entries: Record<string, kiln.SafetensorsEntry> = {};
  let seed = 1;
  for (const d of DTYPES) for (const s of SHAPES) entries[`${d}/${s.join('x') || 'scalar'}`] = { dtype: d, shape: s, data: valuesOf(d, numel(s), seed++) };
  const bytes = kiln.encodeSafetensors(entries);
  const n = Number(new DataView(bytes.buffer).getBigUint64(0, true));
  assert.is(n % 8, 0, 'header padded to 8 bytes');
  const { tensors, metadata } = kiln.decodeSafetensors(bytes);
  assert.equal(metadata, {});
  assert.equal(Object.keys(tensors).sort(), Object.keys(entries).sort());
  for (const [name, e] of Object.entries(entries)) {
    const got = tensors[name];
    assert.is(got.dtype, e.dtype, name);
    assert.equal(got.shape, [...e.shape], name);
    assert.is(got.data.constructor, e.data.constructor, name);
    assert.equal(bytesOf(got.data), bytesOf(e.data), `${name}: bytes`);
  }
  // decodes an ArrayBuffer and an unaligned view (a Node Buffer slice) the same way
  const shifted = new Uint8Array(bytes.length + 3);
  shifted.set(bytes, 3);
  const again = kiln.decodeSafetensors(shifted.subarray(3));
  assert.equal(bytesOf(again.tensors['float32/17'].data), bytesOf(entries['float32/17'].data));
  assert.equal(Object.keys(kiln.decodeSafetensors(bytes.slice().buffer).tensors).length, Object.keys(entries).length);
  assert.equal(kiln.decodeSafetensors(kiln.encodeSafetensors({})), { tensors: {}, metadata: {} });
});

t('saveTensors/loadTensors round trip on the GPU, every dtype and shape', async () => {
  const src: Record<string, kiln.Tensor> = {};
  let seed = 100;
  const want: Record<string, number[]> = {};
  for (const d of DTYPES) {
    for (const s of SHAPES) {
      const name = `${d}:${s.join('x') || 'scalar'}`;
      const v = valuesOf(d, numel(s), seed++);
      src[name] = kiln.tensor(v, s, d);
      want[name] = [...v];
    }
  }
  const bytes = await kiln.saveTensors(src, { step: '12' });
  const { result: back, leaked } = await observeTensors(() => kiln.loadTensors(bytes));
  assert.is(leaked.length, 0);
  assert.equal(Object.keys(back).sort(), Object.keys(src).sort());
  for (const [name, x] of Object.entries(src)) {
    assert.is(back[name].dtype, x.dtype, name);
    assert.equal([...back[name].shape], [...x.shape], name);
    const got = [...await back[name].data()];
    assert.equal(got.map((g) => (Object.is(g, -0) ? '-0' : Number.isNaN(g) ? 'NaN' : g)), want[name].map((g) => (Object.is(g, -0) ? '-0' : Number.isNaN(g) ? 'NaN' : g)), name);
  }
  assert.equal(kiln.decodeSafetensors(bytes).metadata, { step: '12' });
  kiln.dispose([src, back]);
});

t('metadata round trip (unicode, quotes, empty strings); none gives {}', () => {
  const md = { framework: 'kiln', 'q"uote': 'a\\b"c\n', 'ünï': '日本語 🚀', empty: '' };
  const bytes = kiln.encodeSafetensors({ x: { dtype: 'int32', shape: [1], data: new Int32Array([5]) } }, md);
  assert.equal(kiln.decodeSafetensors(bytes).metadata, md);
  assert.equal(kiln.decodeSafetensors(kiln.encodeSafetensors({}, {})).metadata, {});
});

t('byte-exact layout of a tiny file (worked out by hand)', () => {
  const bytes = kiln.encodeSafetensors({
    b: { dtype: 'bool', shape: [3], data: new Uint8Array([1, 0, 1]) },
    a: { dtype: 'int32', shape: [1], data: new Int32Array([-1]) },
    w: { dtype: 'float32', shape: [2], data: new Float32Array([1, -2]) },
    u: { dtype: 'uint32', shape: [], data: new Uint32Array([7]) },
  }, { k: 'v' });
  // Data order: by dtype, widest first as the reference writer's enum orders them (F32, U32, I32,
  // BOOL), then by name. Header pieces: 26 + 53 + 53 + 55 + 56 = 243 bytes of JSON, padded with
  // 5 spaces to 248 = 0xf8, so the data starts at 8 + 248 = 256.
  const header =
    '{"__metadata__":{"k":"v"},' +
    '"w":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},' +
    '"u":{"dtype":"U32","shape":[],"data_offsets":[8,12]},' +
    '"a":{"dtype":"I32","shape":[1],"data_offsets":[12,16]},' +
    '"b":{"dtype":"BOOL","shape":[3],"data_offsets":[16,19]}}';
  assert.is(header.length, 243);
  const expected = [
    0xf8, 0, 0, 0, 0, 0, 0, 0,
    ...[...header].map((c) => c.charCodeAt(0)), 0x20, 0x20, 0x20, 0x20, 0x20,
    0x00, 0x00, 0x80, 0x3f, 0x00, 0x00, 0x00, 0xc0, // w: 1.0f, -2.0f
    0x07, 0x00, 0x00, 0x00, // u: 7
    0xff, 0xff, 0xff, 0xff, // a: -1
    0x01, 0x00, 0x01, // b: true, false, true
  ];
  assert.is(bytes.length, 8 + 248 + 19);
  assert.equal([...bytes], expected);
  // and it reads back
  const { tensors } = kiln.decodeSafetensors(new Uint8Array(expected));
  assert.equal(Object.keys(tensors), ['w', 'u', 'a', 'b']);
  assert.equal([...tensors.w.data], [1, -2]);
  assert.equal([...tensors.u.data], [7]);
  assert.equal(tensors.u.shape, []);
  assert.equal([...tensors.a.data], [-1]);
  assert.equal([...tensors.b.data], [1, 0, 1]);
});

t('decode: header key order is free (offsets decide), JSON whitespace padding is accepted', () => {
  const f = file('{"second":{"dtype":"I32","shape":[1],"data_offsets":[4,8]}, "first":{"dtype":"I32","shape":[1],"data_offsets":[0,4]}}\n\t',
    [1, 0, 0, 0, 2, 0, 0, 0]);
  const { tensors } = kiln.decodeSafetensors(f);
  assert.equal([...tensors.first.data], [1]);
  assert.equal([...tensors.second.data], [2]);
  // zero-size tensors may share an offset
  const z = file('{"e":{"dtype":"F32","shape":[0],"data_offsets":[0,0]},"x":{"dtype":"F32","shape":[1],"data_offsets":[0,4]},"f":{"dtype":"F32","shape":[2,0],"data_offsets":[4,4]}}', [0, 0, 0x80, 0x3f]);
  const d = kiln.decodeSafetensors(z).tensors;
  assert.equal([...d.x.data], [1]);
  assert.equal(d.f.shape, [2, 0]);
});

t('decode: a valid file truncated anywhere is a clear "truncated" error', () => {
  const bytes = kiln.encodeSafetensors({
    w: { dtype: 'float32', shape: [2, 3], data: randArray(6, 3) },
    b: { dtype: 'bool', shape: [5], data: new Uint8Array([1, 0, 1, 1, 0]) },
    e: { dtype: 'int32', shape: [0], data: new Int32Array(0) },
  }, { note: 'x' });
  for (let cut = 0; cut < bytes.length; cut++) {
    expectThrows(() => kiln.decodeSafetensors(bytes.subarray(0, cut)), /kiln\.decodeSafetensors/, /truncated/);
  }
  expectThrows(() => kiln.decodeSafetensors(bytes.subarray(0, 5)), /5 bytes/, /8-byte header length/);
  expectThrows(() => kiln.decodeSafetensors(bytes.subarray(0, 20)), /header length says \d+ bytes, but only 12 follow/);
  expectThrows(() => kiln.decodeSafetensors(bytes.subarray(0, bytes.length - 1)), /tensor 'b'/, /data_offsets \[24,29\] run past the end of the data \(28 bytes/);
});

t('decode: malformed headers', () => {
  const hugeLen = new Uint8Array(16);
  new DataView(hugeLen.buffer).setBigUint64(0, 0xffffffffffffffffn, true);
  expectThrows(() => kiln.decodeSafetensors(hugeLen), /header length 18446744073709551615 is over the 100000000-byte limit/);
  expectThrows(() => kiln.decodeSafetensors(file('')), /header is empty/);
  expectThrows(() => kiln.decodeSafetensors(file('{"a": {"dtype": "F32",')), /not valid JSON/, /unexpected/);
  expectThrows(() => kiln.decodeSafetensors(file('{not json}')), /not valid JSON/, /character 1/);
  expectThrows(() => kiln.decodeSafetensors(file('{"a":1} x')), /not valid JSON/, /only spaces may pad/);
  expectThrows(() => kiln.decodeSafetensors(file('[1, 2, 3]')), /must start with '\{'/);
  expectThrows(() => kiln.decodeSafetensors(file('PK\u0003\u0004 a zip file')), /must start with '\{'/, /not a safetensors file/);
  const badUtf8 = file('{"a":1}');
  badUtf8[10] = 0xff;
  expectThrows(() => kiln.decodeSafetensors(badUtf8), /not valid UTF-8/);
  expectThrows(() => kiln.decodeSafetensors(file('{"x":{"dtype":"F32","shape":[1],"data_offsets":[0,4]},"x":{"dtype":"F32","shape":[1],"data_offsets":[4,8]}}', new Array(8).fill(0))),
    /name "x" appears twice/);
  expectThrows(() => kiln.decodeSafetensors(file('{"__metadata__":{"a":"1","a":"2"}}')), /name "a" appears twice/);
  expectThrows(() => kiln.decodeSafetensors(file('{"__metadata__":{"epoch":3}}')), /'__metadata__' entry 'epoch' must be a string, got 3/);
  expectThrows(() => kiln.decodeSafetensors(file('{"__metadata__":[]}')), /'__metadata__' must be an object/);
  expectThrows(() => kiln.decodeSafetensors(file('{"x":{"shape":[1],"data_offsets":[0,4]}}', [0, 0, 0, 0])), /tensor 'x': 'dtype' must be a string/);
  expectThrows(() => kiln.decodeSafetensors(file('{"x":{"dtype":"F32","shape":[-1],"data_offsets":[0,4]}}', [0, 0, 0, 0])), /tensor 'x': 'shape' must be an array of non-negative integers/);
  expectThrows(() => kiln.decodeSafetensors(file('{"x":{"dtype":"F32","shape":[1],"data_offsets":[0]}}', [0, 0, 0, 0])), /tensor 'x': 'data_offsets' must be \[begin, end\]/);
  expectThrows(() => kiln.decodeSafetensors(file('{"x":7}')), /tensor 'x': expected \{ dtype, shape, data_offsets \}, got 7/);
  expectThrows(() => kiln.decodeSafetensors(new Float32Array(4) as never), /expected a Uint8Array or ArrayBuffer, got Float32Array/);
});

t('decode: offsets that overlap, leave gaps, run backwards or past the data; sizes that do not match', () => {
  const T = (name: string, dtype: string, shape: number[], a: number, b: number) => `"${name}":{"dtype":"${dtype}","shape":${JSON.stringify(shape)},"data_offsets":[${a},${b}]}`;
  const z = (n: number) => new Array(n).fill(0);
  expectThrows(() => kiln.decodeSafetensors(file(`{${T('a', 'F32', [2], 0, 8)},${T('b', 'F32', [2], 4, 12)}}`, z(12))),
    /tensor 'b' data_offsets \[4,12\] overlap the previous tensor's bytes \(tensor 'a' ends at 8\)/);
  expectThrows(() => kiln.decodeSafetensors(file(`{${T('a', 'F32', [2], 0, 8)},${T('b', 'F32', [2], 12, 20)}}`, z(20))),
    /tensor 'b' data_offsets \[12,20\] leave a gap of 4 bytes \(tensor 'a' ends at 8\)/);
  expectThrows(() => kiln.decodeSafetensors(file(`{${T('a', 'F32', [1], 4, 8)}}`, z(8))), /tensor 'a'.*gap of 4 bytes \(the data starts at 0\)/);
  expectThrows(() => kiln.decodeSafetensors(file(`{${T('a', 'F32', [2], 8, 0)}}`, z(8))), /tensor 'a': data_offsets \[8,0\] are out of order/);
  expectThrows(() => kiln.decodeSafetensors(file(`{${T('a', 'F32', [2], 0, 8)}}`, z(4))), /truncated file: tensor 'a': data_offsets \[0,8\] run past the end/);
  expectThrows(() => kiln.decodeSafetensors(file(`{${T('a', 'F32', [3], 0, 8)}}`, z(8))), /tensor 'a': F32 \[3\] needs 12 bytes but data_offsets \[0,8\] hold 8/);
  expectThrows(() => kiln.decodeSafetensors(file(`{${T('a', 'BOOL', [2, 2], 0, 16)}}`, z(16))), /tensor 'a': BOOL \[2,2\] needs 4 bytes/);
  expectThrows(() => kiln.decodeSafetensors(file(`{${T('a', 'F32', [1], 0, 4)}}`, z(9))), /5 unexpected bytes after the last tensor's data/);
  expectThrows(() => kiln.decodeSafetensors(file(`{${T('a', 'F32', [1e9, 1e9, 1e9], 0, 4)}}`, z(4))), /needs .* bytes but data_offsets \[0,4\] hold 4/);
  expectThrows(() => kiln.decodeSafetensors(file(`{${T('a', 'BOOL', [3], 0, 3)}}`, [1, 2, 0])), /tensor 'a': BOOL value 1 is byte 2; booleans must be 0 or 1/);
});

t('decode: unknown dtypes are named, with the supported list; F16/BF16/F64 and 8/16/64-bit integers convert', () => {
  expectThrows(() => kiln.decodeSafetensors(file('{"q":{"dtype":"F8_E4M3","shape":[2],"data_offsets":[0,2]}}', [0, 0])),
    /tensor 'q': unsupported dtype 'F8_E4M3'/, /F32, I32, U32, BOOL/, /F16, BF16, F64/);
  expectThrows(() => kiln.decodeSafetensors(file('{"h":{"dtype":"F16","shape":[1],"data_offsets":[0,2]}}', [0, 0x3c]), { convert: false }),
    /tensor 'h': unsupported dtype 'F16' \(F16 is read by conversion, which \{ convert: false \} turned off\); kiln reads F32, I32, U32, BOOL$/);
  const one = (dtype: string, shape: number[], data: number[]) => {
    const r = kiln.decodeSafetensors(file(`{"x":{"dtype":"${dtype}","shape":${JSON.stringify(shape)},"data_offsets":[0,${data.length}]}}`, data)).tensors.x;
    assert.is(r.sourceDtype, dtype);
    return r;
  };
  // F16: 1, -2, 65504 (max), 2^-24 (smallest subnormal), -0, inf, nan
  const h = one('F16', [7], [0x00, 0x3c, 0x00, 0xc0, 0xff, 0x7b, 0x01, 0x00, 0x00, 0x80, 0x00, 0x7c, 0x00, 0x7e]);
  assert.is(h.dtype, 'float32');
  const hv = [...h.data];
  assert.equal(hv.slice(0, 4), [1, -2, 65504, 2 ** -24]);
  assert.ok(Object.is(hv[4], -0) && hv[5] === Infinity && Number.isNaN(hv[6]));
  // BF16: the top half of a float32: 1.0 = 0x3f80, -3.5 = 0xc060
  assert.equal([...one('BF16', [2], [0x80, 0x3f, 0x60, 0xc0]).data], [1, -3.5]);
  const f64 = new Float64Array([0.1, -1e300, 2.5]);
  const d = one('F64', [3], bytesOf(f64));
  assert.equal([...d.data], [Math.fround(0.1), -Infinity, 2.5]);
  assert.equal([...one('I8', [3], [0x80, 0xff, 0x7f]).data], [-128, -1, 127]);
  const u8 = one('U8', [2], [0xff, 3]);
  assert.is(u8.dtype, 'uint32');
  assert.equal([...u8.data], [255, 3]);
  assert.equal([...one('I16', [2], [0x00, 0x80, 0xfe, 0xff]).data], [-32768, -2]);
  assert.equal([...one('U16', [1], [0xff, 0xff]).data], [65535]);
  const i64 = one('I64', [2], [...bytesOf(new BigInt64Array([-2147483648n, 2147483647n]))]);
  assert.is(i64.dtype, 'int32');
  assert.equal([...i64.data], [-2147483648, 2147483647]);
  assert.equal([...one('U64', [1], bytesOf(new BigUint64Array([4294967295n]))).data], [4294967295]);
  expectThrows(() => one('I64', [2], bytesOf(new BigInt64Array([1n, 2147483648n]))), /tensor 'x': I64 value 1 is 2147483648, which does not fit in kiln's int32/);
  expectThrows(() => one('U64', [1], bytesOf(new BigUint64Array([1n << 40n]))), /U64 value 0 is 1099511627776/);
  // and they load as tensors of the converted dtype
  const loaded = kiln.loadTensors(file('{"h":{"dtype":"F16","shape":[2],"data_offsets":[0,4]}}', [0x00, 0x3c, 0x00, 0x40]));
  assert.is(loaded.h.dtype, 'float32');
  loaded.h.dispose();
});

t('encode: bad entries and metadata are clear errors', () => {
  expectThrows(() => kiln.encodeSafetensors({ x: { dtype: 'float32', shape: [2], data: new Int32Array(2) } }), /kiln\.encodeSafetensors/, /tensor 'x': float32 data must be a Float32Array, got Int32Array/);
  expectThrows(() => kiln.encodeSafetensors({ x: { dtype: 'int32', shape: [2, 2], data: new Int32Array(3) } }), /tensor 'x': 3 values do not fill shape \[2,2\] \(4 values\)/);
  expectThrows(() => kiln.encodeSafetensors({ x: { dtype: 'float16' as never, shape: [1], data: new Float32Array(1) } }), /unknown dtype 'float16'; expected one of float32, int32, uint32, bool/);
  expectThrows(() => kiln.encodeSafetensors({ x: { dtype: 'float32', shape: [1.5], data: new Float32Array(1) } }), /shape must be an array of non-negative integers/);
  expectThrows(() => kiln.encodeSafetensors({ __metadata__: { dtype: 'float32', shape: [1], data: new Float32Array(1) } }), /'__metadata__' is reserved/);
  expectThrows(() => kiln.encodeSafetensors({}, { epoch: 3 as never }), /metadata 'epoch' must be a string, got number/);
  // a Node Buffer is a Uint8Array, fine for bool; bool bytes are normalized to 0/1
  const b = kiln.encodeSafetensors({ m: { dtype: 'bool', shape: [3], data: Buffer.from([0, 7, 1]) } });
  assert.equal([...kiln.decodeSafetensors(b).tensors.m.data], [0, 1, 1]);
});

t('loadTensors / saveTensors: errors name the tensor', async () => {
  expectThrows(() => kiln.loadTensors(file('{"deep":{"dtype":"F32","shape":[1,1,1,1,1,1,1,1,1],"data_offsets":[0,4]}}', [0, 0, 0, 0])),
    /kiln\.loadTensors: tensor 'deep' \(\[1,1,1,1,1,1,1,1,1\] float32\)/, /rank 9/);
  expectThrows(() => kiln.loadTensors(new Uint8Array(3)), /kiln\.loadTensors: truncated file/);
  const x = kiln.ones([2]);
  x.dispose();
  await expectRejects(() => kiln.saveTensors({ x }), /saveTensors/, /disposed/);
  await expectRejects(() => kiln.saveTensors({ y: [1, 2] as never }), /'y' must be a kiln Tensor/);
});

// ---- checkpoint files ----

const leftovers = () => readdirSync(dir).filter((f) => f.includes('.tmp-'));

t('checkpoints of a module: Adam state saved under stateDict names reaches a new instance (other Variable names)', async () => {
  const make = () => new kiln.nn.Linear(5, 3, { seed: 11 });
  const x = kiln.tensor(randArray(20, 3), [4, 5]);
  const step = (m: InstanceType<typeof kiln.nn.Linear>, opt: kiln.Optimizer) => kiln.tidy(() => { opt.minimize(() => kiln.mean(kiln.square(m.forward(x) as kiln.Tensor)), { varList: m.parameters() }); });
  const a = make(), optA = kiln.adam(0.05);
  for (let i = 0; i < 3; i++) step(a, optA);
  const path = join(dir, 'module-adam.safetensors');
  await kiln.saveCheckpoint(path, { variables: a.stateDict(), optimizer: optA });
  const onDisk = Object.keys(kiln.loadTensors(readFileSync(path)));
  assert.ok(onDisk.includes('optimizer/weight/m') && onDisk.includes('optimizer/bias/step'), onDisk.join(' '));
  const b = make(), optB = kiln.adam(0.05);
  assert.ok(b.parameters()[0].name !== a.parameters()[0].name);
  await kiln.loadCheckpoint(path, { variables: b.stateDict(), optimizer: optB });
  step(a, optA); step(b, optB);
  const [wa, wb] = [await a.parameters()[0].data(), await b.parameters()[0].data()];
  assert.equal([...wb], [...wa]); // without the moments, Adam's next step would differ
  // without them (a fresh optimizer) it does differ: the check above can fail
  const c = make(), optC = kiln.adam(0.05);
  await kiln.loadCheckpoint(path, { variables: c.stateDict() });
  step(c, optC);
  assert.ok([...(await c.parameters()[0].data())].some((v, i) => v !== wa[i]));
  for (const m of [a, b, c]) m.dispose();
  for (const o of [optA, optB, optC]) o.dispose();
});

t('saveCheckpoint/loadCheckpoint: variables and optimizer state in one file, restored in place', async () => {
  const w = kiln.variable(kiln.tensor(randArray(12, 7), [3, 4]), true, 'ckpt/dense/w');
  const b = kiln.variable(kiln.zeros([4]), true, 'ckpt/dense/b');
  const steps = kiln.variable(kiln.tensor([3], [], 'int32'), false, 'ckpt/steps');
  const mask = kiln.variable(kiln.tensor(new Uint8Array([1, 0, 1]), [3], 'bool'), false, 'ckpt/mask');
  const vars = [w, b, steps, mask];
  const wv = [...await w.data()];
  let moments: Record<string, kiln.Tensor> = { 'm/ckpt/dense/w': kiln.fill([3, 4], 0.5), 'v/ckpt/dense/w': kiln.fill([3, 4], 0.25), t: kiln.scalar(9, 'int32') };
  const optimizer = {
    state: () => moments,
    loadState(rec: Record<string, kiln.Tensor>) { kiln.dispose(moments); moments = rec; },
  };
  const path = join(dir, 'model.safetensors');
  await kiln.saveCheckpoint(path, { variables: vars, optimizer, metadata: { epoch: '4' } });
  assert.equal(leftovers(), [], 'no temporary file left');
  const onDisk = kiln.decodeSafetensors(readFileSync(path));
  assert.equal(Object.keys(onDisk.tensors).sort(), ['ckpt/dense/b', 'ckpt/dense/w', 'ckpt/mask', 'ckpt/steps', 'optimizer/m/ckpt/dense/w', 'optimizer/t', 'optimizer/v/ckpt/dense/w']);
  assert.equal(onDisk.metadata, { epoch: '4' });

  // change everything, then restore
  w.assign(kiln.tidy(() => kiln.zeros([3, 4])));
  steps.assign(kiln.tidy(() => kiln.scalar(0, 'int32')));
  kiln.dispose(moments);
  moments = {};
  const { result: res, leaked } = await observeTensors(() => kiln.loadCheckpoint(path, { variables: vars, optimizer }));
  assert.equal(leaked.filter((x) => !Object.values(moments).includes(x)), [], 'loading leaks no tensors');
  assert.equal(res.loaded, ['ckpt/dense/w', 'ckpt/dense/b', 'ckpt/steps', 'ckpt/mask']);
  assert.equal([res.missing, res.unexpected, res.mismatched], [[], [], []]);
  assert.equal(res.optimizerState.sort(), ['m/ckpt/dense/w', 't', 'v/ckpt/dense/w']);
  assert.equal(res.metadata, { epoch: '4' });
  assert.equal([...await w.data()], wv);
  assert.equal([...await steps.data()], [3]);
  assert.equal([...await mask.data()], [1, 0, 1]);
  assert.equal([...await moments['m/ckpt/dense/w'].data()], new Array(12).fill(0.5));
  assert.equal(await moments.t.array(), 9);
  assert.is(moments.t.dtype, 'int32');

  // a record renames: file names are its keys; saving over an existing file replaces it
  await kiln.saveCheckpoint(path, { variables: { 'layer0.weight': w } });
  const renamed = await kiln.loadCheckpoint(path, { variables: { 'layer0.weight': w } });
  assert.equal(renamed.loaded, ['layer0.weight']);
  assert.equal(renamed.metadata, {});
  assert.equal(leftovers(), []);
  kiln.dispose([vars, moments]);
});

t('loadCheckpoint strict: missing, unexpected and mismatched names are one error naming tensor, shapes and file; nothing assigned', async () => {
  const a = kiln.variable(kiln.tensor([1, 2, 3, 4, 5, 6], [2, 3]), true, 'ckpt2/a');
  const b = kiln.variable(kiln.tensor([7, 8]), true, 'ckpt2/b');
  const path = join(dir, 'strict.safetensors');
  await kiln.saveCheckpoint(path, { variables: { 'ckpt2/a': a, 'ckpt2/b': b, 'ckpt2/extra': kiln.ones([1]) } });

  const a2 = kiln.variable(kiln.zeros([3, 2]), true, 'ckpt2/a2');
  const c = kiln.variable(kiln.zeros([2], 'int32'), true, 'ckpt2/c');
  const bInt = kiln.variable(kiln.zeros([2], 'int32'), true, 'ckpt2/bInt');
  const into = { 'ckpt2/a': a2, 'ckpt2/b': bInt, 'ckpt2/c': c };
  await expectRejects(() => kiln.loadCheckpoint(path, { variables: into }),
    /kiln\.loadCheckpoint/, new RegExp(path.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')), /4 problems; nothing was loaded/,
    /'ckpt2\/a': expected \[3,2\] float32, found \[2,3\] float32/,
    /'ckpt2\/b': expected \[2\] int32, found \[2\] float32/,
    /'ckpt2\/c': expected \[2\] int32, not found in the file/,
    /'ckpt2\/extra': unexpected \(\[1\] float32 in the file, no such variable\)/);
  assert.equal([...await a2.data()], [0, 0, 0, 0, 0, 0], 'nothing assigned');

  // one problem at a time
  await expectRejects(() => kiln.loadCheckpoint(path, { variables: { 'ckpt2/a': a, 'ckpt2/b': b } }), /1 problem;/, /'ckpt2\/extra': unexpected/);
  await expectRejects(() => kiln.loadCheckpoint(path, { variables: { 'ckpt2/a': a, 'ckpt2/b': b, 'ckpt2/extra': kiln.variable(kiln.ones([1]), true, 'ckpt2/x'), 'ckpt2/c': c } }),
    /1 problem;/, /'ckpt2\/c': expected \[2\] int32, not found/);

  // non-strict: loads what matches, reports the rest
  const b2 = kiln.variable(kiln.zeros([2]), true, 'ckpt2/b2');
  const res = await kiln.loadCheckpoint(path, { variables: { 'ckpt2/a': a2, 'ckpt2/b': b2, 'ckpt2/c': c }, strict: false });
  assert.equal(res.loaded, ['ckpt2/b']);
  assert.equal(res.mismatched, ['ckpt2/a']);
  assert.equal(res.missing, ['ckpt2/c']);
  assert.equal(res.unexpected, ['ckpt2/extra']);
  assert.equal([...await b2.data()], [7, 8]);
  assert.equal([...await a2.data()], [0, 0, 0, 0, 0, 0]);

  // Variable[] matches by the variables' own names
  const res2 = await kiln.loadCheckpoint(path, { variables: [a, b], strict: false });
  assert.equal(res2.loaded, ['ckpt2/a', 'ckpt2/b']);

  const plain = kiln.ones([2]);
  await expectRejects(() => kiln.loadCheckpoint(path, { variables: { 'ckpt2/b': plain } }), /'ckpt2\/b' is a plain Tensor; loading assigns into Variables/);
  await expectRejects(() => kiln.loadCheckpoint(path, { variables: [a, a] }), /variable 'ckpt2\/a' is listed twice/);
  kiln.dispose([a, b, a2, b2, c, bInt, plain]);
  kiln.variables().filter((v) => v.name.startsWith('ckpt2/')).forEach((v) => v.dispose());
});

t('checkpoint files: default variables, bad files and paths, atomic writes', async () => {
  const v = kiln.variable(kiln.tensor([1.5, 2.5]), true, 'ckpt3/v');
  const path = join(dir, 'default.safetensors');
  await kiln.saveCheckpoint(path);
  assert.ok('ckpt3/v' in kiln.decodeSafetensors(readFileSync(path)).tensors, 'default: every live variable');

  const broken = join(dir, 'broken.safetensors');
  writeFileSync(broken, readFileSync(path).subarray(0, 30));
  await expectRejects(() => kiln.loadCheckpoint(broken, { variables: [v] }), /kiln\.loadCheckpoint: .*broken\.safetensors: truncated file/);
  await expectRejects(() => kiln.loadCheckpoint(join(dir, 'nope.safetensors'), { variables: [v] }), /cannot read .*nope\.safetensors/, /ENOENT/);

  // a failed write leaves the old file and no temporary file behind
  const before = readFileSync(path);
  await expectRejects(() => kiln.saveCheckpoint(join(dir, 'no', 'such', 'dir.safetensors'), { variables: [v] }), /kiln\.saveCheckpoint: cannot write .*dir\.safetensors/);
  await expectRejects(() => kiln.saveCheckpoint(dir, { variables: [v] }), /cannot write/);
  assert.equal(leftovers(), []);
  assert.equal([...readFileSync(path)], [...before]);
  await expectRejects(() => kiln.saveCheckpoint(path, { variables: { 'optimizer/x': v } }), /reserved for optimizer state/);
  await expectRejects(() => kiln.saveCheckpoint(path, { variables: [kiln.ones([1]) as never] }), /variables\[0\] is not a kiln Variable/);

  // an optimizer with no state: loadState gets {}
  let got: Record<string, kiln.Tensor> | null = null;
  await kiln.saveCheckpoint(path, { variables: [v], optimizer: { state: () => ({}) } });
  const r = await kiln.loadCheckpoint(path, { variables: [v], optimizer: { loadState: (s) => { got = s; } } });
  assert.equal(got, {});
  assert.equal(r.optimizerState, []);
  // a loadState failure is reported with the file
  await kiln.saveCheckpoint(path, { variables: [v], optimizer: { state: () => ({ s: v }) } });
  await expectRejects(() => kiln.loadCheckpoint(path, { variables: [v], optimizer: { loadState: () => { throw new Error('bad state'); } } }), /optimizer\.loadState failed: bad state/);
  v.dispose();
});

t.after(() => rmSync(dir, { recursive: true, force: true }));

t.run();
