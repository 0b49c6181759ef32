// NaN/Inf detection for the checkNumerics debug mode: shaders/check_numerics.wgsl.
import { grid, Uniforms, type Program } from '../src/gpu/runtime.ts';

/** Flags op `id` in the flag buffer when any of `n` float32 values is NaN or Inf. */
export function checkNumericsProgram(n: number, id: number): Program {
  return { shader: 'check_numerics', label: 'check_numerics', workgroups: grid(n, 256), uniforms: new Uniforms().u32(n, id, 0, 0) };
}

/** CPU reference: index of the first op (in order) whose values are not all finite, or -1. */
export function checkNumericsRef(outputs: ArrayLike<number>[]): number {
  for (let id = 0; id < outputs.length; id++) {
    const v = outputs[id];
    for (let i = 0; i < v.length; i++) if (!Number.isFinite(v[i])) return id;
  }
  return -1;
}
