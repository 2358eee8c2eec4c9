import { describe, expect, it } from 'vitest';
import { AppError, type SavedPaymentMethod } from '@shop/contracts';
import type { BusClient } from '@shop/kit';
import { assertMayPayWith, type ToolCall } from '../src/app/shared.js';
import { missingScopes } from '../src/app/security.js';
import type { Account } from '../src/auth/tokens.js';

/** Payments as the gateway sees it: an account's saved cards only when the request names the account. */
function callWith(account: Account | undefined): { call: ToolCall; asked: unknown[] } {
  const everyone: SavedPaymentMethod[] = [{ id: 'pm_card_visa', brand: 'visa', last4: '4242', label: 'Test card: Visa ending in 4242', is_default: false, saved: false }];
  const saved: SavedPaymentMethod = { id: 'pm_1SavedStripeCard', brand: 'visa', last4: '1881', label: 'Visa ending in 1881', is_default: true, saved: true };
  const asked: unknown[] = [];
  const bus = {
    call: async (_endpoint: unknown, req: { account?: string }) => {
      asked.push(req);
      return { methods: req.account ? [saved, ...everyone] : everyone };
    },
  } as unknown as BusClient;
  const call = { deps: { bus }, account, caller: account ? { subject: account.subject } : {}, meta: undefined, mcpSessionId: undefined, now: () => new Date() } as unknown as ToolCall;
  return { call, asked };
}
const account = (scopes: Account['scopes']): Account => ({ subject: 'acct_1', clientId: 'client', scopes, grantId: 'grant' });

describe('paying with a saved card needs the shop.payment_methods consent', () => {
  it('a token without the scope cannot charge a saved card, and the refusal asks for the scope', async () => {
    const { call } = callWith(account(['shop.orders']));
    const refused = await assertMayPayWith(call, 'pm_1SavedStripeCard').catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(AppError);
    expect(refused).toMatchObject({ code: 'PAYMENT_METHOD_NOT_FOUND', details: { field: 'payment_method_id' } });
    expect(missingScopes((refused as AppError).code, ['shop.orders'])).toEqual(['shop.payment_methods']);
  });

  it('the same token may pay with a method offered to everyone', async () => {
    await expect(assertMayPayWith(callWith(account(['shop.orders'])).call, 'pm_card_visa')).resolves.toBeUndefined();
  });

  it('with the scope, or as a guest (payments holds saved cards to their account), nothing is asked', async () => {
    for (const who of [account(['shop.payment_methods']), undefined]) {
      const { call, asked } = callWith(who);
      await expect(assertMayPayWith(call, 'pm_1SavedStripeCard')).resolves.toBeUndefined();
      expect(asked).toEqual([]);
    }
    expect(missingScopes('PAYMENT_METHOD_NOT_FOUND', ['shop.payment_methods'])).toEqual([]);
    expect(missingScopes('CART_FORBIDDEN', [])).toEqual([]);
  });
});
