import { describe, expect, it } from 'vitest';
import { AddLineRequest, ApplyCouponRequest, AppError, CancelOrderRequest, parseOrThrow, PaymentMethodId, RefundRequest, SearchRequest, toAppError, UpdateCheckoutRequest } from '../src/index.js';

const cart = { cart_id: '0f1e2d3c4b5a69788796a5b4c3d2e1f0', caller: { conversation: 'c1' } };
const address = { name: 'Ada Lovelace', line1: '1 Main St', city: 'San Francisco', state: 'CA', postal_code: '94107', country: 'US' };
const CARD = '4242 4242 4242 4242';

function refusal(schema: Parameters<typeof parseOrThrow>[0], value: unknown, root = ''): AppError {
  try {
    parseOrThrow(schema, value, root);
  } catch (e) {
    if (e instanceof AppError) return e;
    throw e;
  }
  throw new Error('expected a refusal');
}

describe('free-text fields at every edge (NATS and HTTP parse with these schemas)', () => {
  it('refuse card data as CARD_DATA_REFUSED naming the field, never echoing the value', () => {
    const cases: Array<[Parameters<typeof parseOrThrow>[0], unknown, string]> = [
      [UpdateCheckoutRequest, { ...cart, delivery_instructions: `my card is ${CARD} exp 12/30 cvc 123` }, 'delivery_instructions'],
      [UpdateCheckoutRequest, { ...cart, delivery_instructions: 'leave it, exp 12/30' }, 'delivery_instructions'],
      [UpdateCheckoutRequest, { ...cart, shipping_address: { ...address, line1: `1 Main St ${CARD}` } }, 'shipping_address.line1'],
      [UpdateCheckoutRequest, { ...cart, billing_address: { ...address, phone: CARD } }, 'billing_address.phone'],
      [UpdateCheckoutRequest, { ...cart, payment_method_id: 'pm_4242424242424242' }, 'payment_method_id'],
      [UpdateCheckoutRequest, { ...cart, payment_method_id: '4242424242424242' }, 'payment_method_id'],
      [UpdateCheckoutRequest, { ...cart, card_number: '4242424242424242' }, 'card_number'],
      [ApplyCouponRequest, { ...cart, code: '4242-4242-4242-4242' }, 'code'],
      [AddLineRequest, { ...cart, product_id: '3fa85f64-5717-4562-b3fc-2c963f66afa6', size: 'cvc 123' }, 'size'],
      [SearchRequest, { query: `shoes ${CARD}` }, 'query'],
      [SearchRequest, { brands: ['Acme', CARD] }, 'brands.1'],
      [CancelOrderRequest, { order_id: 'ORD-2026-00042', caller: {}, reason: `refund to ${CARD}` }, 'reason'],
      [RefundRequest, { payment_id: '3fa85f64-5717-4562-b3fc-2c963f66afa6', idempotency_key: 'key-4242424242424242', reason: 'x' }, 'idempotency_key'],
    ];
    for (const [schema, value, field] of cases) {
      const e = refusal(schema, value);
      expect(e.code, field).toBe('CARD_DATA_REFUSED');
      expect(e.details, field).toMatchObject({ field });
      expect(e.message, field).toContain(field);
      expect(JSON.stringify(e.toBody()), field).not.toMatch(/4242|cvc 123|12\/30/);
    }
    expect(refusal(SearchRequest, { query: CARD }, 'query').details).toMatchObject({ field: 'query.query' });
    expect(toAppError(SearchRequest.safeParse({ query: CARD }).error).code).toBe('CARD_DATA_REFUSED');
  });

  it('refuse control characters as INVALID_INPUT naming the field; line breaks only in multi-line fields', () => {
    const cases: Array<[Parameters<typeof parseOrThrow>[0], unknown, string]> = [
      [SearchRequest, { query: 'shoe\u0000s' }, 'query'],
      [SearchRequest, { category: 'run\u0000ning' }, 'category'],
      [ApplyCouponRequest, { ...cart, code: 'WEL\u0000COME10' }, 'code'],
      [UpdateCheckoutRequest, { ...cart, shipping_address: { ...address, name: 'Ada\u0000' } }, 'shipping_address.name'],
      [UpdateCheckoutRequest, { ...cart, shipping_address: { ...address, name: 'Ada\r\nBcc: x' } }, 'shipping_address.name'],
      [UpdateCheckoutRequest, { ...cart, shipping_address: { ...address, line1: '1 Main St \u202Egnp' } }, 'shipping_address.line1'],
      [UpdateCheckoutRequest, { ...cart, delivery_instructions: 'ring\u0000twice' }, 'delivery_instructions'],
    ];
    for (const [schema, value, field] of cases) {
      const e = refusal(schema, value);
      expect(e.code, field).toBe('INVALID_INPUT');
      expect(e.message, field).toContain(`Invalid ${field}:`);
      expect((e.details as { issues: Array<{ field: string; rule: string }> }).issues[0]).toMatchObject({ field });
    }
    expect(parseOrThrow(UpdateCheckoutRequest, { ...cart, delivery_instructions: 'Ring twice.\nLeave at the back door.' }).delivery_instructions).toContain('\n');
    expect(parseOrThrow(CancelOrderRequest, { order_id: 'ORD-2026-00042', caller: {}, reason: 'Ordered twice.\nSorry!' }).reason).toContain('\n');
  });

  it('accept ordinary text: phone numbers, order numbers, dates, accents', () => {
    const ok = parseOrThrow(UpdateCheckoutRequest, {
      ...cart,
      shipping_address: { ...address, name: 'Zoë Ødegård', phone: '+1 (415) 555-0100' },
      delivery_instructions: 'Call +1 415 555 0100 on 2026-12-24 about ORD-2026-00042; gate code 1234.',
    });
    expect(ok.shipping_address?.name).toBe('Zoë Ødegård');
  });

  it('take payment-method ids in the providers’ shapes only', () => {
    for (const id of ['pm_card_visa', 'pm_card_chargeDeclinedInsufficientFunds', 'pm_demo_visa_4242', 'pm_1NqQ2x2eZvKYlo2C0a1b2c3d']) expect(PaymentMethodId.safeParse(id).success, id).toBe(true);
    for (const id of ['pm_', 'pm__x', 'pm_x_', 'card_visa', 'pm_card visa', `pm_${'a'.repeat(100)}`, 'pm_4242424242424242', 'pm_card_4000056655665556']) expect(PaymentMethodId.safeParse(id).success, id).toBe(false);
  });
});
