import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync } from 'node:fs';
import os from 'node:os';
import { randomBytes } from 'node:crypto';
import path from 'node:path';
import { cartApi, ordersApi, TERMS_VERSION, type Caller } from '@shop/contracts';
import { addBusinessDays } from '../src/domain/delivery.js';
import { pickVariant, readyCart, startStack, type Stack } from './stack.js';

const mailDir = mkdtempSync(path.join(os.tmpdir(), 'orders-notify-mail-'));
let stack: Stack;
let n = 0;
const run = randomBytes(4).toString('hex');
const shopper = (): Caller => ({ subject: `notify-${run}-${++n}`, conversation: `conv-${run}-${n}` });
const LONG = { timeoutMs: 60_000 };
const instructions = 'Leave it by the back door <script>alert("x")</script> & ring twice';

beforeAll(async () => {
  stack = await startStack('orders_notify', { MAIL_DIR: mailDir, TRACKING_BASE_URL: 'https://track.test' });
});
afterAll(async () => {
  await stack?.stop();
});

/** A placed, confirmed order whose checkout carried a preferred date and instructions. */
async function placeWithPreferences(caller: Caller, skip: number) {
  const item = await pickVariant(stack, skip);
  const cart = await readyCart(stack, caller, item, 1);
  // Six business days out: past standard shipping's earliest day (5) and always a weekday.
  const preferred = addBusinessDays(new Date(), 6).toISOString().slice(0, 10);
  const updated = await stack.bus.call(cartApi.updateCheckout, { cart_id: cart.id, caller, preferred_delivery_date: preferred, delivery_instructions: instructions });
  expect(updated.checkout).toMatchObject({ preferred_delivery_date: preferred, delivery_instructions: instructions, terms_version: TERMS_VERSION });
  const order = await stack.bus.call(ordersApi.place, { cart_id: cart.id, caller, idempotency_key: `place-${cart.id}` }, LONG);
  expect(order.status).toBe('confirmed');
  return { order, preferred };
}

describe('checkout details snapshotted at placement', () => {
  it('keeps the preferred delivery date, the instructions as written and the accepted terms version', async () => {
    const caller = shopper();
    const { order, preferred } = await placeWithPreferences(caller, 0);
    expect(order).toMatchObject({ preferred_delivery_date: preferred, delivery_instructions: instructions, terms_version: TERMS_VERSION });
    // The estimate stays the shipping method's window; the preferred date sits beside it.
    expect(order.estimated_delivery.earliest < order.estimated_delivery.latest).toBe(true);
    const got = await stack.bus.call(ordersApi.get, { order_id: order.number, caller });
    expect(got).toMatchObject({ preferred_delivery_date: preferred, delivery_instructions: instructions, terms_version: TERMS_VERSION });

    // A checkout without preferences snapshots nulls.
    const other = shopper();
    const item = await pickVariant(stack, 1);
    const plain = await readyCart(stack, other, item, 1);
    const second = await stack.bus.call(ordersApi.place, { cart_id: plain.id, caller: other, idempotency_key: `place-${plain.id}` }, LONG);
    expect(second).toMatchObject({ preferred_delivery_date: null, delivery_instructions: null, terms_version: TERMS_VERSION });
  });
});
