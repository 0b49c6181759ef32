// Draws docs/img/keyboard_touches.svg: the layout, 40 noisy tap attempts of "hello" (the
// generator's default FFitts spread and events) and three glide traces of "keyboard".
//   node --import tsx scripts/keyboard-figure.ts
import { writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { KeyboardLayout } from '../src/models/keyboard/layout.ts';
import { touchLines } from '../src/models/keyboard/touch.ts';

const layout = KeyboardLayout.load();
const S = 60, pad = 10;
const X = (x: number) => (pad + x * S).toFixed(1), Y = (y: number) => (pad + y * S).toFixed(1);
const out: string[] = [`<svg xmlns="http://www.w3.org/2000/svg" width="${2 * pad + layout.width * S}" height="${2 * pad + layout.height * S + 24}" font-family="sans-serif">`,
  '<rect width="100%" height="100%" fill="white"/>'];
for (const k of layout.keys) {
  out.push(`<rect x="${X(k.x - k.w / 2 + 0.04)}" y="${Y(k.y - k.h / 2 + 0.04)}" width="${((k.w - 0.08) * S).toFixed(1)}" height="${((k.h - 0.08) * S).toFixed(1)}" rx="6" fill="#f1f1f4" stroke="#c8c8d0"/>`);
  out.push(`<text x="${X(k.x)}" y="${Y(k.y + 0.12)}" font-size="18" text-anchor="middle" fill="#888">${k.key === ' ' ? 'space' : k.key}</text>`);
}
const taps = touchLines(Array.from({ length: 40 }, (_, i) => ({ id: String(i), word: 'hello', context: [] })), { kind: 'tap', seed: 5, layout });
const colours = ['#d62728', '#1f77b4', '#2ca02c', '#9467bd', '#ff7f0e'];
for (const s of taps) if ('taps' in s.line) s.line.taps.forEach(([x, y], i) => out.push(`<circle cx="${X(x)}" cy="${Y(y)}" r="3" fill="${colours[Math.min(i, 4)]}" fill-opacity="0.7"/>`));
const glides = touchLines([0, 1, 2].map((i) => ({ id: String(i), word: 'keyboard', context: [] })), { kind: 'glide', seed: 9, layout });
for (const s of glides) if ('glide' in s.line) out.push(`<polyline fill="none" stroke="#333" stroke-opacity="0.6" stroke-width="2" points="${s.line.glide.map(([x, y]) => `${X(x)},${Y(y)}`).join(' ')}"/>`);
out.push(`<text x="${pad}" y="${2 * pad + layout.height * S + 12}" font-size="13" fill="#444">taps of "hello" (1st letter red ... 5th orange; 40 attempts) and three glides of "keyboard" (lines)</text>`, '</svg>');
const path = fileURLToPath(new URL('../docs/img/keyboard_touches.svg', import.meta.url));
writeFileSync(path, out.join('\n') + '\n');
console.log(`wrote ${path}`);
