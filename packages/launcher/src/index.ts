export * from './services.js';
export * from './infra.js';
export * from './stack.js';
export * from './nats-auth.js';
export * from './db-roles.js';
export * from './secrets.js';
