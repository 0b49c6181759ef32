// Weighted finite-state transducers with OpenFst semantics (pure TypeScript). See docs/fst.md.
export * from './errors.ts';
export * from './semiring.ts';
export * from './fst.ts';
export * from './symbols.ts';
export * from './text.ts';
export * from './lexicon.ts';
export * from './ngram.ts';
export * from './arpa.ts';
export * from './translit.ts';
