// Project (to the input or output side) and Invert (swap input and output labels).
import type { VectorFst } from './fst.ts';

export type ProjectType = 'input' | 'output';

/** An acceptor of the input (default) or output labels of f. */
export function project<W>(f: VectorFst<W>, type: ProjectType = 'input'): VectorFst<W> {
  const g = f.clone();
  for (let s = 0; s < g.numStates(); s++) {
    for (const a of g.arcs(s)) {
      if (type === 'input') a.olabel = a.ilabel; else a.ilabel = a.olabel;
    }
  }
  if (type === 'input') g.osymbols = g.isymbols; else g.isymbols = g.osymbols;
  g.ilabelSorted = f.ilabelSorted && type === 'input';
  g.olabelSorted = f.olabelSorted && type === 'output';
  return g;
}

/** f with input and output labels swapped. */
export function invert<W>(f: VectorFst<W>): VectorFst<W> {
  const g = f.clone();
  for (let s = 0; s < g.numStates(); s++) {
    for (const a of g.arcs(s)) { const t = a.ilabel; a.ilabel = a.olabel; a.olabel = t; }
  }
  g.isymbols = f.osymbols;
  g.osymbols = f.isymbols;
  g.ilabelSorted = f.olabelSorted;
  g.olabelSorted = f.ilabelSorted;
  return g;
}
