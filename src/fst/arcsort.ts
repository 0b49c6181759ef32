// ArcSort: sort each state's arcs by (ilabel, olabel) or (olabel, ilabel) (OpenFst's
// ILabelCompare / OLabelCompare). OpenFst sorts with std::sort, which is not stable: arcs with
// equal labels keep libstdc++'s introsort order, so kiln runs the same introsort (cxxSort) and
// prints the same FST as fstarcsort.
import type { VectorFst, Arc } from './fst.ts';

export type ArcSortType = 'ilabel' | 'olabel';

const byI = <W>(a: Arc<W>, b: Arc<W>) => a.ilabel - b.ilabel || a.olabel - b.olabel;
const byO = <W>(a: Arc<W>, b: Arc<W>) => a.olabel - b.olabel || a.ilabel - b.ilabel;

/** Sorts the arcs of f in place; sets f.ilabelSorted / f.olabelSorted. Returns f. */
export function arcSortInPlace<W>(f: VectorFst<W>, type: ArcSortType = 'ilabel'): VectorFst<W> {
  const cmp = type === 'ilabel' ? byI : byO;
  for (let s = 0; s < f.numStates(); s++) {
    cxxSort(f.arcs(s), (a, b) => cmp(a, b) < 0);
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

/** libstdc++'s std::sort (introsort, threshold 16, median-of-three, heapsort fallback), element order included. */
export function cxxSort<T>(a: T[], less: (x: T, y: T) => boolean): void {
  const n = a.length;
  if (n < 2) return;
  introsortLoop(a, 0, n, 2 * Math.floor(Math.log2(n)), less);
  if (n > 16) {
    insertionSort(a, 0, 16, less);
    for (let i = 16; i < n; i++) unguardedLinearInsert(a, i, less);
  } else insertionSort(a, 0, n, less);
}

function introsortLoop<T>(a: T[], first: number, last: number, depth: number, less: (x: T, y: T) => boolean): void {
  while (last - first > 16) {
    if (depth === 0) { heapSortRange(a, first, last, less); return; }
    depth--;
    const mid = first + ((last - first) >> 1);
    moveMedianToFirst(a, first, first + 1, mid, last - 1, less);
    const cut = unguardedPartition(a, first + 1, last, first, less);
    introsortLoop(a, cut, last, depth, less);
    last = cut;
  }
}

function swap<T>(a: T[], i: number, j: number): void { const t = a[i]; a[i] = a[j]; a[j] = t; }

function moveMedianToFirst<T>(a: T[], result: number, x: number, y: number, z: number, less: (p: T, q: T) => boolean): void {
  if (less(a[x], a[y])) {
    if (less(a[y], a[z])) swap(a, result, y);
    else if (less(a[x], a[z])) swap(a, result, z);
    else swap(a, result, x);
  } else if (less(a[x], a[z])) swap(a, result, x);
  else if (less(a[y], a[z])) swap(a, result, z);
  else swap(a, result, y);
}

function unguardedPartition<T>(a: T[], first: number, last: number, pivot: number, less: (x: T, y: T) => boolean): number {
  for (;;) {
    while (less(a[first], a[pivot])) first++;
    last--;
    while (less(a[pivot], a[last])) last--;
    if (!(first < last)) return first;
    swap(a, first, last);
    first++;
  }
}

function insertionSort<T>(a: T[], first: number, last: number, less: (x: T, y: T) => boolean): void {
  if (first === last) return;
  for (let i = first + 1; i < last; i++) {
    if (less(a[i], a[first])) {
      const v = a[i];
      for (let j = i; j > first; j--) a[j] = a[j - 1];
      a[first] = v;
    } else unguardedLinearInsert(a, i, less);
  }
}

function unguardedLinearInsert<T>(a: T[], last: number, less: (x: T, y: T) => boolean): void {
  const v = a[last];
  let next = last - 1;
  while (less(v, a[next])) { a[last] = a[next]; last = next; next--; }
  a[last] = v;
}

function adjustHeap<T>(a: T[], base: number, hole: number, len: number, value: T, less: (x: T, y: T) => boolean): void {
  const top = hole;
  let second = hole;
  while (second < Math.floor((len - 1) / 2)) {
    second = 2 * (second + 1);
    if (less(a[base + second], a[base + second - 1])) second--;
    a[base + hole] = a[base + second];
    hole = second;
  }
  if ((len & 1) === 0 && second === (len - 2) / 2) {
    second = 2 * (second + 1);
    a[base + hole] = a[base + second - 1];
    hole = second - 1;
  }
  let parent = (hole - 1) >> 1;
  while (hole > top && less(a[base + parent], value)) { a[base + hole] = a[base + parent]; hole = parent; parent = (hole - 1) >> 1; }
  a[base + hole] = value;
}

function heapSortRange<T>(a: T[], first: number, last: number, less: (x: T, y: T) => boolean): void {
  const len = last - first;
  if (len >= 2) {
    for (let parent = (len - 2) >> 1; ; parent--) {
      adjustHeap(a, first, parent, len, a[first + parent], less);
      if (parent === 0) break;
    }
  }
  for (let end = last; end - first > 1;) {
    end--;
    const v = a[end];
    a[end] = a[first];
    adjustHeap(a, first, 0, end - first, v, less);
  }
}
