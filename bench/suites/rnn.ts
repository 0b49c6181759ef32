// filled in by its issue's work
import type { Suite } from './suite.ts';
export const rnn: Suite[] = [];
