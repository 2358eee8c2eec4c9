export * from './errors.js';
export * from './money.js';
export * from './common.js';
export * from './checkout.js';
export * from './catalog.js';
export * from './cart.js';
export * from './payments.js';
export * from './orders.js';
