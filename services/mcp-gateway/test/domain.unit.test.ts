import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { AppError, CartResult, CheckoutResult, OrderResult } from '@shop/contracts';
import { callerFrom, cartResolution, paymentAccount } from '../src/domain/identity.js';
import { checkoutLinkKey, placeOrderKey } from '../src/domain/idempotency.js';
import { toolErrorResult } from '../src/domain/errors.js';
import { failedPlacement, formattedTotals, presentCart, presentCheckout, presentOrder } from '../src/domain/present.js';
import { cartFixture, orderFixture } from '@shop/contracts/testing';

describe('identity', () => {
  const account = { subject: '7d0b5c8e-3f0a-4c1e-9a57-1b2c3d4e5f60', clientId: 'app', scopes: ['shop.orders' as const], grantId: 'g' };

  it('the subject is the verified account only; a host-sent openai/subject is not identity', () => {
    expect(callerFrom({ 'openai/session': 'conv-9', 'openai/subject': 'user-7' }, 'mcp-1', undefined)).toEqual({ conversation: 'conv-9' });
    expect(callerFrom({ 'openai/session': 'conv-9', 'openai/subject': 'user-7' }, 'mcp-1', account)).toEqual({ conversation: 'conv-9', subject: account.subject });
    expect(callerFrom(undefined, 'mcp-1', undefined)).toEqual({ conversation: 'mcp-session:mcp-1' });
    expect(callerFrom({}, undefined, undefined)).toEqual({});
  });

  it('ignores host conversation ids that are not short non-empty strings', () => {
    expect(callerFrom({ 'openai/session': 42 }, undefined, undefined)).toEqual({});
    expect(callerFrom({ 'openai/session': 'x'.repeat(201) }, 'm', undefined)).toEqual({ conversation: 'mcp-session:m' });
  });

  it('names an explicit cart id alongside the caller so the cart service can check ownership', () => {
    const id = 'b'.repeat(32);
    expect(cartResolution({ subject: 'u' }, id)).toEqual({ cart_id: id, caller: { subject: 'u' } });
    expect(cartResolution({ conversation: 'c' }, undefined)).toEqual({ caller: { conversation: 'c' } });
  });

  it("saved methods are the account's with shop.payment_methods; nobody's otherwise", () => {
    expect(paymentAccount({ ...account, scopes: ['shop.payment_methods'] })).toBe(account.subject);
    expect(paymentAccount(account)).toBeUndefined();
    expect(paymentAccount(undefined)).toBeUndefined();
  });
});

describe('idempotency keys', () => {
  it('are stable for the same cart version and change with the version only', () => {
    const id = 'c'.repeat(32);
    expect(placeOrderKey(id, 4)).toBe(placeOrderKey(id, 4));
    expect(placeOrderKey(id, 4)).toBe('order:' + id + ':v4');
    expect(placeOrderKey(id, 4)).not.toBe(placeOrderKey(id, 5));
    expect(placeOrderKey('d'.repeat(32), 4)).not.toBe(placeOrderKey(id, 4));
    expect(checkoutLinkKey(id, 4)).not.toBe(placeOrderKey(id, 4));
  });

  it('fit the contract rule for idempotency keys', async () => {
    const { IdempotencyKey } = await import('@shop/contracts');
    expect(IdempotencyKey.safeParse(placeOrderKey('d'.repeat(32), 12)).success).toBe(true);
    expect(IdempotencyKey.safeParse(checkoutLinkKey('d'.repeat(32), 0)).success).toBe(true);
  });
});

describe('presenters', () => {
  it('formats totals from integer cents', () => {
    expect(formattedTotals({ subtotal: 2997, discount: 0, shipping: 599, tax: 262, total: 3858 }, 'USD')).toEqual({
      subtotal: '$29.97',
      discount: '$0.00',
      shipping: '$5.99',
      tax: '$2.62',
      total: '$38.58',
    });
  });

  it('builds a cart result that satisfies the shared contract, with the cart id as cart_id (and its deprecated alias session_id)', () => {
    const p = presentCart(cartFixture(), { lastAddedLineId: '11111111-1111-4111-8111-111111111111', notice: 'Added 2 × Pegasus.' });
    expect(CartResult.parse(p.structured)).toMatchObject({ cart_id: 'a'.repeat(32), session_id: 'a'.repeat(32) });
    expect(p.text).toContain('2 × Pegasus 41 Road Running Shoe (size 10, Black) at $89.99');
    expect(p.text).toContain('total $195.73');
  });

  it('builds a checkout result listing what is missing', () => {
    const p = presentCheckout(cartFixture(), [{ id: 'pm_card_visa', brand: 'visa', last4: '4242', label: 'Visa •••• 4242', is_default: true }], null);
    CheckoutResult.parse(p.structured);
    // The options are the cart's own (the cart service prices them): the text quotes them as they are.
    expect(p.text).toContain('Shipping options: standard: Standard (5–7 business days), $0.00, delivery 2026-01-12 to 2026-01-14; express: Express (2–3 business days), $12.99, delivery 2026-01-07 to 2026-01-08.');
    expect(p.text).toContain('Checkout still needs: shipping address, shipping method, payment method, terms.');
    expect(p.text).toContain('pm_card_visa');
  });

  it('summarises an order and turns a failed payment into a shopper-readable error', () => {
    const p = presentOrder(orderFixture(), 'Order placed.');
    expect(OrderResult.parse(p.structured).formatted.total).toBe('$110.85');
    expect(p.text.split('\n')[0]).toBe('Order placed. Order ORD-2026-00042 is confirmed: 1 item, total $110.85, paid with visa ending 4242. Estimated delivery 2026-01-07 to 2026-01-08.');
    expect(failedPlacement(orderFixture())).toBeNull();
    const declined = failedPlacement(orderFixture({ status: 'payment_failed', reason: 'Your card was declined.' }));
    expect(declined).toBeInstanceOf(AppError);
    expect(declined).toMatchObject({ code: 'PAYMENT_DECLINED', message: 'Your card was declined. Your cart is unchanged: choose another payment method and try again.' });
  });
});

describe('tool error mapping', () => {
  it('keeps the service message and code, with no structured content', () => {
    const { result } = toolErrorResult(new AppError('OUT_OF_STOCK', 'Only 2 left in size 10', { available: 2 }));
    expect(result).toEqual({
      isError: true,
      content: [{ type: 'text', text: 'Only 2 left in size 10' }],
      _meta: { 'shop/error': { code: 'OUT_OF_STOCK', details: { available: 2 } } },
    });
  });

  it('hides internals of unexpected errors and says when a retry may help', () => {
    const { result } = toolErrorResult(new Error('connection refused at 10.0.0.3:5432'));
    expect(JSON.stringify(result)).not.toContain('10.0.0.3');
    expect(result.content).toEqual([{ type: 'text', text: 'Something went wrong on our side. Please try again.' }]);
    expect(toolErrorResult(new AppError('TIMEOUT', 'The store took too long to answer.')).result.content).toEqual([{ type: 'text', text: 'The store took too long to answer. You can try again.' }]);
    expect(toolErrorResult(new z.ZodError([])).error.code).toBe('INVALID_INPUT');
  });
});
