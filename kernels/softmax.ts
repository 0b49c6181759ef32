// softmax / logSoftmax over the last axis: shaders/softmax.wgsl.
import { grid, Uniforms, type Program } from '../src/gpu/runtime.ts';

const WG = 128;
/** Rows at most this long use one thread per row. */
const THREAD_MAX_LEN = 64;

export function softmaxProgram(rows: number, len: number, log: boolean): Program {
  const thread = len <= THREAD_MAX_LEN;
  return {
    shader: 'softmax', label: log ? 'logSoftmax' : 'softmax',
    defines: { LOG: log, ROWS: !thread, THREAD: thread },
    overrides: { WG },
    workgroups: thread ? grid(rows, WG) : [Math.min(rows, 65535), Math.ceil(rows / 65535)],
    uniforms: new Uniforms().u32(rows, len, 0, 0),
  };
}

/** CPU reference, float64. */
export function softmaxRef(x: ArrayLike<number>, rows: number, len: number, log: boolean): Float64Array {
  const out = new Float64Array(rows * len);
  for (let r = 0; r < rows; r++) {
    let m = -Infinity;
    for (let k = 0; k < len; k++) m = Math.max(m, x[r * len + k]);
    let s = 0;
    for (let k = 0; k < len; k++) s += Math.exp(x[r * len + k] - m);
    for (let k = 0; k < len; k++) {
      const v = x[r * len + k] - m;
      out[r * len + k] = log ? v - Math.log(s) : Math.exp(v) / s;
    }
  }
  return out;
}
