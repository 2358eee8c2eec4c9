import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { adminHeaders } from '@shop/kit/testing';
import { connectClient, errorText, ok, startTestStack, type TestStack } from './support/stack.js';

const address = { name: 'Ada Lovelace', line1: '1 Market St', city: 'San Francisco', state: 'CA', postal_code: '94105', country: 'US' };
const mailDir = mkdtempSync(path.join(os.tmpdir(), 'gw-refund-mail-'));

/** A return through the MCP client, against the real catalog, cart, payments and orders services. */
describe('refund_order', () => {
  let stack: TestStack;
  const meta = { 'openai/session': 'conv-refund-1', 'openai/subject': 'shopper-refund' };
  beforeAll(async () => {
    stack = await startTestStack({ serviceEnv: { orders: { MAIL_DIR: mailDir } } });
  });
  afterAll(async () => {
    await stack?.stop();
  });

  const fulfil = async (orderId: string, step: 'ship' | 'deliver') => fetch(`${stack.serviceUrls.orders}/v1/orders/${orderId}/${step}`, { method: 'POST', headers: adminHeaders });

  it('refunds a delivered order: refunded, e-mailed, and shipping it afterwards is refused', async () => {
    const c = await connectClient(stack.mcpUrl, meta);
    const found = ok(await c.call('search_products', { query: 'shoe' }));
    const product = found.items.find((p: any) => p.in_stock !== false) ?? found.items[0];
    const detail = ok(await c.call('get_product_details', { product_id: product.id }));
    const variant = detail.product.variants?.find((v: any) => v.available > 0);
    ok(await c.call('add_to_cart', { product_id: product.id, ...(variant?.size ? { size: variant.size } : {}), ...(variant?.color ? { color: variant.color } : {}) }));
    ok(await c.call('update_checkout', { shipping_address: address, shipping_method: 'standard', billing_same_as_shipping: true, payment_method_id: 'pm_card_visa', accept_terms: true }));
    const placed = ok(await c.call('place_order', { payment_method_id: 'pm_card_visa' }));
    expect(placed.order.status).toBe('confirmed');
    const number: string = placed.order.number;

    // Not shipped yet: the tool sends the shopper to cancel_order instead.
    const early = await c.call('refund_order', { order_id: number.toLowerCase() });
    expect(early.isError).toBe(true);
    expect(errorText(early)).toContain('cancel it instead');

    expect((await fulfil(placed.order.id, 'ship')).status).toBe(200);
    expect((await fulfil(placed.order.id, 'deliver')).status).toBe(200);

    const refunded = ok(await c.call('refund_order', { order_id: number, reason: 'Too small' }));
    expect(refunded.kind).toBe('order');
    expect(refunded.order).toMatchObject({ status: 'refunded', reason: 'Too small', payment: { status: 'refunded' } });

    const mail = path.join(mailDir, `${number}-refunded.eml`);
    const deadline = Date.now() + 15_000;
    while (!existsSync(mail) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
    expect(readFileSync(mail, 'utf8')).toContain(`Your order ${number} has been refunded`);

    const ship = await fulfil(placed.order.id, 'ship');
    expect(ship.status).toBe(409);
    expect((await ship.json()).error).toMatchObject({ code: 'INVALID_TRANSITION' });

    // Someone else's order does not exist for them.
    const stranger = await connectClient(stack.mcpUrl, { 'openai/session': 'conv-refund-2', 'openai/subject': 'someone-else' });
    const theirs = await stranger.call('refund_order', { order_id: number });
    expect(theirs.isError).toBe(true);
    expect(errorText(theirs)).toContain(`No order ${number}`);
    await c.close();
    await stranger.close();
  });
});
