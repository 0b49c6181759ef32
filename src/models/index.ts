// Model builders and their summaries.
export * from './summary.ts';
export * from './mobilenet_v1.ts';
export * from './resnet.ts';
export * from './mobilenet_v2.ts';
