// kiln's public API: `import * as kiln from 'kiln'`.
export { Tensor, ready, tidy, keep, dispose, memory, type DType, type TypedArray, type Shape, type MemoryInfo } from './tensor.ts';
export * from './ops/creation.ts';
export * from './ops/elementwise.ts';
export * from './ops/matmul.ts';
export { KilnOpError } from './ops/util.ts';
export { KilnDeviceError } from './gpu/device.ts';
export * from './ops/movement.ts';
export * from './ops/reduce.ts';
export * from './ops/softmax.ts';
export * from './api.ts';
export { grad, grads, valueAndGrad, valueAndGrads, variableGrads } from './autograd/grad.ts';
export { Variable, variable, variables, disposeVariables } from './autograd/variable.ts';
export { noGrad } from './autograd/tape.ts';
export * from './ops/losses.ts';
export { fit, formatProgress, historyCsv, type FitOptions, type FitResult, type Progress, type HistoryEntry } from './train/fit.ts';
export * from './io/checkpoint.ts';
export * from './optim/index.ts';
export * from './ops/depthwise.ts';
