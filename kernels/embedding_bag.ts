// Embedding bags (shaders/embedding_bag.wgsl): out[b, :] = sum_f table[ids[b, f], :].
import { memo } from '../src/gpu/memo.ts';
import { grid, Uniforms, type Program } from '../src/gpu/runtime.ts';

/** add: 'none', 'row' (one [D] row for every bag) or 'full' ([B, D]) */
function buildEmbeddingBagProgram(bags: number, f: number, v: number, d: number, add: 'none' | 'row' | 'full' = 'none'): Program {
  const vec4 = d % 4 === 0;
  const dv = vec4 ? d / 4 : d;
  return { shader: 'embedding_bag', label: 'embeddingBag', defines: { VEC4: vec4, ADD: add !== 'none', ADD_ROW: add === 'row' }, workgroups: grid(bags * dv, 64), uniforms: new Uniforms().u32(bags, f, v, dv) };
}

/** Memoised: the same arguments give the same Program object. */
export const embeddingBagProgram = memo(buildEmbeddingBagProgram);

/** CPU reference in float64: ids [bags, f] into table [v, d]; ids outside [0, v) add nothing. */
export function embeddingBagRef(table: ArrayLike<number>, v: number, d: number, ids: ArrayLike<number>, bags: number, f: number): Float64Array {
  const out = new Float64Array(bags * d);
  for (let b = 0; b < bags; b++)
    for (let k = 0; k < f; k++) {
      const r = ids[b * f + k];
      if (r < 0 || r >= v) continue;
      for (let j = 0; j < d; j++) out[b * d + j] += table[r * d + j];
    }
  return out;
}
