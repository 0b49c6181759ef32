// softmax / logSoftmax over the last axis: shaders/softmax.wgsl.
import { grid, Uniforms, type Program } from '../src/gpu/runtime.ts';
import { memo } from '../src/gpu/memo.ts';

import { empty, engine, type Tensor } from '../src/tensor.ts';
import { partialStates, threadChunking } from './reduce.ts';

const WG = 128;
const TWG = 64;
/** Rows at most this long use one thread per row on GPUs too. */
const THREAD_MAX_LEN = 64;

function uni(rows: number, len: number, chunk: number, chunks: number): Uniforms {
  return new Uniforms().u32(rows, len, 0, chunk, chunks, 0, 0, 0);
}

/** Memoised Program: uniforms from [rows, len, chunk, chunks]. */
const prog = memo((p: Omit<Program, 'uniforms'>, u: [number, number, number, number]): Program => ({ ...p, uniforms: uni(...u) }));

/** softmax (or logSoftmax) of x viewed as [rows, len]; returns a new tensor of `shape`. */
export function softmax(x: Tensor, rows: number, len: number, log: boolean): Tensor {
  const e = engine();
  const out = empty(x.shape, 'float32');
  if (!out.size) return out;
  const label = log ? 'logSoftmax' : 'softmax';
  if (e.tuning.threadRows) {
    // Software adapters: no barriers. Long rows with few of them get their statistics from a
    // chunked logsumexp pass, then every (row, chunk) thread writes its part.
    const { vec4, chunk, chunks } = threadChunking(rows, len);
    const defines = { LOG: log, THREAD: true, VEC4: vec4, STATES: chunks > 1 };
    const p = prog({ shader: 'softmax', label, defines, overrides: { WG: TWG }, workgroups: grid(rows * chunks, TWG) }, [rows, len, chunk, chunks]);
    if (chunks === 1) {
      e.dispatch(p, [x.buffer], [out.buffer]);
    } else {
      const st = partialStates('logsumexp', x, rows, len);
      e.dispatch(p, [x.buffer, st.buffer], [out.buffer]);
      st.dispose();
    }
    return out;
  }
  const thread = len <= THREAD_MAX_LEN;
  e.dispatch(prog({
    shader: 'softmax', label,
    defines: { LOG: log, ROWS: !thread, THREAD: thread },
    overrides: { WG: thread ? TWG : WG },
    workgroups: thread ? grid(rows, TWG) : [Math.min(rows, 65535), Math.ceil(rows / 65535)],
  }, [rows, len, len, 1]), [x.buffer], [out.buffer]);
  return out;
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
