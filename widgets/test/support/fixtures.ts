// Recorded-style tool results (structuredContent) for rendering tests without a running stack.
// Every fixture is parsed with the contracts' ToolResult schema, so it has the agreed shape.
import { ToolResult, type Cart, type CartLine, type ProductSummary } from '@shop/contracts';
import { checkoutFixture } from '@shop/contracts/testing';

const uuid = (n: number) => `00000000-0000-4000-8000-${n.toString().padStart(12, '0')}`;
const CART_ID = 'a3f9c2d18e7b4a6f9c0d1e2f3a4b5c6d';
const AT = '2026-03-02T10:00:00.000Z';
const usd = (cents: number) => `$${Math.floor(cents / 100).toLocaleString('en-US')}.${String(cents % 100).padStart(2, '0')}`;
const image = (slug: string) => `/img/${slug}.svg`;

function summary(n: number, name: string, brand: string, price: number, extra: Partial<ProductSummary> = {}): ProductSummary & { price_formatted: string } {
  return {
    id: uuid(n),
    name,
    brand,
    category: { slug: 'running-shoes', name: 'Running', path: ['Shoes', 'Running'] },
    price,
    price_max: price,
    currency: 'USD',
    rating: 4.4,
    review_count: 128,
    image_url: image(`p${n}`),
    in_stock: true,
    available: 120,
    sizes: ['7', '8', '9', '10', '11', '12', '13'],
    colors: ['Black', 'Blue'],
    tags: ['running'],
    price_formatted: usd(price),
    ...extra,
  };
}

const products = [
  summary(1, 'Pegasus 41 Road Running Shoe', 'Stridewell', 8999),
  summary(2, 'Trailblazer Limited Trail Shoe With An Unusually Long Name For Wrapping', 'Summit & Co', 12999, { available: 2, rating: 4.8, review_count: 57 }),
  summary(3, 'Tempo Lite Racer', 'Stridewell', 7499, { price_max: 7999, colors: ['Red'] }),
  summary(4, 'Cloudstep Daily Trainer', 'Aerofoot', 9499, { in_stock: false, available: 0, rating: 3.9, review_count: 12 }),
  summary(5, 'Classic Ceramic Coffee Mug', 'Hearthware', 999, {
    category: { slug: 'kitchen', name: 'Kitchen', path: ['Home', 'Kitchen'] },
    sizes: [],
    colors: [],
    available: 500,
  }),
  summary(6, 'Marathon Pro Carbon', 'Aerofoot', 19999, { rating: 4.9, review_count: 301 }),
];

export const productList = {
  kind: 'product_list',
  query: 'running shoes',
  filters: { in_stock_only: true, sort_by: 'relevance' },
  items: products,
  page_info: { page: 1, per_page: 6, total: 14, total_pages: 3, has_more: true },
  facets: {
    categories: [{ value: 'running-shoes', label: 'Running', count: 13 }],
    brands: [
      { value: 'Stridewell', label: 'Stridewell', count: 6 },
      { value: 'Aerofoot', label: 'Aerofoot', count: 5 },
      { value: 'Summit & Co', label: 'Summit & Co', count: 3 },
    ],
    sizes: ['7', '8', '9', '10', '11', '12', '13'].map((s) => ({ value: s, label: s, count: 10 })),
    colors: ['Black', 'Blue', 'Red'].map((c) => ({ value: c, label: c, count: 5 })),
    price: { min: 999, max: 19999 },
  },
};

const pegasusVariants = ['7', '8', '9', '10', '11', '12', '13'].flatMap((size, i) =>
  ['Black', 'Blue'].map((color, j) => {
    const available = size === '12' && color === 'Blue' ? 0 : 50 + i;
    return { id: uuid(1000 + i * 2 + j), sku: `PEG41-${color[0]}-${size}`, size, color, price: 8999, stock: available, available, in_stock: available > 0 };
  }),
);

export const productDetail = {
  kind: 'product_detail',
  product: {
    ...products[0],
    description: 'A responsive daily trainer with a breathable mesh upper and a cushioned midsole for road miles.',
    active: true,
    variants: pegasusVariants,
    related: products.slice(1, 5).map(({ price_formatted: _omit, ...p }) => p),
    created_at: AT,
    updated_at: AT,
  },
};

function line(n: number, p: (typeof products)[number], quantity: number, size: string | null, color: string | null): CartLine {
  return { id: uuid(2000 + n), product_id: p.id, variant_id: uuid(3000 + n), name: p.name, brand: p.brand, size, color, image_url: p.image_url, unit_price: p.price, quantity, line_subtotal: p.price * quantity, available: 40 };
}

