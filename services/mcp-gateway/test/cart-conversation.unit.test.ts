import { describe, expect, it } from 'vitest';
import { orderCaller } from '../src/domain/cart-conversation.js';
import { presentOrder } from '../src/domain/present.js';
import { orderFixture } from '@shop/contracts/testing';

const cartId = 'b'.repeat(32);

describe('a caller without a conversation is known to orders by its cart', () => {
  it('asks orders as the cart conversation only when the host sent none and a cart is named', () => {
    expect(orderCaller({}, cartId)).toEqual({ conversation: `cart:${cartId}` });
    expect(orderCaller({ subject: 'acct-1' }, cartId)).toEqual({ subject: 'acct-1', conversation: `cart:${cartId}` });
    // A host conversation is never replaced by one derived from a cart id.
    expect(orderCaller({ conversation: 'conv-9' }, cartId)).toEqual({ conversation: 'conv-9' });
    expect(orderCaller({}, undefined)).toEqual({});
  });

  it("names the cart id in an order's text only when the order's conversation is its cart", () => {
    const byHandle = presentOrder(orderFixture({ cart_id: cartId, conversation: `cart:${cartId}` })).text;
    expect(byHandle).toContain(`pass cart_id ${cartId} to get_order_status, list_orders, cancel_order, refund_order and reorder`);
    expect(presentOrder(orderFixture({ cart_id: cartId, conversation: 'conv-1' })).text).not.toContain('pass cart_id');
  });
});
