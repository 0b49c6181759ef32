// Connect (trim): keep only states that are both accessible from the start and coaccessible
// (reach a final state). State order is kept; the rest are renumbered densely (OpenFst Connect).
import type { VectorFst } from './fst.ts';
import { accessible, coaccessible } from './props.ts';

export function connectInPlace<W>(f: VectorFst<W>): VectorFst<W> {
  const acc = accessible(f);
  const coacc = coaccessible(f);
  const dead: number[] = [];
  for (let s = 0; s < f.numStates(); s++) if (!acc[s] || !coacc[s]) dead.push(s);
  if (dead.length === f.numStates()) f.deleteStates();
  else if (dead.length) f.deleteStates(dead);
  return f;
}

/** A trimmed copy of f. */
export function connect<W>(f: VectorFst<W>): VectorFst<W> {
  return connectInPlace(f.clone());
}
