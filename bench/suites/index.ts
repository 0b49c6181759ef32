// Every suite, in the order `npm run bench` runs them. A new suite file adds one line here.
import type { Suite } from './suite.ts';
import { matmul } from './matmul.ts';
import { softmax } from './softmax.ts';
import { reduce } from './reduce.ts';
import { elementwise } from './elementwise.ts';
import { train } from './train.ts';
import { depthwise } from './depthwise.ts';
import { conv } from './conv.ts';
import { models } from './models.ts';
import { realModels } from './real_models.ts';
import { rnn } from './rnn.ts';
import { ctc } from './ctc.ts';
import { hsoftmax } from './hsoftmax.ts';
import { parser } from './parser.ts';
import { codec } from './codec.ts';

export const SUITES: Suite[] = [...matmul, ...softmax, ...reduce, ...elementwise, ...depthwise, ...conv, ...train, ...models, ...realModels, ...rnn, ...ctc, ...hsoftmax, ...parser, ...codec];
