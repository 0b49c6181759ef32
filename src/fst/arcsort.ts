// ArcSort: sort each state's arcs by (ilabel, olabel) or (olabel, ilabel), stably (OpenFst's
// ILabelCompare / OLabelCompare).
import type { VectorFst, Arc } from './fst.ts';

export type ArcSortType = 'ilabel' | 'olabel';

const byI = <W>(a: Arc<W>, b: Arc<W>) => a.ilabel - b.ilabel || a.olabel - b.olabel;
const byO = <W>(a: Arc<W>, b: Arc<W>) => a.olabel - b.olabel || a.ilabel - b.ilabel;

/** Sorts the arcs of f in place; sets f.ilabelSorted / f.olabelSorted. Returns f. */
export function arcSortInPlace<W>(f: VectorFst<W>, type: ArcSortType = 'ilabel'): VectorFst<W> {
  const cmp = type === 'ilabel' ? byI : byO;
  for (let s = 0; s < f.numStates(); s++) {
    const arcs = f.arcs(s);
    let sorted = true;
    for (let i = 1; i < arcs.length; i++) if (cmp(arcs[i - 1], arcs[i]) > 0) { sorted = false; break; }
    if (!sorted) arcs.sort(cmp); // Array.prototype.sort is stable
  }
  if (type === 'ilabel') { f.ilabelSorted = true; f.olabelSorted = false; } else { f.olabelSorted = true; f.ilabelSorted = false; }
  if (type === 'ilabel' && isSortedBy(f, byO)) f.olabelSorted = true;
  if (type === 'olabel' && isSortedBy(f, byI)) f.ilabelSorted = true;
  return f;
}

function isSortedBy<W>(f: VectorFst<W>, cmp: (a: Arc<W>, b: Arc<W>) => number): boolean {
  for (let s = 0; s < f.numStates(); s++) {
    const arcs = f.arcs(s);
    for (let i = 1; i < arcs.length; i++) if (cmp(arcs[i - 1], arcs[i]) > 0) return false;
  }
  return true;
}

/** A copy of f with arcs sorted by ilabel (default) or olabel. */
export function arcSort<W>(f: VectorFst<W>, type: ArcSortType = 'ilabel'): VectorFst<W> {
  return arcSortInPlace(f.clone(), type);
}
