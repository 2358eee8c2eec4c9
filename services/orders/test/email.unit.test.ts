import { describe, expect, it } from 'vitest';
import { Order } from '@shop/contracts';
import { renderNotification } from '../src/domain/email.js';
import { notificationTrigger } from '../src/bus/notifier.js';

const address = { name: 'Ada <Lovelace>', line1: '1 Main St', city: 'Springfield', state: 'IL', postal_code: '62701', country: 'US' };
const instructions = 'Leave it by the back door <script>alert("x")</script>\nRing twice & wait';

function order(over: Partial<Order> = {}): Order {
  return Order.parse({
    id: '00000000-0000-4000-8000-0000000000aa',
    number: 'ORD-2026-00042',
    status: 'shipped',
    cart_id: 'a'.repeat(32),
    owner_subject: 'user-1',
    conversation: null,
    lines: [
      {
        product_id: '00000000-0000-4000-8000-000000000002',
        variant_id: '00000000-0000-4000-8000-000000000003',
        name: 'Mug <b>big</b>',
        brand: 'Acme',
        size: null,
        color: 'Blue',
        image_url: 'x',
        unit_price: 1299,
        quantity: 2,
        line_subtotal: 2598,
      },
    ],
    coupon: null,
    subtotal: 2598,
    discount: 0,
    shipping: 599,
    tax: 227,
    total: 3424,
    currency: 'USD',
    item_count: 2,
    shipping_method: 'standard',
    shipping_address: address,
    billing_address: address,
    estimated_delivery: { earliest: '2026-03-11', latest: '2026-03-13' },
    preferred_delivery_date: '2026-03-12',
    delivery_instructions: instructions,
    terms_version: '2026-11-01',
    payment: { status: 'captured', brand: 'visa', last4: '4242' },
    tracking: { carrier: 'USPS', number: '94001234567890123456', url: 'https://track.example/usps/94001234567890123456' },
    timeline: [],
    reason: null,
    created_at: '2026-03-04T10:00:00Z',
    updated_at: '2026-03-05T10:00:00Z',
    ...over,
  });
}

describe('shipped e-mail', () => {
  it('carries the tracking number and a link to follow the parcel', () => {
    const mail = renderNotification({ kind: 'shipped', order: order() });
    expect(mail.subject).toBe('Your order ORD-2026-00042 has shipped');
    expect(mail.text).toContain('Tracking number: 94001234567890123456');
    expect(mail.text).toContain('https://track.example/usps/94001234567890123456');
    expect(mail.html).toContain('<a href="https://track.example/usps/94001234567890123456">Track your parcel</a>');
    expect(mail.html).toContain('USPS');
  });
  it('shows the preferred date beside the estimate and the instructions escaped', () => {
    const { html, text } = renderNotification({ kind: 'shipped', order: order() });
    expect(text).toContain('Estimated delivery: 2026-03-11 – 2026-03-13');
    expect(text).toContain('Your preferred delivery date: 2026-03-12');
    expect(html).toContain('Your preferred delivery date: 2026-03-12');
    expect(html).not.toContain('<script>');
    expect(html).not.toContain('<b>big</b>');
    expect(html).toContain('Leave it by the back door &lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;<br>Ring twice &amp; wait');
    expect(html).toContain('Ada &lt;Lovelace&gt;');
    // The plain-text part keeps the shopper's words as written.
    expect(text).toContain(instructions);
  });
  it('escapes the link and never makes a non-web URL clickable', () => {
    const quoted = renderNotification({ kind: 'shipped', order: order({ tracking: { carrier: 'UPS', number: '1Z1', url: 'https://t.example/a"onmouseover="x' } }) });
    expect(quoted.html).toContain('href="https://t.example/a&quot;onmouseover=&quot;x"');
    const script = renderNotification({ kind: 'shipped', order: order({ tracking: { carrier: 'UPS', number: '1Z1', url: 'javascript:alert(1)' } }) });
    expect(script.html).not.toContain('href=');
    expect(script.html).toContain('Track your parcel: javascript:alert(1)');
  });
});

