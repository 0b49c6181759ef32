// RFC 822 mail, enough of it for the Smart Reply data (docs/smart_reply.md): headers (folded lines
// joined, names lower-cased), the text/plain body (the first text/plain part of a multipart
// message), quoted-printable and base64 decoded, and the quote structure of a reply.

export interface Mail {
  headers: Map<string, string>;
  body: string;
}

/** Headers and the plain-text body of one raw message. Never throws: odd input gives an empty body. */
export function parseMail(raw: string): Mail {
  const text = raw.replace(/\r\n?/g, '\n');
  const cut = text.indexOf('\n\n');
  const head = cut < 0 ? text : text.slice(0, cut);
  const rest = cut < 0 ? '' : text.slice(cut + 2);
  const headers = parseHeaders(head);
  return { headers, body: plainBody(headers, rest, 0) };
}

function parseHeaders(head: string): Map<string, string> {
  const out = new Map<string, string>();
  let name = '', value = '';
  const flush = () => { if (name && !out.has(name)) out.set(name, value.trim()); };
  for (const line of head.split('\n')) {
    if (/^[ \t]/.test(line) && name) { value += ' ' + line.trim(); continue; }
    flush();
    const m = /^([!-9;-~]+):[ \t]?(.*)$/.exec(line);
    if (m) { name = m[1].toLowerCase(); value = m[2]; } else { name = ''; value = ''; }
  }
  flush();
  return out;
}

function decodeBody(encoding: string, body: string): string {
  const enc = encoding.toLowerCase();
  if (enc.includes('quoted-printable')) {
    return body.replace(/=\n/g, '').replace(/=([0-9A-Fa-f]{2})/g, (_, h: string) => String.fromCharCode(parseInt(h, 16)));
  }
  if (enc.includes('base64')) {
    try { return Buffer.from(body.replace(/\s+/g, ''), 'base64').toString('latin1'); } catch { return ''; }
  }
  return body;
}

function plainBody(headers: Map<string, string>, body: string, depth: number): string {
  const type = (headers.get('content-type') ?? 'text/plain').toLowerCase();
  if (type.startsWith('multipart/') && depth < 4) {
    const b = /boundary="?([^";]+)"?/i.exec(headers.get('content-type') ?? '');
    if (!b) return '';
    const sep = '--' + b[1];
    for (const part of body.split(sep).slice(1)) {
      if (part.startsWith('--')) break;
      const p = part.replace(/^\n/, '');
      const cut = p.indexOf('\n\n');
      if (cut < 0) continue;
      const h = parseHeaders(p.slice(0, cut));
      const got = plainBody(h, p.slice(cut + 2), depth + 1);
      if (got) return got;
    }
    return '';
  }
  if (!type.startsWith('text/plain')) return '';
  return decodeBody(headers.get('content-transfer-encoding') ?? '', body);
}

/** The address part of a From header, lower-cased ('Tom <tom@x.org>' -> 'tom@x.org'). */
export function senderOf(from: string): string {
  const m = /<([^>]+)>/.exec(from) ?? /([^\s"<>()]+@[^\s"<>()]+)/.exec(from);
  return (m ? m[1] : from).trim().toLowerCase();
}

/** A subject without Re:/Fwd: prefixes and [list] tags, lower-cased: the thread it belongs to. */
export function threadOf(subject: string): string {
  let s = subject.toLowerCase();
  for (;;) {
    const t = s.replace(/^\s*(\[[^\]]*\]\s*|(re|fwd?|aw|sv)(\[\d+\])?\s*:\s*)/, '');
    if (t === s) break;
    s = t;
  }
  return s.replace(/\(was:? .*\)$/, '').replace(/\s+/g, ' ').trim();
}

/** A line's quote depth ('> > x' and '>> x' are 2) and its text without the markers. */
export function quoteDepth(line: string): { depth: number; text: string } {
  const m = /^((?:[ \t]?>)+)[ \t]?/.exec(line);
  if (!m) return { depth: 0, text: line };
  return { depth: (m[1].match(/>/g) ?? []).length, text: line.slice(m[0].length) };
}
