// Gradient of conv2d / fusedConv2d. With y = act(conv(x, w) + b) and upstream dy:
//   dz = dy * act'(y)   (relu: y > 0; relu6: 0 < y < 6, the same masks as on the pre-activation;
//                        the fused unary backward kernel run on y)
//   dx = the transposed conv of dz with w (shaders/conv2d.wgsl, TRANSPOSED)
//   dw = sum over N*OH*OW of x patches times dz (shaders/conv2d_filter_grad.wgsl)
//   db = sum(dz) over N, OH, OW
// (1x1 stride-1 convs run as matMul + add + activation, whose own rules apply.)
import { engine, type Tensor } from '../tensor.ts';
import { record, tracking, noGrad } from '../autograd/tape.ts';
import { conv2dProgram, conv2dFilterGradProgram, filterGradSplits, type Activation, type ConvGeom, type ConvKernel } from '../../kernels/conv2d.ts';
import { preferredKernel } from '../../kernels/matmul.ts';
import { unaryGradProgram } from '../../kernels/unary_grad.ts';
import { run } from './run.ts';
import { transpose, reshape } from './movement.ts';
import { sum } from './reduce.ts';

let KERNEL: ConvKernel | null = null;
let KERNEL_ENGINE: unknown = null;
let FORCED: ConvKernel | null = null;

/** Internal (tests): force the subgroup or the workgroup-memory kernel; null restores the default. */
export function setConv2dKernel(k: ConvKernel | null): void { FORCED = k; }

/** The subgroup kernels need 8-lane subgroups (as matMul's); other adapters use workgroup memory. */
export function conv2dKernel(): ConvKernel {
  if (FORCED) return FORCED;
  const e = engine();
  if (KERNEL_ENGINE !== e) {
    KERNEL = preferredKernel(e) === 'subgroup' ? 'subgroup' : 'shared';
    KERNEL_ENGINE = e;
  }
  return KERNEL!;
}

/** dx [N,H,W,Cin] from dz [N,OH,OW,Cout] and filter [KH,KW,Cin,Cout]. */
export function conv2dBackpropInput(dz: Tensor, filter: Tensor, g: ConvGeom): Tensor {
  const wT = noGrad(() => transpose(filter, [0, 1, 3, 2])); // [KH, KW, Cout, Cin]: B rows along Cout
  const dx = run(conv2dProgram(g, true, false, 'linear', conv2dKernel()), [dz, wT, wT], [g.N, g.H, g.W, g.Cin], 'float32');
  wT.dispose();
  return dx;
}

/** dw [KH,KW,Cin,Cout] from x [N,H,W,Cin] and dz [N,OH,OW,Cout] (split-K partials summed). */
export function conv2dBackpropFilter(x: Tensor, dz: Tensor, g: ConvGeom): Tensor {
  const [splits] = filterGradSplits(g);
  const shape = [g.KH, g.KW, g.Cin, g.Cout];
  const parts = run(conv2dFilterGradProgram(g, conv2dKernel()), [x, dz], [splits, ...shape], 'float32');
  if (splits === 1) return reshape(parts, shape);
  const dw = sum(parts, 0);
  parts.dispose();
  return dw;
}

export function recordConv2d(x: Tensor, filter: Tensor, bias: Tensor | null, g: ConvGeom, act: Activation, y: Tensor): Tensor {
  if (!tracking(x, filter, bias ?? undefined)) return y;
  const inputs = bias ? [x, filter, bias] : [x, filter];
  return record('conv2d', inputs, y, ([dy], needs) => {
    const dz = act === 'linear' ? dy! : run(unaryGradProgram(act, y.size), [y, y, dy!], y.shape, 'float32');
    const dx = needs[0] ? conv2dBackpropInput(dz, filter, g) : null;
    const dw = needs[1] ? conv2dBackpropFilter(x, dz, g) : null;
    const db = bias && needs[2] ? sum(dz, [0, 1, 2]) : null;
    return bias ? [dx, dw, db] : [dx, dw];
  });
}
