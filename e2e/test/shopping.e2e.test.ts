import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readdirSync, readFileSync, existsSync } from 'node:fs';
import path from 'node:path';
import { Shopper } from '../src/shopper.js';
import { e2eStack, type E2EStack } from '../src/stack.js';
import { expectedTotals } from '../src/pricing.js';

const address = { name: 'Ada Lovelace', line1: '500 Howard St', city: 'San Francisco', state: 'CA', postal_code: '94105', country: 'US', phone: '+1 415 555 0100' };

let sut: E2EStack;
beforeAll(async () => {
  sut = await e2eStack();
}, 180_000);
afterAll(async () => {
  await sut?.stop();
});

async function findProduct(shopper: Shopper, query: string, name: string) {
  const found = await shopper.ok('search_products', { query, in_stock_only: true, per_page: 50 });
  const item = found.data.items.find((p: any) => p.name === name);
  if (!item) throw new Error(`"${name}" not found searching "${query}": ${found.data.items.map((p: any) => p.name).join(', ')}`);
  return item;
}

describe('a whole shopping conversation through the MCP gateway', () => {
  // One conversation, told in order: each step starts from where the one before left it.
  let ada: Shopper;
  let nextTurn: Shopper;
  let pegasus: any;
  let cartId: string;
  let order: any;
  const lines = [{ unit: 8999, qty: 1 }, { unit: 999, qty: 2 }];
  const preferred = new Date(Date.now() + 10 * 86_400_000).toISOString().slice(0, 10);
  const instructions = 'Leave it with the <b>concierge</b> & ring twice';
  afterAll(async () => {
    await ada?.close();
    await nextTurn?.close();
  });

  it('"show me running shoes under $100" finds them, and one of them in size 10', async () => {
    ada = await new Shopper(sut.mcpUrl, { name: 'ada' }).connect();
    const search = await ada.ok('search_products', { query: 'running shoes', max_price: 100 });
    expect(search.data.kind).toBe('product_list');
    expect(search.data.filters.max_price).toBe(10000);
    expect(search.data.items.length).toBeGreaterThan(0);
    for (const item of search.data.items) expect(item.price).toBeLessThanOrEqual(10000);
    pegasus = search.data.items.find((p: any) => p.name === 'Pegasus 41 Road Running Shoe');
    expect(pegasus).toMatchObject({ price: 8999, price_formatted: '$89.99' });
    expect(search.text).toMatch(/running shoes/i);

    const details = await ada.ok('get_product_details', { product_id: pegasus.id });
    expect(details.data.product.variants.some((v: any) => v.size === '10' && v.available > 0)).toBe(true);
  });

  it('adds the pair; the cart id travels in structuredContent, not in widgetSessionId', async () => {
    const added = await ada.ok('add_to_cart', { product_id: pegasus.id, size: '10', color: 'Black', quantity: 1 });
    cartId = added.data.cart_id;
    expect(cartId).toMatch(/^[0-9a-f]{32}$/);
    // session_id: the cart id's deprecated alias; widgetSessionId is the host's, not set by the gateway.
    expect(added.data.session_id).toBe(cartId);
    expect(added.meta?.['openai/widgetSessionId']).toBeUndefined();
    expect(added.data.cart.lines).toHaveLength(1);
    expect(added.data.cart.lines[0]).toMatchObject({ size: '10', color: 'Black', quantity: 1, unit_price: 8999 });
  });

  it('the next turn, on a new connection of the same conversation, has the cart and adds to it', async () => {
    // "show me more products": the host opens a new connection for the same conversation.
    nextTurn = await ada.sameConversation().connect();
    const seen = await nextTurn.ok('view_cart');
    expect(seen.data.session_id).toBe(cartId);
    expect(seen.data.cart.lines.map((l: any) => l.name)).toEqual(['Pegasus 41 Road Running Shoe']);

    const mug = await findProduct(nextTurn, 'coffee mug', 'Classic Ceramic Coffee Mug');
    const withMug = await nextTurn.ok('add_to_cart', { product_id: mug.id, quantity: 1 });
    const mugLine = withMug.data.cart.lines.find((l: any) => l.product_id === mug.id);
    const updated = await nextTurn.ok('update_cart_item', { item_id: mugLine.id, quantity: 2 });
    expect(updated.data.cart.lines.find((l: any) => l.id === mugLine.id).quantity).toBe(2);
  });

  it('a coupon typed in lower case applies, at the totals the pricing rules give', async () => {
    const couponed = await nextTurn.ok('apply_coupon', { code: 'welcome10' });
    const standard = expectedTotals(lines, { percentOff: 10 });
    expect(couponed.data.cart.totals).toMatchObject({ subtotal: standard.subtotal, discount: standard.discount, shipping: standard.shipping, tax: standard.tax, total: standard.total });
    expect(couponed.data.cart.coupon.code).toBe('WELCOME10');
  });

  it('checks out in steps: address, express, delivery preferences, a saved card, the terms', async () => {
    const started = await nextTurn.ok('start_checkout');
    expect(started.data.kind).toBe('checkout');
    expect(started.data.cart.checkout.missing_steps).toContain('shipping_address');

    await nextTurn.ok('update_checkout', { shipping_address: address, shipping_method: 'express', billing_same_as_shipping: true, preferred_delivery_date: preferred, delivery_instructions: instructions });
    const methods = await nextTurn.ok('list_payment_methods');
    const visa = methods.data.payment_methods.find((m: any) => m.last4 === '4242');
    expect(visa).toBeTruthy();
    const ready = await nextTurn.ok('update_checkout', { payment_method_id: visa.id, accept_terms: true });
    expect(ready.data.cart.checkout.ready).toBe(true);
    expect(ready.data.cart.totals.total).toBe(expectedTotals(lines, { percentOff: 10, method: 'express' }).total);
  });

  it('pays: the order is confirmed at those totals, with the delivery preferences and the terms version', async () => {
    const express = expectedTotals(lines, { percentOff: 10, method: 'express' });
    const placed = await nextTurn.ok('place_order', {});
    order = placed.data.order;
    expect(order.status).toBe('confirmed');
    expect(order.number).toMatch(/^ORD-\d{4}-\d{5,}$/);
    expect({ subtotal: order.subtotal, discount: order.discount, shipping: order.shipping, tax: order.tax, total: order.total }).toEqual(express);
    expect(order.payment).toMatchObject({ brand: expect.stringMatching(/visa/i), last4: '4242' });
    expect(order).toMatchObject({ preferred_delivery_date: preferred, delivery_instructions: instructions, terms_version: expect.stringMatching(/^\d{4}-\d{2}-\d{2}$/) });
    expect(placed.data.policies?.returns).toMatch(/\/policies\/returns$/);
  });

  it('a repeated place_order for the same checkout answers with the same order and charges nothing more', async () => {
    const again = await nextTurn.ok('place_order', {});
    expect(again.data.order.id).toBe(order.id);
  });

  it('tracks the order, lists it, and starts the conversation on a fresh, empty cart', async () => {
    const status = await ada.ok('get_order_status', { order_id: order.number });
    expect(status.data.order).toMatchObject({ id: order.id, status: 'confirmed' });
    expect(status.data.order.estimated_delivery.earliest).toMatch(/^\d{4}-\d{2}-\d{2}$/);

    const history = await ada.ok('list_orders', {});
    expect(history.data.items.map((o: any) => o.number)).toContain(order.number);

    // The placed cart is converted; the conversation gets a fresh, empty cart.
    const fresh = await ada.ok('view_cart');
    expect(fresh.data.session_id).not.toBe(cartId);
    expect(fresh.data.cart.lines).toHaveLength(0);
  });

  it('reorders the same items into a cart', async () => {
    const reordered = await ada.ok('reorder', { order_id: order.number });
    expect(reordered.data.cart.lines.map((l: any) => [l.name, l.quantity]).sort()).toEqual([
      ['Classic Ceramic Coffee Mug', 2],
      ['Pegasus 41 Road Running Shoe', 1],
    ]);
  });

  it('cancels the order, refunds the payment, and mails the confirmation and the cancellation', async () => {
    const cancelled = await ada.ok('cancel_order', { order_id: order.id, reason: 'Changed my mind' });
    expect(cancelled.data.order.status).toBe('cancelled');
    expect(cancelled.data.order.payment.status).toMatch(/refunded/);

    if (sut.mailDir && existsSync(sut.mailDir)) {
      // Emails follow the order's events asynchronously (outbox → JetStream → notifier).
      const mailsFor = () => readdirSync(sut.mailDir!).filter((f) => f.startsWith(order.number) && f.endsWith('.eml')).sort();
      for (let i = 0; i < 100 && mailsFor().length < 2; i++) await new Promise((r) => setTimeout(r, 100));
      const mails = mailsFor();
      expect(mails).toEqual([`${order.number}-cancelled.eml`, `${order.number}-confirmed.eml`]);
      const confirmation = readFileSync(path.join(sut.mailDir, `${order.number}-confirmed.eml`), 'utf8');
      expect(confirmation).toContain('&lt;b&gt;concierge&lt;/b&gt;');
    }
  });

  it("answers \"what's your return policy?\" in the store's own words", async () => {
    const policy = await ada.ok('get_store_policies', { topic: 'returns' });
    expect(policy.data.kind).toBe('policy');
    expect(policy.text).toMatch(/30 days/);
  });

  it('keeps two shoppers in parallel apart', async () => {
    const [bob, cleo] = await Promise.all([new Shopper(sut.mcpUrl, { name: 'bob' }).connect(), new Shopper(sut.mcpUrl, { name: 'cleo' }).connect()]);
    const mug = await findProduct(bob, 'coffee mug', 'Classic Ceramic Coffee Mug');
    const [bobCart, cleoCart] = await Promise.all([
      bob.ok('add_to_cart', { product_id: mug.id, quantity: 3 }),
      cleo.ok('add_to_cart', { product_id: mug.id, quantity: 1 }),
    ]);
    expect(bobCart.data.session_id).not.toBe(cleoCart.data.session_id);
    expect((await bob.ok('view_cart')).data.cart.lines[0].quantity).toBe(3);
    expect((await cleo.ok('view_cart')).data.cart.lines[0].quantity).toBe(1);

    // Both are guests (openai/subject identifies nobody): each conversation keeps its own cart, and a
    // cart id nobody was handed finds nothing. (A guest cart's id is its capability, docs/DECISIONS.md;
    // an account's cart refused to another account is e2e'd in the gateway's two-accounts test.)
    expect(await cleo.refused('view_cart', { cart_id: 'f'.repeat(32) })).toMatch(/does not exist/);
    await cleo.refused('add_to_cart', { product_id: mug.id, cart_id: 'f'.repeat(32) });
    expect((await cleo.ok('view_cart')).data.cart.id).toBe(cleoCart.data.cart_id);
    expect((await bob.ok('view_cart')).data.cart.lines[0].quantity).toBe(3);

    // Bob checks out; Cleo cannot see his order.
    await bob.ok('update_checkout', { shipping_address: address, shipping_method: 'standard', billing_same_as_shipping: true, payment_method_id: 'pm_card_visa', accept_terms: true });
    const placed = await bob.ok('place_order', {});
    expect((await cleo.ok('list_orders', {})).data.items).toHaveLength(0);
    await cleo.refused('get_order_status', { order_id: placed.data.order.number });
    await cleo.refused('cancel_order', { order_id: placed.data.order.id });
    await bob.close();
    await cleo.close();
  });
});

