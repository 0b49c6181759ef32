// Model builders and their summaries.
export * from './summary.ts';
export * from './mobilenet_v1.ts';
