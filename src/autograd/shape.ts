// Shape helpers for gradient rules.
import type { Tensor, Shape } from '../tensor.ts';
import { sum } from '../ops/reduce.ts';
import { reshape } from '../ops/movement.ts';

function same(a: Shape, b: Shape): boolean {
  return a.length === b.length && a.every((d, i) => d === b[i]);
}

/** Sum a broadcast gradient back to `shape` (the reverse of numpy broadcasting). */
export function sumToShape(dy: Tensor, shape: Shape): Tensor {
  if (same(dy.shape, shape)) return dy;
  const lead = dy.rank - shape.length;
  const axes: number[] = [];
  for (let i = 0; i < dy.rank; i++) {
    if (i < lead || (shape[i - lead] === 1 && dy.shape[i] !== 1)) axes.push(i);
  }
  const s = axes.length ? sum(dy, axes, true) : dy;
  const out = reshape(s, shape);
  if (s !== dy) s.dispose();
  return out;
}