describe('confirmation, delivered and cancelled e-mails', () => {
  it('the confirmation shows instructions escaped and the preferred date; none when absent', () => {
    const mail = renderNotification({ kind: 'confirmed', order: order({ status: 'confirmed', tracking: null }) });
    expect(mail.html).toContain('&lt;script&gt;');
    expect(mail.html).not.toContain('<script>');
    expect(mail.text).toContain('Your preferred delivery date: 2026-03-12');
    const plain = renderNotification({ kind: 'confirmed', order: order({ status: 'confirmed', tracking: null, preferred_delivery_date: null, delivery_instructions: null }) });
    expect(plain.text).not.toContain('preferred delivery date');
    expect(plain.text).not.toContain('Delivery instructions');
  });
  it('the delivered e-mail names the order and its items', () => {
    const mail = renderNotification({ kind: 'delivered', order: order({ status: 'delivered' }) });
    expect(mail.subject).toBe('Your order ORD-2026-00042 has been delivered');
    expect(mail.text).toContain('2 × Mug <b>big</b> (Blue)');
    expect(mail.html).toContain('Mug &lt;b&gt;big&lt;/b&gt;');
  });
  it('the cancelled e-mail states the refund amount and the card it went to, or that nothing was charged', () => {
    const cancelled = order({ status: 'cancelled', tracking: null, reason: 'Changed my <mind>', payment: { status: 'refunded', brand: 'visa', last4: '4242' } });
    const mail = renderNotification({ kind: 'cancelled', order: cancelled, refundAmount: 3424 });
    expect(mail.subject).toBe('Your order ORD-2026-00042 has been cancelled');
    expect(mail.text).toContain('A refund of $34.24 has been issued to your visa ending in 4242');
    expect(mail.html).toContain('A refund of $34.24');
    expect(mail.html).toContain('Reason: Changed my &lt;mind&gt;');
    const unpaid = renderNotification({ kind: 'cancelled', order: cancelled, refundAmount: 0 });
    expect(unpaid.text).toContain('You have not been charged.');
    expect(unpaid.text).not.toContain('refund');
  });
});

describe('refunded e-mail', () => {
  it('states the amount refunded and the card it went to, with the reason escaped', () => {
    const refunded = order({ status: 'refunded', reason: 'Too <i>tight</i>', payment: { status: 'refunded', brand: 'visa', last4: '4242' } });
    const mail = renderNotification({ kind: 'refunded', order: refunded, refundAmount: 3424 });
    expect(mail.subject).toBe('Your order ORD-2026-00042 has been refunded');
    expect(mail.text).toContain('A refund of $34.24 has been issued to your visa ending in 4242.');
    expect(mail.text).toContain('Reason: Too <i>tight</i>');
    expect(mail.html).toContain('Reason: Too &lt;i&gt;tight&lt;/i&gt;');
    expect(mail.html).not.toContain('<i>');
  });
});

describe('which e-mail an event asks for', () => {
  const envelope = (type: string, data: Record<string, unknown>) => ({ id: 'e1', type, occurred_at: '2026-03-05T10:00:00Z', data });
  const ids = { order_id: '00000000-0000-4000-8000-0000000000aa', order_number: 'ORD-2026-00042' };
  it('maps each order event to its kind, with the refund of a cancellation', () => {
    expect(notificationTrigger(envelope('evt.order.shipped', { ...ids, tracking: { carrier: 'USPS', number: '94', url: 'https://t' } }))).toEqual({ kind: 'shipped', orderId: ids.order_id, refundAmount: 0 });
    expect(notificationTrigger(envelope('evt.order.delivered', ids))).toMatchObject({ kind: 'delivered' });
    expect(notificationTrigger(envelope('evt.order.cancelled', { ...ids, cart_id: 'a'.repeat(32), reason: 'x', refund_amount: 3424, currency: 'USD' }))).toEqual({
      kind: 'cancelled',
      orderId: ids.order_id,
      refundAmount: 3424,
    });
  });
  it('maps evt.order.refunded to the refunded e-mail with its amount', () => {
    expect(notificationTrigger(envelope('evt.order.refunded', { ...ids, cart_id: 'a'.repeat(32), reason: 'x', refund_amount: 999, currency: 'USD' }))).toEqual({
      kind: 'refunded',
      orderId: ids.order_id,
      refundAmount: 999,
    });
    expect(notificationTrigger(envelope('evt.order.refunded', ids))).toBeNull();
  });
  it('answers null for data that does not match the contract or an event it does not mail', () => {
    expect(notificationTrigger(envelope('evt.order.cancelled', { ...ids, cart_id: 'a'.repeat(32), reason: 'x' }))).toBeNull();
    expect(notificationTrigger(envelope('evt.order.shipped', ids))).toBeNull();
    expect(notificationTrigger(envelope('evt.order.payment_failed', ids))).toBeNull();
  });
});