describe('what a shopper is told when something is wrong', () => {
  it('gets a message it can act on, word for word', async () => {
    const dan = await new Shopper(sut.mcpUrl, { name: 'dan' }).connect();
    expect(await dan.refused('start_checkout')).toMatch(/Your cart is empty/);

    const mug = await findProduct(dan, 'coffee mug', 'Classic Ceramic Coffee Mug');
    const trail = (await dan.ok('search_products', { query: 'trailblazer', in_stock_only: false })).data.items.find((p: any) => p.name === 'Trailblazer Limited Trail Shoe');
    await dan.ok('add_to_cart', { product_id: mug.id, quantity: 1 });
    expect(await dan.refused('place_order', { payment_method_id: 'pm_card_visa' })).toBe(
      'Add a shipping address first. Still to do: choose a shipping method, add a billing address, accept the terms and conditions',
    );
    expect(await dan.refused('apply_coupon', { code: 'NOPE123' })).toBe('NOPE123 is not a valid coupon code.');
    expect(await dan.refused('apply_coupon', { code: 'EXPIRED20' })).toBe('EXPIRED20 expired on Jan 1, 2025.');
    expect(await dan.refused('apply_coupon', { code: 'SAVE5' })).toBe('SAVE5 needs a subtotal of at least $25.00 (your subtotal is $9.99).');
    expect(await dan.refused('add_to_cart', { product_id: trail.id, size: 'XL' })).toBe('Trailblazer Limited Trail Shoe does not come in size XL. Available sizes: 8, 9, 10, 11, 12.');
    expect(await dan.refused('add_to_cart', { product_id: trail.id })).toBe('Which size (8, 9, 10, 11, 12) of Trailblazer Limited Trail Shoe would you like?');
    expect(await dan.refused('add_to_cart', { product_id: trail.id, size: '10', color: trail.colors[0], quantity: 3 })).toBe('Only 2 left in size 10 of Trailblazer Limited Trail Shoe.');
    expect(await dan.refused('update_checkout', { shipping_address: { ...address, postal_code: '9410' } })).toBe(
      'Invalid shipping_address.postal_code: must be a valid US postal code (e.g. 94107 or 94107-1234)',
    );

    await dan.ok('update_checkout', { shipping_address: address, shipping_method: 'standard', billing_same_as_shipping: true, payment_method_id: 'pm_card_chargeDeclined', accept_terms: true });
    expect(await dan.refused('place_order', {})).toBe('Your card was declined. Your cart is unchanged: choose another payment method and try again.');
    await dan.ok('update_checkout', { payment_method_id: 'pm_card_chargeDeclinedInsufficientFunds' });
    expect(await dan.refused('place_order', {})).toBe('Your card has insufficient funds. Your cart is unchanged: choose another payment method and try again.');
    const intact = await dan.ok('view_cart');
    expect(intact.data.cart.status).toBe('active');
    expect(intact.data.cart.lines).toHaveLength(1);

    expect(await dan.refused('get_product_details', { product_id: '00000000-0000-4000-8000-000000000000' })).toBe('That product does not exist.');
    expect(await dan.refused('add_to_cart', { product_id: mug.id, quantity: -1 })).toBe('Invalid quantity: must be at least 1');
    expect(await dan.refused('search_products', { query: 'x'.repeat(10_000) })).toMatch(/^Invalid query: must be at most 200 characters/);
    expect(await dan.refused('search_products', { max_price: -5 })).toMatch(/^Invalid max_price: must not be negative/);
    expect(await dan.refused('update_checkout', { payment_method_id: '4242424242424242' })).toBe(
      'Card details cannot be sent in payment_method_id. Choose a saved payment method or use the secure checkout link instead.',
    );
    await dan.close();
  });
});
