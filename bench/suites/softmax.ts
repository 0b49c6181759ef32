// Softmax over the last axis of a [32, 10000] batch (a vocabulary-sized output layer).
import { bytesOf, type Suite } from './suite.ts';

const SHAPE = [32, 10000];

export const softmax: Suite[] = [
  {
    name: 'softmax_32x10000',
    needs: ['softmax'],
    inputs: [{ shape: SHAPE, min: -8, max: 8 }],
    work: { bytes: bytesOf(SHAPE, SHAPE) },
    kiln: (k, [x]) => k.softmax(x),
    tfjs: (tf, [x]) => tf.softmax(x),
  },
  {
    name: 'log_softmax_32x10000',
    needs: ['logSoftmax'],
    inputs: [{ shape: SHAPE, min: -8, max: 8 }],
    work: { bytes: bytesOf(SHAPE, SHAPE) },
    kiln: (k, [x]) => k.logSoftmax(x),
    tfjs: (tf, [x]) => tf.logSoftmax(x),
  },
];
