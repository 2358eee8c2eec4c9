import type pg from 'pg';
import { withTransaction } from '@shop/kit';
import { canTransition } from '../domain/payment-state.js';
import type { MethodSummary, ProviderEvent, RawWebhook } from '../domain/provider.js';
import * as q from '../db/queries.js';
import type { CheckoutLinks } from './checkout-links.js';
import { applyProviderReport, type PaymentsContext } from './shared.js';

/**
 * The provider's webhook events (and the demo pages' stand-ins for them): each is recorded once by
 * its id, then applied once; one that fails is retried by the webhook sweep.
 */
export class Webhooks {
  constructor(
    private readonly ctx: PaymentsContext,
    private readonly checkoutLinks: CheckoutLinks,
  ) {}

  /** Verifies a webhook on its raw body and records it; `duplicate` for an event id already recorded. */
  async receive(rawBody: Buffer, signature: string | undefined): Promise<{ id: string; duplicate: boolean }> {
    const event = this.ctx.provider.verifyWebhook(rawBody, signature);
    return this.recordEvent(event);
  }

  /** Records an event by its id (a verified webhook, or one a demo page makes); `duplicate` when it was already recorded. */
  async recordEvent(event: RawWebhook): Promise<{ id: string; duplicate: boolean }> {
    const inserted = await q.recordWebhookEvent(this.ctx.pool, { ...event, provider: this.ctx.provider.name });
    return { id: event.id, duplicate: !inserted };
  }

  /**
   * Applies a recorded event once: the row is locked (skip locked, so a concurrent processor
   * moves on) and marked processed in the same transaction as its effects.
   */
  async processEvent(eventId: string): Promise<void> {
    try {
      const pending = await q.findPendingWebhookEvent(this.ctx.pool, eventId);
      if (!pending) return;
      const event = this.ctx.provider.interpretEvent(pending.payload);
      // Only the provider's payment knows the card (Checkout's completion event does not carry it):
      // asked before the transaction, best effort.
      const method =
        event.kind === 'checkout_completed' && event.providerPaymentRef
          ? ((await this.ctx.provider.retrieve(event.providerPaymentRef).catch(() => null))?.method ?? null)
          : event.kind === 'setup_completed'
            ? // The card is what a setup saves: without it the event is retried (the catch below).
              await this.ctx.provider.setupMethod(event.setupIntentRef)
            : null;
      await withTransaction(this.ctx.pool, async (tx) => {
        const row = await q.lockPendingWebhookEvent(tx, eventId);
        if (!row) return;
        await this.applyEvent(tx, event, method);
        await q.markWebhookProcessed(tx, eventId);
      });
      this.ctx.relay.kick();
    } catch (e) {
      this.ctx.logger.warn({ event_id: eventId, err: (e as Error).message }, 'webhook event failed; will retry');
      await q.markWebhookFailed(this.ctx.pool, eventId, (e as Error).message).catch(() => undefined);
    }
  }

  /** Retries events that were recorded but not processed (a crash, or a failed attempt); answers how many were tried. */
  async retryUnprocessed(olderThanMs: number): Promise<number> {
    const ids = await q.pendingWebhookEventIds(this.ctx.pool, olderThanMs);
    for (const id of ids) await this.processEvent(id);
    return ids.length;
  }

  private async applyEvent(tx: pg.PoolClient, event: ProviderEvent, method: MethodSummary | null): Promise<void> {
    switch (event.kind) {
      case 'payment_updated': {
        const row = await q.lockPaymentByRef(tx, this.ctx.provider.name, event.providerRef);
        if (!row) {
          this.ctx.logger.info({ event_id: event.id, provider_ref: event.providerRef }, 'event for a payment this service did not create; ignored');
          return;
        }
        if (row.status === event.payment.status || !canTransition(row.status, event.payment.status, 'provider')) return;
        await applyProviderReport(tx, row, event.payment);
        return;
      }
      case 'checkout_completed':
        return this.checkoutLinks.recordCompleted(tx, event, method);
      case 'checkout_expired':
        return this.checkoutLinks.recordExpired(tx, event.checkoutId);
      case 'setup_completed': {
        // The card is saved for the account whose customer the session was made under, by our own
        // table: neither the session's metadata nor anything the shopper sent chooses the account.
        const account = event.providerCustomer ? await q.accountOfProviderCustomer(tx, this.ctx.provider.name, event.providerCustomer) : null;
        if (!account || !method?.id || !method.brand || !method.last4) {
          this.ctx.logger.warn({ event_id: event.id, checkout_id: event.checkoutId }, 'setup completed for no known account, or without a card; ignored');
          return;
        }
        await q.lockAccount(tx, account, 'methods');
        await q.saveMethod(tx, { accountId: account, paymentMethodId: method.id, brand: method.brand, last4: method.last4 });
        return;
      }
      case 'ignored':
        return;
    }
  }
}
