// A dependency tree as an SVG picture (docs/parser.md): the words left to right with their tags
// under them, each arc drawn above from head to dependent with its relation, the root marked. A
// second tree (the gold one) may be given: arcs that differ are drawn in red.

const esc = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');

export interface TreeSvgOptions {
  /** reference heads/relations: a predicted arc that differs from it is drawn red */
  gold?: { heads: number[]; rels: string[] };
  title?: string;
}

export function treeSvg(forms: string[], tags: string[], heads: number[], rels: string[], o: TreeSvgOptions = {}): string {
  const n = forms.length;
  const widths = forms.map((f, i) => Math.max(44, 8.5 * Math.max(f.length, tags[i]?.length ?? 0) + 18));
  const xs: number[] = [];
  let x = 16;
  for (const w of widths) { xs.push(x + w / 2); x += w; }
  const width = x + 16;
  const span = (i: number) => Math.abs(heads[i] - (i + 1));
  const maxSpan = Math.max(1, ...heads.map((h, i) => (h > 0 ? span(i) : 1)));
  const unit = Math.min(30, 200 / maxSpan);
  const lift0 = 16; // the shortest arcs still leave room for their label
  const top = (o.title ? 30 : 10) + lift0 + unit * maxSpan + 24;
  const height = top + 52;
  const out: string[] = [];
  out.push(`<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="sans-serif" font-size="13">`);
  out.push('<defs><marker id="a" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="6" markerHeight="6" orient="auto-start-reverse"><path d="M0 0L10 5L0 10z" fill="#333"/></marker>' +
    '<marker id="r" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="6" markerHeight="6" orient="auto-start-reverse"><path d="M0 0L10 5L0 10z" fill="#c0392b"/></marker></defs>');
  out.push(`<rect width="${width}" height="${height}" fill="white"/>`);
  if (o.title) out.push(`<text x="16" y="20" font-weight="bold">${esc(o.title)}</text>`);
  for (let i = 0; i < n; i++) {
    const wrong = o.gold && (o.gold.heads[i] !== heads[i] || o.gold.rels[i].split(':')[0] !== rels[i].split(':')[0]);
    const colour = wrong ? '#c0392b' : '#333';
    const d = xs[i];
    if (heads[i] === 0) {
      out.push(`<line x1="${d}" y1="${top - lift0 - unit * maxSpan - 8}" x2="${d}" y2="${top - 4}" stroke="${colour}" marker-end="url(#${wrong ? 'r' : 'a'})"/>`);
      out.push(`<text x="${d + 4}" y="${top - lift0 - unit * maxSpan}" fill="${colour}" font-size="11">${esc(rels[i])}</text>`);
      continue;
    }
    const h = xs[heads[i] - 1];
    const lift = lift0 + unit * span(i);
    const y0 = top - 4;
    const sx = h + (d > h ? 4 : -4), ex = d + (d > h ? -4 : 4);
    out.push(`<path d="M${sx} ${y0} C${sx} ${y0 - lift} ${ex} ${y0 - lift} ${ex} ${y0}" fill="none" stroke="${colour}" marker-end="url(#${wrong ? 'r' : 'a'})"/>`);
    out.push(`<text x="${(sx + ex) / 2}" y="${y0 - 0.75 * lift - 3}" text-anchor="middle" fill="${colour}" font-size="11">${esc(rels[i])}</text>`);
  }
  forms.forEach((f, i) => {
    out.push(`<text x="${xs[i]}" y="${top + 16}" text-anchor="middle">${esc(f)}</text>`);
    out.push(`<text x="${xs[i]}" y="${top + 34}" text-anchor="middle" fill="#777" font-size="11">${esc(tags[i] ?? '')}</text>`);
  });
  out.push('</svg>');
  return out.join('\n') + '\n';
}
