// The keyboard layout and the synthetic touch generator: validation, geometry, and that the noise
// really has the statistics its options claim (a decoder tuned on wrong noise is tuned wrong).
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { KeyboardLayout, type Key } from '../src/models/keyboard/layout.ts';
import { generateGlide, generateTaps, tapSigma, touchJsonl, touchLines, type GlideLine, type TapLine, type TapNoise } from '../src/models/keyboard/touch.ts';
import { rng } from '../src/util/numeric.ts';

const t = suite('keyboard_touch');
const L = KeyboardLayout.load();
const NO_EVENTS: TapNoise = { pNeighbour: 0, pOmit: 0, pDouble: 0, pSwap: 0 };
const raises = (f: () => unknown, re: RegExp) => assert.throws(f, (e: Error) => re.test(e.message));

function meanStd(v: number[]): [number, number] {
  const m = v.reduce((a, b) => a + b, 0) / v.length;
  return [m, Math.sqrt(v.reduce((a, b) => a + (b - m) ** 2, 0) / (v.length - 1))];
}

t('layout: the repo qwerty loads, letters/space split, nearestKey on every centre and off the keys', () => {
  assert.is(L.keys.length, 28);
  assert.is(L.letters.map((k) => k.key).join(''), "qwertyuiopasdfghjklzxcvbnm'");
  assert.is(L.space?.w, 5);
  assert.is(L.width, 10);
  assert.is(L.height, 4);
  for (const k of L.keys) {
    assert.is(L.nearestKey(k.x, k.y).key, k.key);
    assert.is(L.keys[L.keyIndex(k.key)], k);
    assert.is(L.key(k.key), k);
  }
  assert.is(L.keyIndex('Q'), -1);
  raises(() => L.key('1'), /no key "1"/);
  // Inside a rectangle beats a nearer centre: (2.6, 3.4) is in the space bar though x's centre is closer.
  assert.is(L.nearestKey(2.6, 3.4).key, ' ');
  assert.is(L.nearestKey(0.1, 1.9).key, 'a'); // left of a's rectangle: a's centre is nearest
  assert.is(L.nearestKey(9.9, 3.9).key, "'");
  assert.is(L.nearestKey(-5, -5).key, 'q');
  assert.equal(L.neighbours('s').map((k) => k.key).sort(), ['a', 'd', 'e', 'w', 'z']);
  assert.equal(L.neighbours('q').map((k) => k.key).sort(), ['a', 'w']);
});

