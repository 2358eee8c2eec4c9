import { randomUUID } from 'node:crypto';
import type pg from 'pg';
import type { z } from 'zod';
import { AppError, type ListMethodsResult, type SetupLink } from '@shop/contracts';
import { withTransaction, type Logger } from '@shop/kit';
import type { PaymentProvider } from '../domain/provider.js';
import { mergeMethods } from '../domain/saved-methods.js';
import { findDemoMethod } from '../domain/demo-methods.js';
import { asProviderError, notOwnMethod } from '../domain/provider-errors.js';
import * as q from '../db/queries.js';

/** How long a setup link (demo page capability, Stripe setup session) stays usable: Stripe's shortest. */
export const SETUP_LINK_MINUTES = 30;

/**
 * An account's saved payment methods: its customer at the provider, the methods saved for it (one
 * default), removing one, the provider's setup flow to add one, and the demo setup page's test
 * cards. Changes to one account's methods are serialised under the account's lock (lockAccount).
 */
export class SavedMethods {
  constructor(
    private readonly pool: pg.Pool,
    private readonly provider: PaymentProvider,
    private readonly logger: Logger,
  ) {}

  /** The account's customer at the provider, created (once, whatever races) the first time it is needed. */
  async providerCustomer(accountId: string): Promise<string> {
    const known = await q.findProviderCustomer(this.pool, accountId, this.provider.name);
    if (known) return known;
    // Outside any transaction; the key makes concurrent first uses get the same Stripe customer.
    const created = await this.provider.createCustomer(accountId, `customer:${accountId}`).catch((e: unknown) => {
      throw asProviderError(e);
    });
    return q.recordProviderCustomer(this.pool, accountId, this.provider.name, created);
  }

  /** An account's saved methods and the test cards; without an account the test cards only. */
  async listMethods(account: string | undefined): Promise<z.infer<typeof ListMethodsResult>> {
    const saved = account ? await q.savedMethods(this.pool, account) : [];
    return { methods: mergeMethods(saved.map((m) => ({ id: m.payment_method_id, brand: m.brand, last4: m.last4, isDefault: m.is_default })), this.provider.testCards()) };
  }

  async setDefaultMethod(account: string, paymentMethodId: string): Promise<z.infer<typeof ListMethodsResult>> {
    const found = await withTransaction(this.pool, async (tx) => {
      await q.lockAccount(tx, account, 'methods');
      return q.setDefaultMethod(tx, account, paymentMethodId);
    });
    if (!found) throw notOwnMethod(paymentMethodId);
    return this.listMethods(account);
  }

  /**
   * Removes one of the account's cards: first from our table (it can no longer be charged here), then
   * detached at the provider, best effort: a card left attached there is not usable through this shop.
   */
  async removeMethod(account: string, paymentMethodId: string): Promise<z.infer<typeof ListMethodsResult>> {
    const found = await withTransaction(this.pool, async (tx) => {
      await q.lockAccount(tx, account, 'methods');
      return q.removeMethod(tx, account, paymentMethodId);
    });
    if (!found) throw notOwnMethod(paymentMethodId);
    await this.provider.detachMethod(paymentMethodId).catch((e: unknown) => this.logger.warn({ err: (e as Error).message }, 'removed card not detached at the provider'));
    return this.listMethods(account);
  }

  /** The demo setup page: one of the test cards, chosen by the shopper, saved for the account its link was made for. */
  async addTestCard(account: string, paymentMethodId: string): Promise<z.infer<typeof ListMethodsResult>> {
    const card = findDemoMethod(paymentMethodId);
    if (!card) throw new AppError('PAYMENT_METHOD_NOT_FOUND', 'That is not one of the test cards.', { payment_method_id: paymentMethodId });
    await this.providerCustomer(account);
    await withTransaction(this.pool, async (tx) => {
      await q.lockAccount(tx, account, 'methods');
      await q.saveMethod(tx, { accountId: account, paymentMethodId: card.id, brand: card.brand, last4: card.last4 });
    });
    this.logger.info({ account }, 'test card added to an account');
    return this.listMethods(account);
  }

  /** A link to the provider's setup flow for this account, under its provider customer. */
  async createSetupLink(account: string, returnUrl: string): Promise<SetupLink> {
    const providerCustomer = await this.providerCustomer(account);
    const session = await this.provider
      .createSetupSession({ accountId: account, providerCustomer, returnUrl, expiresAt: new Date(Date.now() + SETUP_LINK_MINUTES * 60_000), idempotencyKey: `setup:${randomUUID()}` })
      .catch((e: unknown) => {
        throw asProviderError(e);
      });
    return { url: session.url, expires_at: session.expiresAt.toISOString() };
  }
}