const emptyCheckout = checkoutFixture();

// Totals by the pricing rules: 8999 + 3 × 999 = 11996; free standard shipping (≥ $50);
// tax round_half_up(11996 × 8.75 %) = 1050; total 13046.
const lines = [line(1, products[0], 1, '10', 'Black'), line(2, products[4], 3, null, null)];
const cart: Cart = {
  id: CART_ID,
  status: 'active',
  owner_subject: null,
  conversation: 'conv-fixture',
  currency: 'USD',
  lines,
  coupon: null,
  totals: { subtotal: 11996, discount: 0, shipping: 0, shipping_method: 'standard', shipping_is_estimate: true, tax: 1050, total: 13046, item_count: 4, currency: 'USD' },
  // As the cart service prices them (standard is free from $50 of goods).
  shipping_options: [
    { method: 'standard', label: 'Standard (5–7 business days)', price: 0, estimate: { earliest: '2026-03-09', latest: '2026-03-11' } },
    { method: 'express', label: 'Express (2–3 business days)', price: 1299, estimate: { earliest: '2026-03-04', latest: '2026-03-05' } },
  ],
  messages: [{ type: 'price_changed', line_id: lines[1].id, message: 'The price of Classic Ceramic Coffee Mug changed from $10.99 to $9.99.', old_price: 1099, new_price: 999 }],
  checkout: emptyCheckout,
  version: 7,
  created_at: AT,
  updated_at: AT,
};
const formatted = (c: Cart) => ({ subtotal: usd(c.totals.subtotal), discount: usd(c.totals.discount), shipping: usd(c.totals.shipping), tax: usd(c.totals.tax), total: usd(c.totals.total) });

export const cartResult = { kind: 'cart', cart_id: CART_ID, session_id: CART_ID, cart, signed_in: false, formatted: formatted(cart), last_added_line_id: lines[0].id, notice: 'Added Pegasus 41 Road Running Shoe (size 10, Black).' };

const emptyCart: Cart = { ...cart, lines: [], messages: [], totals: { ...cart.totals, subtotal: 0, tax: 0, total: 0, shipping: 599, item_count: 0 } };
export const emptyCartResult = { kind: 'cart', cart_id: CART_ID, session_id: CART_ID, cart: emptyCart, signed_in: false, formatted: formatted(emptyCart) };

const policies = {
  terms: 'https://shop.example.test/policies/terms',
  privacy: 'https://shop.example.test/policies/privacy',
  returns: 'https://shop.example.test/policies/returns',
  shipping: 'https://shop.example.test/policies/shipping',
};

/** Text a shopper typed, with markup in it: every widget must show it as text. */
export const markupInstructions = '<script>window.__injected = true</script><b>Ring twice</b> & leave it by the back door';

export const checkoutResult = {
  kind: 'checkout',
  cart_id: CART_ID,
  session_id: CART_ID,
  cart: { ...cart, messages: [], checkout: { ...emptyCheckout, started: true } },
  // A signed-in shopper (the account's token), so saving the payment method is offered.
  signed_in: true,
  formatted: formatted(cart),
  payment_methods: [
    { id: 'pm_card_visa', brand: 'visa', last4: '4242', label: 'Visa ending 4242', is_default: true, saved: true },
    { id: 'pm_card_mastercard', brand: 'mastercard', last4: '4444', label: 'Mastercard ending 4444', is_default: false, saved: false },
  ],
  checkout_link: null,
  policies,
};

const address = { name: 'Ada Lovelace', line1: '1 Market St', city: 'San Francisco', state: 'CA', postal_code: '94105', country: 'US' };

export const reviewResult = {
  ...checkoutResult,
  cart: {
    ...checkoutResult.cart,
    checkout: {
      ...emptyCheckout,
      started: true,
      shipping_address: address,
      shipping_method: 'standard',
      payment_method_id: 'pm_card_visa',
      completed_steps: ['shipping_address', 'shipping_method', 'billing_address', 'payment_method'],
      missing_steps: ['terms'],
      preferred_delivery_date: '2026-03-10',
      delivery_instructions: markupInstructions,
      terms_version: null,
      save_payment_method: false,
    },
  },
};

