import pg from 'pg';
import { expect } from 'vitest';
import { AppError, cartApi, catalogApi, type Caller, type Cart } from '@shop/contracts';
import { TEST_SECRETS, type BusClient } from '@shop/kit';
import { CsrfTokens } from '@shop/payments';
import { adminHeaders, freshDatabase, freshPrefix, submitPageForm, testEnv } from '@shop/kit/testing';
import type { ServiceRuntime } from '@shop/kit';

type Started = { stop: () => Promise<void>; httpUrl: string; runtime: ServiceRuntime };
type Starter = { start: (env: Record<string, string>) => Promise<Started> };

/** The four services, started in-process with one subject prefix and a fresh database each. */
export async function startStack(label: string, ordersExtra: Record<string, string> = {}, opts: { withOrders?: boolean } = {}) {
  const prefix = freshPrefix();
  const dbs = {
    catalog: await freshDatabase(`${label}_catalog`),
    cart: await freshDatabase(`${label}_cart`),
    payments: await freshDatabase(`${label}_payments`),
    orders: await freshDatabase(`${label}_orders`),
  };
  const [catalogMod, cartMod, paymentsMod, ordersMod] = (await Promise.all([
    import('@shop/catalog'),
    import('@shop/cart'),
    import('@shop/payments'),
    import('../src/main.js'),
  ])) as Starter[];
  const catalog = await catalogMod.start(testEnv(dbs.catalog.url, prefix));
  const cart = await cartMod.start(testEnv(dbs.cart.url, prefix));
  const payments = await paymentsMod.start(testEnv(dbs.payments.url, prefix));
  const orders = opts.withOrders === false ? undefined : await ordersMod.start(testEnv(dbs.orders.url, prefix, ordersExtra));
  const bus = (orders ?? cart).runtime.bus;
  return {
    prefix,
    dbs,
    catalog,
    cart,
    payments,
    orders,
    bus,
    async stop() {
      await Promise.allSettled([orders?.stop(), payments.stop(), cart.stop(), catalog.stop()]);
      await Promise.allSettled(Object.values(dbs).map((d) => d.drop()));
    },
  };
}
export type Stack = Awaited<ReturnType<typeof startStack>>;

export const address = { name: 'Ada Lovelace', line1: '1 Main St', city: 'Springfield', state: 'IL', postal_code: '62701', country: 'US' };

/** An in-stock product variant from the seeded catalog. */
export async function pickVariant(stack: Stack, skip = 0): Promise<{ product_id: string; variant_id: string; name: string; price: number }> {
  const found = await stack.bus.call(catalogApi.search, { in_stock_only: true, per_page: 20 });
  const product = found.items[skip];
  const detail = await stack.bus.call(catalogApi.get, { product_id: product.id });
  const variant = detail.variants.find((v) => v.available > 0)!;
  return { product_id: product.id, variant_id: variant.id, name: product.name, price: variant.price };
}

/** A shopper with a ready-to-place cart holding `quantity` of the variant. */
export async function readyCart(stack: Stack, caller: Caller, item: { product_id: string; variant_id: string }, quantity = 1, paymentMethod = 'pm_card_visa'): Promise<Cart> {
  const cart = await stack.bus.call(cartApi.resolve, { caller });
  await stack.bus.call(cartApi.addLine, { cart_id: cart.id, caller, product_id: item.product_id, variant_id: item.variant_id, quantity });
  return stack.bus.call(cartApi.updateCheckout, {
    cart_id: cart.id,
    caller,
    shipping_address: address,
    shipping_method: 'standard',
    billing_same_as_shipping: true,
    payment_method_id: paymentMethod,
    accept_terms: true,
  });
}

export async function setStock(stack: Stack, variantId: string, stock: number): Promise<void> {
  const res = await fetch(`${stack.catalog.httpUrl}/v1/admin/variants/${variantId}`, { method: 'PATCH', headers: { ...adminHeaders, 'content-type': 'application/json' }, body: JSON.stringify({ stock }) });
  if (!res.ok) throw new Error(`set stock failed: ${res.status} ${await res.text()}`);
}

export async function availableOf(stack: Stack, variantId: string): Promise<{ available: number; stock: number }> {
  // Through the catalog's own connection: a test may have stopped and restarted orders.
  const bus = stack.catalog.runtime.bus;
  const { variants } = await bus.call(catalogApi.lookupVariants, { variant_ids: [variantId] });
  const detail = await bus.call(catalogApi.get, { product_id: variants[0].product_id });
  const v = detail.variants.find((x) => x.id === variantId)!;
  return { available: v.available, stock: v.stock };
}

export async function until<T>(fn: () => Promise<T | undefined>, timeoutMs = 20_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await fn().catch((e) => (e instanceof AppError ? undefined : Promise.reject(e)));
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** One query on a service's database, with a connection of its own. */
export async function sql<T extends pg.QueryResultRow>(url: string, text: string, params: unknown[] = []): Promise<T[]> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return (await client.query<T>(text, params)).rows;
  } finally {
    await client.end();
  }
}

/**
 * What the shopper does on the demo checkout page: load it and press the button (the form posts
 * with the page's CSRF token). A closed link's page has no buttons any more: then the press is
 * from a tab opened while it was open, carrying the token that page had.
 */
export async function pressDemoCheckout(stack: Stack, link: { id: string }, button: 'approve' | 'cancel'): Promise<Response> {
  const pageUrl = `${stack.payments.httpUrl}/v1/demo/checkout/${link.id}`;
  const html = await (await fetch(pageUrl)).text();
  if (html.includes(`/${button}"`)) return submitPageForm(pageUrl, `/${button}`);
  const csrf = new CsrfTokens(Buffer.from(TEST_SECRETS.csrfSecret)).token('checkout', link.id);
  return fetch(`${pageUrl}/${button}`, { method: 'POST', headers: { origin: new URL(pageUrl).origin, 'content-type': 'application/x-www-form-urlencoded' }, body: new URLSearchParams({ csrf }) });
}

/**
 * A cart ready for checkout but with no payment method: a link's page is where the shopper pays,
 * or a method is passed to place. `bus` is the connection the calls go through.
 */
export async function linkReadyCart(stack: Stack, bus: BusClient, caller: Caller, quantity: number, skip: number, stock?: number) {
  const item = await pickVariant(stack, skip);
  if (stock !== undefined) await setStock(stack, item.variant_id, stock);
  const created = await bus.call(cartApi.resolve, { caller });
  await bus.call(cartApi.addLine, { cart_id: created.id, caller, product_id: item.product_id, variant_id: item.variant_id, quantity });
  const cart = await bus.call(cartApi.updateCheckout, {
    cart_id: created.id,
    caller,
    shipping_address: address,
    shipping_method: 'standard',
    billing_same_as_shipping: true,
    accept_terms: true,
  });
  expect(cart.checkout.missing_steps).toEqual(['payment_method']);
  return { cart, item };
}
