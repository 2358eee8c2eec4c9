export * from './config.js';
export * from './logger.js';
export * from './db.js';
export * from './nats.js';
export * from './outbox.js';
export * from './consumer.js';
export * from './http.js';
export * from './service.js';
