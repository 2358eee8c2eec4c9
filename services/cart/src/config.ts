import { z } from 'zod';
import { BaseConfig, loadConfig } from '@shop/kit';

export const CartConfig = BaseConfig.extend({
  SERVICE_NAME: z.string().min(1).default('cart'),
  HTTP_PORT: z.coerce.number().int().min(0).max(65535).default(4102),
  /** Carts unchanged this long become abandoned (fractions allowed). */
  CART_IDLE_HOURS: z.coerce.number().positive('must be more than 0').default(24),
  /** Overrides CART_IDLE_HOURS with a precise number of seconds (tests, demos). */
  CART_IDLE_SECONDS: z.coerce.number().int().positive('must be more than 0').optional(),
  CART_SWEEP_INTERVAL_MS: z.coerce.number().int().min(100, 'must be at least 100').default(60_000),
  /**
   * How long what catalog said about a product may answer an add or a view without asking again,
   * should its change events not arrive (they drop it at once); 0 turns the cache off.
   */
  CART_CATALOG_CACHE_MS: z.coerce.number().int().min(0, 'must be 0 or more').max(60_000, 'must be at most 60000').default(2_000),
});
export type CartConfig = z.infer<typeof CartConfig>;

export function loadCartConfig(env: Record<string, string | undefined>): CartConfig {
  return loadConfig(CartConfig, env, { productionSecrets: ['API_TOKENS'] });
}

export function idleSeconds(config: CartConfig): number {
  return config.CART_IDLE_SECONDS ?? Math.max(1, Math.round(config.CART_IDLE_HOURS * 3600));
}
