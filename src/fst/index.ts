// Weighted finite-state transducers with OpenFst semantics (pure TypeScript). See docs/fst.md.
export * from './errors.ts';
export * from './semiring.ts';
export * from './fst.ts';
export * from './symbols.ts';
export * from './text.ts';
