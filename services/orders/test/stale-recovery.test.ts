import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { randomBytes } from 'node:crypto';
import { ordersApi } from '@shop/contracts';
import { testEnv } from '@shop/kit/testing';
import { loadOrdersConfig } from '../src/config.js';
import { SagaRunner } from '../src/app/placement/runner.js';
import { pickVariant, readyCart, sql, startStack, type Stack } from './stack.js';

/**
 * Recovery plans from a list of sagas it read a moment before; under a partition that moment can be
 * long, and the runner it thought gone may have finished the order meanwhile. Seen in the compose
 * fault run: a confirmed order abandoned from the step it had left, refunded, and stuck compensating.
 */
let stack: Stack;
let runner: SagaRunner;

beforeAll(async () => {
  stack = await startStack('orders_stale_recovery');
  const { runtime } = stack.orders!;
  const config = loadOrdersConfig(testEnv(stack.dbs.orders.url, stack.prefix));
  runner = new SagaRunner({ pool: runtime.pool, bus: runtime.bus, relay: runtime.relay, logger: runtime.logger, config, afterStep: () => {} });
});
afterAll(async () => {
  await stack?.stop();
});

async function confirmedOrder() {
  const caller = { subject: `stale-${randomBytes(4).toString('hex')}`, conversation: `conv-${randomBytes(4).toString('hex')}` };
  const cart = await readyCart(stack, caller, await pickVariant(stack, 0), 1);
  const order = await stack.bus.call(ordersApi.place, { cart_id: cart.id, caller, idempotency_key: `stale-${cart.id}` }, { timeoutMs: 60_000 });
  expect(order.status).toBe('confirmed');
  return order;
}

async function stateOf(orderId: string) {
  const [order] = await sql<{ status: string; saga_step: string }>(stack.dbs.orders.url, 'select status, saga_step from orders_with_saga where id = $1', [orderId]);
  const [payment] = await sql<{ status: string; amount_refunded: number }>(stack.dbs.payments.url, 'select status, amount_refunded from payments where order_id = $1', [orderId]);
  const [reservation] = await sql<{ status: string }>(stack.dbs.catalog.url, 'select status from reservations where order_id = $1', [orderId]);
  return { order, payment, reservation: reservation.status };
}

const untouched = { order: { status: 'confirmed', saga_step: 'confirmed' }, payment: { status: 'captured', amount_refunded: 0 }, reservation: 'committed' };

describe('recovery acting on a saga another runner finished meanwhile', () => {
  it('abandoning from the step recovery saw leaves an order that has moved on alone', async () => {
    const order = await confirmedOrder();
    await runner.abandon(order.id, 'reserved');
    expect(await stateOf(order.id)).toEqual(untouched);
  }, 90_000);

  it('compensation never starts for an order that is already placed, whatever step it is asked from', async () => {
    const order = await confirmedOrder();
    await runner.compensate(order.id, ['confirmed'], 'cancelled', 'stale plan');
    expect(await stateOf(order.id)).toEqual(untouched);
  }, 90_000);
});
