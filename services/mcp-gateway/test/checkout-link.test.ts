import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { submitPageForm } from '@shop/kit/testing';
import { connectClient, errorText, ok, startTestStack, type TestStack } from './support/stack.js';

const PEGASUS = 'Pegasus 41 Road Running Shoe';
const address = { name: 'Ada Lovelace', line1: '1 Market St', city: 'San Francisco', state: 'CA', postal_code: '94105', country: 'US' };

/** Polls a tool until its result satisfies `done` (the order is confirmed by an event, a moment after the payment). */
async function until<T>(fn: () => Promise<T>, done: (v: T) => boolean, timeoutMs = 20_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn();
    if (done(v) || Date.now() > deadline) return v;
    await new Promise((r) => setTimeout(r, 100));
  }
}

describe('paying through the external checkout link', () => {
  let stack: TestStack;
  beforeAll(async () => {
    stack = await startTestStack();
  });
  afterAll(async () => {
    await stack?.stop();
  });

  it('create_checkout_link places a pending order; approving the link confirms it', async () => {
    const shopper = await connectClient(stack.mcpUrl, { 'openai/session': 'conv-link-1', 'openai/subject': 'shopper-link' });
    const found = ok(await shopper.call('search_products', { query: 'running shoes', max_price: 100 }));
    const pegasus = found.items.find((p: any) => p.name === PEGASUS);
    ok(await shopper.call('add_to_cart', { product_id: pegasus.id, size: '10', color: 'Black' }));

    // Without an address the order cannot be placed, so there is no link to pay either.
    expect(errorText(await shopper.call('create_checkout_link'))).toContain('Add a shipping address first');

    // No saved payment method chosen: the link's page is where the shopper pays.
    const checkout = ok(await shopper.call('update_checkout', { shipping_address: address, shipping_method: 'standard', billing_same_as_shipping: true, accept_terms: true }));
    expect(checkout.cart.checkout.missing_steps).toEqual(['payment_method']);

    const linked = await shopper.call('create_checkout_link');
    const result = ok(linked);
    expect(result.kind).toBe('checkout');
    const link = result.checkout_link;
    const checkoutId = new URL(link.url).pathname.split('/').at(-1)!;
    expect(checkoutId).toMatch(/^cs_demo_[0-9a-f]{32}$/);
    const text = (linked.content as Array<{ text: string }>).map((c) => c.text).join('\n');
    const number = /ORD-\d{4}-\d{5,}/.exec(text)?.[0];
    expect(number).toBeDefined();
    expect(link.order_number).toBe(number);
    expect(text).toContain(link.url);

    // Asking again for the unchanged cart gives the same link.
    expect(ok(await shopper.call('create_checkout_link')).checkout_link.url).toBe(link.url);

    const pending = ok(await shopper.call('get_order_status', { order_id: number }));
    expect(pending.order).toMatchObject({ number, status: 'pending', total: result.cart.totals.total, payment: { status: 'awaiting_payment' } });

    // The shopper presses Approve on the payment page.
    const page = await submitPageForm(`${stack.serviceUrls.payments}/v1/demo/checkout/${checkoutId}`, '/approve');
    expect(page.status).toBe(200);
    expect(await page.text()).toContain('was paid');

    const status = await until(
      async () => ok(await shopper.call('get_order_status', { order_id: number })),
      (s) => s.order.status === 'confirmed',
    );
    expect(status.order).toMatchObject({ number, status: 'confirmed', payment: { status: 'captured' } });
    expect(status.order.timeline.map((t: any) => t.status)).toEqual(['pending', 'confirmed']);

    // The conversation's cart became the order: the next cart is empty.
    expect(ok(await shopper.call('view_cart')).cart.lines).toEqual([]);
    await shopper.close();
  });
});