t('layout: validation errors name the source and the bad field', () => {
  const good = () => ({ width: 3, height: 1, keys: [{ key: 'a', x: 0.5, y: 0.5, w: 1, h: 1 }, { key: 'b', x: 1.5, y: 0.5, w: 1, h: 1 }] });
  assert.is(KeyboardLayout.fromJson(good(), 'ok.json').letters.length, 2);
  raises(() => KeyboardLayout.fromJson([], 'x.json'), /^x\.json: expected a JSON object/);
  raises(() => KeyboardLayout.fromJson({ ...good(), width: undefined }, 'x.json'), /^x\.json: width must be a positive number \(got nothing\)/);
  raises(() => KeyboardLayout.fromJson({ ...good(), keys: [] }, 'x.json'), /x\.json: keys must be a non-empty array/);
  const bad = (patch: Record<string, unknown>, i = 1) => { const o = good(); Object.assign(o.keys[i], patch); return o; };
  raises(() => KeyboardLayout.fromJson(bad({ w: -1 }), 'x.json'), /x\.json: keys\[1\]\.w must be a positive number \(got -1\)/);
  raises(() => KeyboardLayout.fromJson(bad({ x: 'one' }), 'x.json'), /keys\[1\]\.x must be a finite number \(got "one"\)/);
  raises(() => KeyboardLayout.fromJson(bad({ key: '' }), 'x.json'), /keys\[1\]\.key must be a non-empty string/);
  raises(() => KeyboardLayout.fromJson(bad({ key: 'B' }), 'x.json'), /keys\[1\]\.key "B" must be lowercase/);
  raises(() => KeyboardLayout.fromJson(bad({ key: 'a' }), 'x.json'), /keys\[1\]\.key "a" duplicates keys\[0\]/);
  raises(() => KeyboardLayout.fromJson(bad({ x: 1.2 }), 'x.json'), /keys\[0\] \("a"\) and keys\[1\] \("b"\) overlap/);
  raises(() => KeyboardLayout.fromJson(bad({ x: 2.8 }), 'x.json'), /keys\[1\] \("b"\) spans x 2\.3\.\.3\.3, outside the layout's width 3/);
  raises(() => KeyboardLayout.fromJson({ width: 1, height: 1, keys: [{ key: ' ', x: 0.5, y: 0.5, w: 1, h: 1 }] }), /no letter keys/);
  const dir = mkdtempSync(join(tmpdir(), 'kiln-kbd-'));
  raises(() => KeyboardLayout.load(join(dir, 'missing.json')), /missing\.json: cannot read keyboard layout/);
  writeFileSync(join(dir, 'broken.json'), '{"width": 3,');
  raises(() => KeyboardLayout.load(join(dir, 'broken.json')), /broken\.json: not valid JSON/);
  writeFileSync(join(dir, 'neg.json'), JSON.stringify(bad({ h: 0 })));
  raises(() => KeyboardLayout.load(join(dir, 'neg.json')), /neg\.json: keys\[1\]\.h must be a positive number \(got 0\)/);
});

t('touchLines: deterministic by seed, lines independent of the other words, README format', () => {
  const words = [{ id: 'w1', word: 'Hello', context: ['Call', 'me'] }, { id: 'w2', word: "don't", context: [] }, { id: 'w3', word: 'keyboard', context: ['a'] }];
  for (const kind of ['tap', 'glide'] as const) {
    const a = touchLines(words, { kind, seed: 7, layout: L }), b = touchLines(words, { kind, seed: 7 });
    assert.equal(a, b);
    assert.not.equal(touchLines(words, { kind, seed: 8 }).map((s) => s.line), a.map((s) => s.line));
    // Changing one word leaves the other lines as they were.
    assert.equal(touchLines([words[0], { ...words[1], word: 'was' }, words[2]], { kind, seed: 7 })[2], a[2]);
    assert.is(touchJsonl(a).split('\n').length, 4);
    assert.is(a[0].word, 'hello');
    assert.equal(a[0].line.context, ['call', 'me']);
    assert.equal(Object.keys(a[0].line), ['id', 'context', kind === 'tap' ? 'taps' : 'glide']);
    for (const s of a) for (const p of kind === 'tap' ? (s.line as TapLine).taps : (s.line as GlideLine).glide) for (const v of p) assert.is(Math.round(v * 1000) / 1000, v);
  }
  raises(() => touchLines([{ id: 'x', word: 'a b', context: [] }], { kind: 'tap', seed: 1 }), /word "a b": " " has no key/);
  raises(() => touchLines([{ id: 'x', word: 'caf\u00e9', context: [] }], { kind: 'tap', seed: 1 }), /has no key/);
  raises(() => touchLines(words, { kind: 'glide', seed: 1, prefix: 0.5 }), /prefixes are for taps/);
});

t('touchLines: prefixes cut a word to 2..n-1 letters and mark the line', () => {
  const words = Array.from({ length: 400 }, (_, i) => ({ id: `p${i}`, word: 'keyboard', context: [] }));
  const out = touchLines(words, { kind: 'tap', seed: 3, prefix: 0.5, ...NO_EVENTS });
  const pre = out.filter((s) => (s.line as TapLine).prefix === true);
  assert.ok(pre.length > 150 && pre.length < 250, `${pre.length} prefixes of 400 at rate 0.5`);
  for (const s of out) {
    const l = s.line as TapLine;
    assert.is(s.word, 'keyboard');
    assert.ok(s.word.startsWith(s.typed));
    assert.is(l.taps.length, s.typed.length);
    if (l.prefix) assert.ok(s.typed.length >= 2 && s.typed.length <= 7, s.typed);
    else assert.is(s.typed, 'keyboard');
  }
  assert.is(new Set(pre.map((s) => s.typed.length)).size, 6);
});

t('taps: mean offset ~0 and std within 10% of sigma (isotropic override, FFitts, anisotropic keys)', () => {
  const wide = KeyboardLayout.fromJson({ width: 4, height: 2, keys: [{ key: 'a', x: 1.5, y: 1, w: 3, h: 2 }, { key: 'b', x: 3.5, y: 1, w: 1, h: 2 }] }, 'wide');
  const cases: [KeyboardLayout, TapNoise, number, number][] = [
    [L, { sigma: 0.3 }, 0.3, 0.3],
    [L, {}, 0.25, 0.25], // defaults: sqrt(0.2^2 + 0.15^2)
    [wide, { sigmaFinger: 0.1, alpha: 0.2 }, Math.sqrt(0.01 + 0.36), Math.sqrt(0.01 + 0.16)],
  ];
  for (const [layout, noise, sx, sy] of cases) {
    const key: Key = layout === L ? L.key('g') : layout.key('a');
    assert.equal(tapSigma(key, noise).map((v) => +v.toFixed(12)), [+sx.toFixed(12), +sy.toFixed(12)]);
    const { taps, aimed } = generateTaps(layout, key.key.repeat(5000), rng(11), { ...noise, ...NO_EVENTS });
    assert.is(taps.length, 5000);
    assert.ok(aimed.every((k) => k === key.key));
    const [mx, dx] = meanStd(taps.map((p) => p[0] - key.x)), [my, dy] = meanStd(taps.map((p) => p[1] - key.y));
    assert.ok(Math.abs(mx) < 4 * sx / Math.sqrt(5000) && Math.abs(my) < 4 * sy / Math.sqrt(5000), `mean offset ${mx}, ${my}`);
    assert.ok(Math.abs(dx / sx - 1) < 0.1 && Math.abs(dy / sy - 1) < 0.1, `std ${dx}, ${dy} vs ${sx}, ${sy}`);
  }
  // Without the FFitts relative term the scatter really is the finger's alone.
  const [, d0] = meanStd(generateTaps(L, 'g'.repeat(3000), rng(2), { sigmaFinger: 0.1, alpha: 0, ...NO_EVENTS }).taps.map((p) => p[0]));
  assert.ok(Math.abs(d0 / 0.1 - 1) < 0.1, `${d0}`);
});

t('taps: omit, double, neighbour and swap events happen at their rates and do what they say', () => {
  const word = 'planetbox', n = word.length, N = 3000;
  const rate = (p: TapNoise, kind: string) => {
    const r = rng(99);
    let events = 0, trials = 0;
    for (let i = 0; i < N; i++) {
      const a = generateTaps(L, word, r, { sigma: 0.01, ...NO_EVENTS, ...p });
      const ev = a.events.filter((e) => e.kind === kind);
      events += ev.length;
      assert.is(a.events.length, ev.length);
      const omits = a.events.filter((e) => e.kind === 'omit').length, doubles = a.events.filter((e) => e.kind === 'double').length;
      assert.is(a.taps.length, n - omits + doubles);
      assert.equal(a.taps.map((q) => L.nearestKey(q[0], q[1]).key), a.aimed);
      if (kind === 'neighbour') for (const e of ev) assert.ok(L.neighbours(word[e.index]).some((k) => k.key === e.key) && a.aimed[e.index] === e.key);
      if (kind === 'swap') {
        const w = [...word];
        for (const e of ev) [w[e.index], w[e.index + 1]] = [w[e.index + 1], w[e.index]];
        assert.equal(a.aimed, w);
      }
      if (kind === 'double') for (const e of ev) assert.ok(a.aimed.join('').includes(e.key!.repeat(2)));
      trials += kind === 'swap' ? n - 1 : n;
    }
    return [events, trials];
  };
  for (const [kind, p] of [['omit', { pOmit: 0.1 }], ['double', { pDouble: 0.08 }], ['neighbour', { pNeighbour: 0.05 }]] as const) {
    const [ev, trials] = rate(p, kind);
    const q = Object.values(p)[0];
    const se = Math.sqrt(trials * q * (1 - q));
    assert.ok(Math.abs(ev - trials * q) < 4 * se, `${kind}: ${ev} events in ${trials} keys at rate ${q}`);
  }
  // A swapped letter cannot start another swap, so the per-pair rate is q / (1 + q) in the long run.
  const [sw, pairs] = rate({ pSwap: 0.1 }, 'swap');
  assert.ok(Math.abs(sw / pairs - 0.1 / 1.1) < 0.012, `swap rate ${sw / pairs}`);
  // Defaults: a few percent of events, never an empty attempt.
  const r = rng(5);
  let evs = 0;
  for (let i = 0; i < 2000; i++) {
    const a = generateTaps(L, 'a', r, { pOmit: 0.9 });
    assert.ok(a.taps.length >= 1);
    evs += generateTaps(L, word, r).events.length;
  }
  assert.ok(evs / (2000 * n) > 0.03 && evs / (2000 * n) < 0.07, `default event rate ${evs / (2000 * n)}`);
});

t('glide: starts and ends near the word\'s keys, passes every intermediate key, t strictly increasing', () => {
  const words = ['hello', 'typewriter', 'quiz', 'polka', 'mississippi', 'zap', 'wow', "don't", 'pop', 'qp', 'a', 'keyboard'];
  for (let s = 0; s < 40; s++) {
    for (const w of words) {
      const { glide } = generateGlide(L, w, rng(1000 * s + w.length));
      const visits = [...w].filter((c) => c !== "'").filter((c, i, a) => i === 0 || a[i - 1] !== c).map((c) => L.key(c));
      assert.is(glide[0][2], 0);
      for (let i = 1; i < glide.length; i++) assert.ok(glide[i][2] > glide[i - 1][2], `${w}: t not increasing at ${i}`);
      for (const [x, y] of glide) assert.ok(x >= 0 && x <= L.width && y >= 0 && y <= L.height);
      const near = (p: number[], k: Key) => Math.hypot(p[0] - k.x, p[1] - k.y);
      assert.ok(near(glide[0], visits[0]) < 0.6, `${w} starts ${near(glide[0], visits[0])} from ${visits[0].key}`);
      assert.ok(near(glide[glide.length - 1], visits[visits.length - 1]) < 0.6, `${w} ends off its last key`);
      for (const k of visits.slice(1, -1)) assert.ok(Math.min(...glide.map((p) => near(p, k))) < 0.6, `${w} misses ${k.key}`);
      // A 1-key hop takes ~130 ms, so words last roughly 100-250 ms a hop.
      const dur = glide[glide.length - 1][2];
      if (visits.length > 2) assert.ok(dur > 70 * (visits.length - 1) && dur < 400 * (visits.length - 1), `${w}: ${dur} ms`);
    }
  }
  // Noise-free and with sharp corners the trace goes through the centres; rounded, it cuts them.
  const exact = { noise: 0, drift: 0, startJitter: 0, endJitter: 0, corner: 0 };
  const dist = (o: object) => { const g = generateGlide(L, 'waq', rng(4), o).glide; return Math.min(...g.map((p) => Math.hypot(p[0] - 1, p[1] - 1.5))); };
  assert.ok(dist(exact) < 0.05, `${dist(exact)}`);
  assert.ok(dist({ ...exact, corner: 0.3 }) > 0.05, `${dist({ ...exact, corner: 0.3 })}`);
  // A doubled letter with pLoop 1 adds a loop: more time on the key than without.
  const onL = (o: object) => generateGlide(L, 'hello', rng(6), { ...exact, corner: 0.3, ...o }).glide.filter((p) => Math.hypot(p[0] - 9, p[1] - 1.5) < 0.3).length;
  assert.ok(onL({ pLoop: 1 }) > onL({ pLoop: 0 }) + 3, `${onL({ pLoop: 1 })} vs ${onL({ pLoop: 0 })}`);
  // The apostrophe is skipped by default and visited on request.
  const dApos = (o: object) => Math.min(...generateGlide(L, "don't", rng(6), { ...exact, ...o }).glide.map((p) => Math.hypot(p[0] - 9.5, p[1] - 2.5)));
  assert.ok(dApos({}) > 1 && dApos({ apostrophe: true }) < 0.3);
});

t.run();
