import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connectClient, ok, startTestStack, type TestStack } from './support/stack.js';

/** Read-only tools write nothing: a shopper who only looks gets an empty cart and no cart row. */
describe('read-only tools create no rows', () => {
  let stack: TestStack;
  let cartDb: pg.Pool;
  const cartRows = async () => Number((await cartDb.query('select count(*) from carts')).rows[0].count);

  beforeAll(async () => {
    stack = await startTestStack();
    cartDb = new pg.Pool({ connectionString: stack.databaseUrls.cart, max: 1 });
  });
  afterAll(async () => {
    await cartDb?.end();
    await stack?.stop();
  });

  it('view_cart and list_payment_methods with no cart answer the empty cart (no id) and stores nothing, in a session and statelessly', async () => {
    const a = await connectClient(stack.mcpUrl);
    const seen = await a.call('view_cart');
    expect(ok(seen)).toMatchObject({ kind: 'cart', cart_id: null, session_id: null, cart: { id: null, lines: [], version: 0 } });
    expect((seen.content as Array<{ text: string }>)[0].text).toContain('The cart is empty.');
    const conversation = await connectClient(stack.mcpUrl, { 'openai/session': 'conv-read-only' });
    expect(ok(await conversation.call('view_cart')).cart_id).toBeNull();
    for (let i = 0; i < 5; i++) await a.call('view_cart');
    const methods = ok(await a.call('list_payment_methods'));
    expect(methods).toMatchObject({ kind: 'checkout', cart_id: null, cart: { id: null, lines: [] } });
    expect(methods.payment_methods.length).toBeGreaterThan(0);
    expect(await cartRows()).toBe(0);

    // The first write creates the cart; from then on view_cart shows it.
    const product = ok(await a.call('search_products', { query: 'mug' })).items[0];
    const added = ok(await a.call('add_to_cart', { product_id: product.id }));
    expect(added.cart_id).toMatch(/^[0-9a-f]{32}$/);
    const after = ok(await a.call('view_cart'));
    expect(after.cart_id).toBe(added.cart_id);
    expect(after.cart.lines).toHaveLength(1);
    expect(await cartRows()).toBe(1);
    await a.close();
    await conversation.close();
  });
});
