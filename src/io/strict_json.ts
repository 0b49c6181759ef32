// A strict JSON parser (RFC 8259) for safetensors headers: objects become Maps, so a repeated key
// (which JSON.parse silently resolves to the last one) is an error, and so is any trailing text
// other than whitespace. Errors give the character position.

export function parseJson(text: string): unknown {
  let i = 0;
  const ws = () => { while (i < text.length && (text[i] === ' ' || text[i] === '\n' || text[i] === '\r' || text[i] === '\t')) i++; };
  const fail = (what: string): never => {
    throw new Error(i >= text.length ? `unexpected end of the header (expected ${what})` : `unexpected ${JSON.stringify(text[i])} at character ${i} (expected ${what})`);
  };
  const str = (): string => {
    const start = i++;
    for (; i < text.length; i++) {
      const c = text.charCodeAt(i);
      if (c === 0x22) { i++; return JSON.parse(text.slice(start, i)) as string; }
      if (c === 0x5c) i++;
      else if (c < 0x20) fail('a closing quote (control characters must be escaped)');
    }
    return fail('a closing quote');
  };
  const value = (depth: number): unknown => {
    if (depth > 64) throw new Error('the header nests more than 64 levels deep');
    ws();
    const c = text[i];
    if (c === '{') {
      i++;
      const m = new Map<string, unknown>();
      ws();
      if (text[i] === '}') { i++; return m; }
      for (;;) {
        ws();
        if (text[i] !== '"') fail('a string key');
        const at = i;
        const k = str();
        if (m.has(k)) throw new Error(`the name ${JSON.stringify(k)} appears twice (again at character ${at}); names must be unique`);
        ws();
        if (text[i] !== ':') fail("':'");
        i++;
        m.set(k, value(depth + 1));
        ws();
        if (text[i] === ',') { i++; continue; }
        if (text[i] === '}') { i++; return m; }
        fail("',' or '}'");
      }
    }
    if (c === '[') {
      i++;
      const a: unknown[] = [];
      ws();
      if (text[i] === ']') { i++; return a; }
      for (;;) {
        a.push(value(depth + 1));
        ws();
        if (text[i] === ',') { i++; continue; }
        if (text[i] === ']') { i++; return a; }
        fail("',' or ']'");
      }
    }
    if (c === '"') return str();
    const lit = /^(?:-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?|true|false|null)/.exec(text.slice(i, i + 400));
    if (!lit) return fail('a value');
    i += lit[0].length;
    return lit[0] === 'true' ? true : lit[0] === 'false' ? false : lit[0] === 'null' ? null : Number(lit[0]);
  };
  const v = value(0);
  ws();
  if (i < text.length) fail('the end of the header (only spaces may pad it)');
  return v;
}
