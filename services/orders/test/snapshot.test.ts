import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { ordersApi } from '@shop/contracts';
import { cartFixture } from '@shop/contracts/testing';
import { findById, saveSnapshot } from '../src/db/orders.js';
import { pickVariant, readyCart, sql, startStack, type Stack } from './stack.js';

/** The cart an order froze is one jsonb document, checked against OrderSnapshot when written and when read. */
let stack: Stack;
let pool: pg.Pool;

beforeAll(async () => {
  stack = await startStack('orders_snapshot');
  pool = new pg.Pool({ connectionString: stack.dbs.orders.url, max: 2 });
});
afterAll(async () => {
  await pool?.end();
  await stack?.stop();
});

async function placed() {
  const caller = { subject: `snap-${randomBytes(4).toString('hex')}` };
  const cart = await readyCart(stack, caller, await pickVariant(stack, 0), 1);
  return stack.bus.call(ordersApi.place, { cart_id: cart.id, caller, idempotency_key: `snap-${cart.id}` }, { timeoutMs: 60_000 });
}

describe("an order's snapshot", () => {
  it('is read back as the contract says, with the priced fields the order shows', async () => {
    const order = await placed();
    const row = (await findById(pool, order.id))!;
    expect(row.snapshot).toMatchObject({ total: order.total, subtotal: order.subtotal, shipping_method: order.shipping_method, shipping_address: order.shipping_address, estimated_delivery: order.estimated_delivery });
    expect(row.snapshot!.customer).toMatch(/\S/);
    expect(order).not.toHaveProperty('customer');
  }, 90_000);

  it('that drifted from the contract fails on read, naming the field', async () => {
    const order = await placed();
    await sql(stack.dbs.orders.url, `update orders set snapshot = snapshot - 'customer' where id = $1`, [order.id]);
    await expect(findById(pool, order.id)).rejects.toThrow(/snapshot does not match OrderSnapshot: customer: /);
  }, 90_000);

  it('is refused before it is written when the cart cannot make a valid order, and nothing is saved', async () => {
    const order = await placed();
    const [before] = await sql<{ snapshot: unknown }>(stack.dbs.orders.url, 'select snapshot from orders where id = $1', [order.id]);
    const cart = cartFixture({ checkout: { ...cartFixture().checkout, shipping_address: null } });
    await expect(saveSnapshot(pool, order.id, { cart, customer: 'cus_x', paymentMethodId: null, saveMethodFor: null, estimatedDelivery: { earliest: '2026-12-07', latest: '2026-12-09' } })).rejects.toThrow(/shipping_address/);
    expect(await sql(stack.dbs.orders.url, 'select snapshot from orders where id = $1', [order.id])).toEqual([before]);
  }, 90_000);
});
