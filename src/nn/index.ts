// kiln.nn: PyTorch-like modules. docs/nn.md.
export { Module, type LoadStateDictOptions, type LoadStateDictResult } from './module.ts';
export { Linear, Embedding, Dropout, Sequential, type LinearOptions, type EmbeddingModuleOptions, type DropoutOptions } from './layers.ts';
export { LSTM, GRU, LSTMCell, GRUCell, ConvLSTMCell, ConvGRU, type RnnModuleOptions, type RnnState, type RnnResult, type ConvRnnModuleOptions } from './rnn.ts';
