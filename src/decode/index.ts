// Decoding: a generic beam search and the CTC x lexicon x LM decoder (docs/keyboard.md).
export * from './beam.ts';
export * from './lexicon_trie.ts';
export * from './lm.ts';
export * from './ctc_lexicon.ts';
