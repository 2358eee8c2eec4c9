export * from './services.js';
export * from './infra.js';
export * from './stack.js';
