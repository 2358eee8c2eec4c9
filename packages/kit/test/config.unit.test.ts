import { describe, expect, it } from 'vitest';
import type { z } from 'zod';
import { AppError } from '@shop/contracts';
import { BaseConfig, loadConfig } from '../src/config.js';
import { CartConfig } from '../../../services/cart/src/config.js';
import { CatalogConfig } from '../../../services/catalog/src/config.js';
import { GatewayConfig } from '../../../services/mcp-gateway/src/config.js';
import { OrdersConfig } from '../../../services/orders/src/config.js';
import { PaymentsConfig, chosenProvider } from '../../../services/payments/src/config.js';

const required = { DATABASE_URL: 'postgres://postgres@127.0.0.1:5432/x', HTTP_PORT: '4100' };

/** The variable names a config schema reads (through a transform or refinement, too). */
function keysOf(schema: z.ZodType): string[] {
  const s = schema as unknown as { shape?: Record<string, unknown>; in?: z.ZodType };
  if (s.shape) return Object.keys(s.shape);
  if (s.in) return keysOf(s.in);
  throw new Error('not an object schema');
}

const schemas: Record<string, z.ZodType> = { base: BaseConfig, catalog: CatalogConfig, cart: CartConfig, orders: OrdersConfig, payments: PaymentsConfig, 'mcp-gateway': GatewayConfig };

describe('configuration: a variable set to "" counts as unset', () => {
  for (const [name, schema] of Object.entries(schemas)) {
    it(`${name}: every optional variable set to "" gives the same config as leaving it out`, () => {
      const optional = keysOf(schema).filter((k) => !(k in required));
      expect(optional.length).toBeGreaterThan(3);
      const empty = Object.fromEntries(optional.map((k) => [k, '']));
      expect(loadConfig(schema, { ...required, ...empty })).toEqual(loadConfig(schema, required));
    });
  }

  it('payments: the empty Stripe settings docker-compose.yml passes mean the demo provider', () => {
    const config = loadConfig(PaymentsConfig, { ...required, PAYMENTS_PROVIDER: '', STRIPE_SECRET_KEY: '', STRIPE_WEBHOOK_SECRET: '' });
    expect(config.PAYMENTS_PROVIDER).toBeUndefined();
    expect(chosenProvider(config)).toBe('demo');
  });

  it('orders: an empty SMTP_URL means mail goes to MAIL_DIR', () => {
    const config = loadConfig(OrdersConfig, { ...required, SMTP_URL: '', MAIL_DIR: '/data/mail' });
    expect(config.SMTP_URL).toBeUndefined();
    expect(config.MAIL_DIR).toBe('/data/mail');
  });

  it('a required variable set to "" is refused, naming it', () => {
    let caught: unknown;
    try {
      loadConfig(BaseConfig, { ...required, DATABASE_URL: '' });
    } catch (e) {
      caught = e;
    }
    expect(caught).toBeInstanceOf(AppError);
    expect((caught as AppError).code).toBe('INVALID_INPUT');
    expect((caught as AppError).message).toMatch(/DATABASE_URL/);
  });

  it('a set value is still validated: whitespace is not empty', () => {
    expect(() => loadConfig(PaymentsConfig, { ...required, STRIPE_SECRET_KEY: '   ' })).toThrow(/STRIPE_SECRET_KEY/);
    expect(() => loadConfig(PaymentsConfig, { ...required, PAYMENTS_PROVIDER: 'paypal' })).toThrow(/PAYMENTS_PROVIDER/);
  });
});