/** After "Pay with a secure checkout link": the terms accepted, the pending order's link open. */
export const linkResult = {
  ...reviewResult,
  cart: {
    ...reviewResult.cart,
    checkout: {
      ...reviewResult.cart.checkout,
      terms_accepted: true,
      terms_version: '2026-11-01',
      completed_steps: [...reviewResult.cart.checkout.completed_steps, 'terms'],
      missing_steps: [],
      ready: true,
    },
  },
  checkout_link: { url: 'https://checkout.example.test/c/cs_test_a1B2c3D4e5F6g7H8i9J0k1L2m3N4o5P6q7R8s9T0', expires_at: '2026-03-02T11:00:00.000Z', order_number: 'ORD-2026-00043' },
};
/** create_checkout_link's text beside linkResult, as the gateway words it. */
export const linkNotice = 'Order ORD-2026-00043 is reserved and will be confirmed once it is paid through the link (open until 2026-03-02T11:00:00.000Z).';

export const orderResult = {
  kind: 'order',
  order: {
    id: uuid(4000),
    number: 'ORD-2026-00042',
    status: 'confirmed',
    cart_id: CART_ID,
    owner_subject: null,
    conversation: 'conv-fixture',
    lines: lines.map(({ id: _id, available: _a, ...l }) => l),
    coupon: null,
    subtotal: 11996,
    discount: 0,
    shipping: 0,
    tax: 1050,
    total: 13046,
    currency: 'USD',
    item_count: 4,
    shipping_method: 'standard',
    shipping_address: address,
    billing_address: address,
    estimated_delivery: { earliest: '2026-03-09', latest: '2026-03-11' },
    payment: { status: 'captured', brand: 'visa', last4: '4242' },
    tracking: null,
    timeline: [
      { status: 'pending', at: AT, actor: 'shopper', reason: null },
      { status: 'confirmed', at: '2026-03-02T10:00:02.000Z', actor: 'system', reason: null },
    ],
    reason: null,
    preferred_delivery_date: '2026-03-10',
    delivery_instructions: markupInstructions,
    terms_version: '2026-11-01',
    created_at: AT,
    updated_at: AT,
  },
  formatted: formatted(cart),
  policies,
};

export const orderListResult = {
  kind: 'order_list',
  items: [
    { id: uuid(4000), number: 'ORD-2026-00042', status: 'confirmed', total: 13046, currency: 'USD', item_count: 4, created_at: AT, estimated_delivery: { earliest: '2026-03-09', latest: '2026-03-11' }, first_item_name: 'Pegasus 41 Road Running Shoe', total_formatted: '$130.46' },
    { id: uuid(4001), number: 'ORD-2026-00017', status: 'delivered', total: 3858, currency: 'USD', item_count: 3, created_at: '2026-02-11T09:30:00.000Z', estimated_delivery: { earliest: '2026-02-18', latest: '2026-02-20' }, first_item_name: 'Classic Ceramic Coffee Mug', total_formatted: '$38.58' },
  ],
  page_info: { page: 1, per_page: 20, total: 2, total_pages: 1, has_more: false },
};

/**
 * A checkout whose shipping estimates count from `today` the way the cart service does
 * (standard 5, express 2 business days), for the preferred-date window.
 */
export function checkoutFrom(today: string) {
  const businessDays = (n: number) => {
    const d = new Date(`${today}T00:00:00Z`);
    while (n > 0) {
      d.setUTCDate(d.getUTCDate() + 1);
      if (d.getUTCDay() !== 0 && d.getUTCDay() !== 6) n--;
    }
    return d.toISOString().slice(0, 10);
  };
  const [standard, express] = checkoutResult.cart.shipping_options;
  return {
    ...checkoutResult,
    cart: {
      ...checkoutResult.cart,
      shipping_options: [
        { ...standard, estimate: { earliest: businessDays(5), latest: businessDays(7) } },
        { ...express, estimate: { earliest: businessDays(2), latest: businessDays(3) } },
      ],
    },
  };
}

export const fixtures = { productList, productDetail, cartResult, emptyCartResult, checkoutResult, reviewResult, linkResult, orderResult, orderListResult };

/** Throws when a fixture drifts from the agreed contract. */
export function checkFixtures(): void {
  for (const [name, value] of Object.entries({ ...fixtures, checkoutFromToday: checkoutFrom(new Date().toISOString().slice(0, 10)) })) {
    const parsed = ToolResult.safeParse(value);
    if (!parsed.success) throw new Error(`fixture ${name} does not match the contract: ${parsed.error.message}`);
  }
}

/** A CallToolResult as the gateway returns it. */
export function asToolResult(structuredContent: object): { structuredContent: Record<string, unknown>; content: Array<{ type: string; text: string }>; _meta: Record<string, unknown> } {
  return { structuredContent: structuredContent as Record<string, unknown>, content: [{ type: 'text', text: 'ok' }], _meta: { 'openai/widgetSessionId': CART_ID } };
}
