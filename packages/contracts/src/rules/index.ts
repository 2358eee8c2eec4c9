// @shop/contracts/rules: the pure rules several places apply (services, gateway, widgets, logger).
// No zod and no other dependency, so a widget bundle can import it without carrying zod.
export * from './card.js';
export * from './text.js';
export * from './dates.js';
export * from './address.js';
export * from './shipping.js';
