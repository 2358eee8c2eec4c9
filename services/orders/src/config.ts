import { z } from 'zod';
import { BaseConfig, loadConfig } from '@shop/kit';

export const OrdersConfig = BaseConfig.extend({
  HTTP_PORT: z.coerce.number().int().min(0).max(65535).default(4103),
  /** How often unfinished sagas are resumed or compensated. */
  ORDERS_RECOVERY_MS: z.coerce.number().int().min(100).default(30_000),
  /** How long a saga may sit before a step another process may still be running counts as abandoned. */
  ORDERS_SAGA_GRACE_MS: z.coerce.number().int().min(0).default(60_000),
  /** How long a stock reservation holds while the saga finishes. */
  ORDERS_RESERVATION_TTL_S: z.coerce.number().int().min(5).max(86_400).default(900),
  /**
   * How long a checkout link stays payable (Stripe allows 30 minutes to a day). The order's stock is
   * held that long plus ORDERS_RESERVATION_TTL_S, within the catalog's one-day limit, so the link expires first.
   */
  ORDERS_CHECKOUT_LINK_TTL_MINUTES: z.coerce.number().int().min(30).max(1_380).default(60),
  SMTP_URL: z.string().url('must be an smtp:// or smtps:// URL').optional(),
  MAIL_DIR: z.string().min(1).default('.data/mail'),
  MAIL_FROM: z.string().min(3).default('Shop <orders@shop.example>'),
  TRACKING_BASE_URL: z.string().url().default('https://tracking.shop.example/track'),
  /** Test-only: exit(137) right after this saga step is persisted, to prove recovery. */
  ORDERS_CRASH_AFTER_STEP: z.enum(['reserved', 'charged']).optional(),
});
export type OrdersConfig = z.infer<typeof OrdersConfig>;

export function loadOrdersConfig(env: Record<string, string | undefined>): OrdersConfig {
  return loadConfig(OrdersConfig, env, { productionSecrets: ['API_TOKENS'] });
}
