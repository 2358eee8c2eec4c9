import { CheckoutLinkRequest } from '@shop/contracts';
import { withTransaction } from '@shop/kit';
import * as q from '../db/queries.js';
import type { Charges } from './charges.js';
import type { CheckoutLinks } from './checkout-links.js';
import type { Refunds } from './refunds.js';
import type { PaymentsContext } from './shared.js';

/**
 * Finishes provider calls whose result was never recorded (a crash, a lost answer) once they are
 * older than the stale limit: the same call again with the same idempotency key, then the answer
 * recorded. Claiming is a conditional update, so two instances never both finish one.
 */
export class StaleIntents {
  constructor(
    private readonly ctx: PaymentsContext,
    private readonly charges: Charges,
    private readonly refunds: Refunds,
    private readonly checkoutLinks: CheckoutLinks,
  ) {}

  /** One pass over the stale payment operations, refunds and checkout links; answers how many were finished. */
  async finish(): Promise<number> {
    const { pool, calls, logger } = this.ctx;
    const staleBefore = calls.staleBefore();
    let finished = 0;
    for (const { id, pending_op: op } of await q.staleIntents(pool, staleBefore)) {
      if (calls.isInFlight(id)) continue;
      const claimed = await withTransaction(pool, (tx) => q.claimOp(tx, id, op, staleBefore));
      if (!claimed) continue;
      await this.charges.finishClaimed(claimed, op).then(
        () => finished++,
        (e) => logger.warn({ payment_id: id, op, err: (e as Error).message }, 'payment intent could not be finished; will retry'),
      );
    }
    for (const id of await q.staleRefunds(pool, staleBefore)) {
      if (calls.isInFlight(id)) continue;
      const claimed = await q.claimRefund(pool, id, staleBefore);
      if (!claimed) continue;
      await this.refunds.finishClaimed(claimed).then(
        () => finished++,
        (e) => logger.warn({ refund_id: id, err: (e as Error).message }, 'refund intent could not be finished; will retry'),
      );
    }
    for (const intent of await q.staleLinkIntents(pool, staleBefore)) {
      const claimed = await q.claimLinkIntent(pool, intent.idempotency_key, intent.request, staleBefore);
      if (!claimed) continue;
      await this.checkoutLinks.finishClaimed(CheckoutLinkRequest.parse(claimed.request)).then(
        () => finished++,
        (e) => logger.warn({ idempotency_key: intent.idempotency_key, err: (e as Error).message }, 'checkout link intent could not be finished; will retry'),
      );
    }
    return finished;
  }
}
