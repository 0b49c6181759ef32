// The small template step over hand-written WGSL: `#if NAME` / `#if !NAME` / `#else` / `#endif`
// on defines, and `{{NAME}}` substitution. Everything else is specialised by WGSL `override`s.
import { SHADERS } from '../gen/shaders.ts';

export type Defines = Record<string, string | number | boolean>;

export function shaderSourceRaw(name: string): string {
  const src = SHADERS[name];
  if (src === undefined) throw new Error(`kiln: no shader "${name}" (expected shaders/${name}.wgsl)`);
  return src;
}

export function preprocess(src: string, defines: Defines = {}, name = '?'): string {
  const out: string[] = [];
  const stack: { active: boolean; taken: boolean; parent: boolean }[] = [];
  let active = true;
  const lines = src.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i];
    const t = line.trim();
    if (t.startsWith('#if ')) {
      const expr = t.slice(4).trim();
      const neg = expr.startsWith('!');
      const key = neg ? expr.slice(1).trim() : expr;
      const v = defines[key];
      let cond = v !== undefined && v !== false && v !== 0 && v !== '0';
      if (neg) cond = !cond;
      stack.push({ active, taken: cond, parent: active });
      active = active && cond;
      continue;
    }
    if (t === '#else') {
      const top = stack[stack.length - 1];
      if (!top) throw new Error(`kiln: shader ${name}:${i + 1}: #else without #if`);
      active = top.parent && !top.taken;
      top.taken = true;
      continue;
    }
    if (t === '#endif') {
      const top = stack.pop();
      if (!top) throw new Error(`kiln: shader ${name}:${i + 1}: #endif without #if`);
      active = top.parent;
      continue;
    }
    if (active) out.push(line);
  }
  if (stack.length) throw new Error(`kiln: shader ${name}: unterminated #if`);
  return out.join('\n').replace(/\{\{(\w+)\}\}/g, (_, k: string) => {
    const v = defines[k];
    if (v === undefined) throw new Error(`kiln: shader ${name}: no value for {{${k}}}`);
    return String(v);
  });
}

export function defineKey(d: Defines | undefined): string {
  if (!d) return '';
  return Object.keys(d).sort().map((k) => `${k}=${d[k]}`).join(',');
}
