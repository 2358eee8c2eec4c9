import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { z } from 'zod';
import { AppError, paymentsApi, type Caller, type CheckoutLink, type Order, type Payment, type PlaceExternalResult } from '@shop/contracts';
import { withTransaction } from '@shop/kit';
import type { Actor } from '../domain/order-state.js';
import {
  cartOrderedError,
  closedLinkReason,
  interruptedReason,
  linkAlreadyPaidError,
  linkReplacement,
  linkUnavailableReason,
  orderInProgressError,
  paymentKeys,
  replacedByDirectPaymentReason,
  settledSteps,
  stillBeingPlacedError,
} from '../domain/saga.js';
import { repeatedBy } from '../domain/repeat.js';
import { cartHolder, findById, findByKey, insertPending, isVisible, latestOrder, nextOrderNumber, renderOrder, supersede, takeOverFromLink, type NewOrder, type OrderRow } from '../db/orders.js';
import { ownedBy, type WorkflowContext } from './context.js';
import { SagaRunner } from './placement/runner.js';
import { paymentOf } from './placement/step.js';

type PlaceRequest = z.infer<typeof import('@shop/contracts').PlaceOrderRequest>;
type PlaceExternalRequest = z.infer<typeof import('@shop/contracts').PlaceExternalRequest>;
type PlacedRequest = z.infer<typeof import('@shop/contracts').PlacedOrderRequest>;
/** What both placements ask: an external one has no payment method (the shopper picks it on the link's page). */
type OpenRequest = PlaceRequest | PlaceExternalRequest;

/** How long a request waits for the placement holding its key or its cart to settle. */
const FOLLOW_WAIT_MS = 8_000;

/** Thrown inside a takeover transaction to roll it back when the direct order could not be inserted. */
const lostRace = new Error('the placement was taken meanwhile');

/**
 * Placing orders: at most one placement per cart, decided by the orders database before anything is
 * reserved or charged (the unique index over the cart of orders that hold it). The request that
 * inserts the order runs its steps (placement/flows.ts) through the runner; every other request for
 * the cart, under its key or another, on this instance or another, follows that order and answers
 * with its outcome, or with a refusal naming it.
 */
export class Placement {
  /** Sagas this process is driving right now, so recovery does not run them twice at once. */
  readonly inFlight = new Set<string>();
  readonly runner: SagaRunner;

  constructor(private readonly ctx: WorkflowContext) {
    this.runner = new SagaRunner(ctx);
  }

  async place(req: PlaceRequest): Promise<Order> {
    return this.open(req, false);
  }

  /**
   * The same placement up to the stock reservation, then a checkout link for the order: the order
   * stays pending (payment `awaiting_payment`) until payments reports the link paid, cancelled or expired.
   */
  async placeExternal(req: PlaceExternalRequest): Promise<z.input<typeof PlaceExternalResult>> {
    const order = await this.open(req, true);
    if (order.status === 'cancelled' || order.status === 'payment_failed') {
      throw new AppError('UNAVAILABLE', order.reason ?? linkUnavailableReason, { order_id: order.id, order_number: order.number });
    }
    const row = (await findById(this.ctx.pool, order.id))!;
    if (!row.checkout_link_id) throw new AppError('UNAVAILABLE', 'Your checkout link is still being created. Please try again in a moment.', { order_id: order.id });
    return { order, checkout_link: linkOf(row) };
  }

  /**
   * The order of a cart (ordersApi.placed): the one holding the cart's placement, or, for the
   * conversation's fresh cart, the conversation's order placed just before it. One query and the
   * order's rendering, where the gateway used to page through the caller's orders to find it.
   */
  async placed(req: PlacedRequest): Promise<{ order: Order | null }> {
    const { pool } = this.ctx;
    let row: OrderRow | null;
    if (req.fresh_cart_created_at) {
      // The conversation's order; for an account calling without one (a 2026-07-28 client), the account's.
      const { conversation, subject } = req.caller;
      const by = conversation ? { conversation } : subject ? { subject } : null;
      const latest = by ? await latestOrder(pool, by) : null;
      row = latest && repeatedBy(latest, new Date(req.fresh_cart_created_at), new Date()) ? latest : null;
    } else {
      row = await cartHolder(pool, req.cart_id);
    }
    if (!row || !isVisible(row) || row.status === 'payment_failed' || !mayFollow(row, req.caller)) return { order: null };
    return { order: await renderOrder(pool, row) };
  }

  private async open(req: OpenRequest, byLink: boolean): Promise<Order> {
    const { pool } = this.ctx;
    for (let attempt = 0; attempt < 4; attempt++) {
      const mine = await findByKey(pool, req.cart_id, req.idempotency_key);
      if (mine) {
        const answer = await this.follow(mine, req, byLink, true);
        if (answer) return answer;
        continue; // the attempt under this key gave way (a passing refusal, a closed link, a failed payment and another method)
      }
      const holder = await cartHolder(pool, req.cart_id);
      const replacing = holder && !byLink && holder.external_payment && holder.saga_step === 'awaiting_payment';
      if (holder && !replacing) {
        const answer = await this.follow(holder, req, byLink, false);
        if (answer) return answer;
        continue; // that placement ended without keeping the cart: this one may take it
      }
      const fresh: NewOrder = {
        id: randomUUID(),
        number: await nextOrderNumber(pool),
        cartId: req.cart_id,
        idempotencyKey: req.idempotency_key,
        caller: req.caller,
        paymentMethodArg: 'payment_method_id' in req ? (req.payment_method_id ?? null) : null,
        externalPayment: byLink,
      };
      const row = holder ? await this.replaceLinkOrder(holder, fresh) : await withTransaction(pool, (tx) => insertPending(tx, fresh));
      if (!row) continue; // another placement took the key or the cart first: follow it
      return this.drive(row.id, async () => {
        await this.runner.run(row.id, { input: { expectedTotal: req.expected_total } });
        const after = (await findById(pool, row.id))!;
        // A runner that stopped short (a charge in doubt, a service that did not answer, another runner moving it on) has no outcome yet.
        if (isVisible(after) && !settledSteps.has(after.saga_step)) throw stillBeingPlacedError(after);
        return this.answer(after);
      });
    }
    throw new AppError('UNAVAILABLE', 'Your order could not be placed right now. Please try again in a moment.');
  }

  /** Runs fn while marking the saga as driven by this process. */
  async drive<T>(orderId: string, fn: () => Promise<T>): Promise<T> {
    this.inFlight.add(orderId);
    try {
      return await fn();
    } finally {
      this.inFlight.delete(orderId);
    }
  }

  /**
   * A request whose key (sameKey) or cart is held by another placement: waits for it to settle and
   * answers with its outcome. Null: it gave the key or the cart up, so the request may start afresh.
   */
  private async follow(first: OrderRow, req: OpenRequest, byLink: boolean, sameKey: boolean): Promise<Order | null> {
    if (sameKey && !mayFollow(first, req.caller)) throw new AppError('ORDER_NOT_FOUND', 'No order was found for this request');
    if (sameKey && first.external_payment !== byLink) {
      throw new AppError('IDEMPOTENCY_CONFLICT', 'This idempotency key was already used to place an order paid another way.', { idempotency_key: req.idempotency_key });
    }
    let row = first;
    const deadline = Date.now() + FOLLOW_WAIT_MS;
    while (!settledSteps.has(row.saga_step) && Date.now() < deadline) {
      await sleep(100);
      row = (await findById(this.ctx.pool, row.id))!;
    }
    const gaveWay = async () => {
      if (sameKey) await supersede(this.ctx.pool, row.id);
      return null;
    };
    // Another placement of the cart that ended without keeping it (refused, failed): this one may take the cart.
    if (!sameKey && (row.saga_step === 'refused' || row.saga_step === 'failed')) return null;
    // Only now, so a stranger's attempt on the cart (refused by the cart service) never locks its owner out.
    if (!sameKey && !mayFollow(row, req.caller)) throw new AppError('CART_FORBIDDEN', 'This cart belongs to another shopper.', { cart_id: req.cart_id });
    if (row.saga_step === 'refused') {
      if (row.refusal?.retryable) return gaveWay();
      throw AppError.fromBody(row.refusal ?? { code: 'UNAVAILABLE', message: interruptedReason });
    }
    // A link that was cancelled or expired unpaid leaves the cart as it was: asking again gets a new link.
    if (row.saga_step === 'failed' && byLink) return gaveWay();
    // A declined payment charged nothing: the same placement with another method is a new attempt.
    const method = 'payment_method_id' in req ? req.payment_method_id : undefined;
    if (sameKey && row.status === 'payment_failed' && method && method !== row.snapshot?.payment_method_id) return gaveWay();
    const settled = isVisible(row) && settledSteps.has(row.saga_step);
    if (!sameKey && settled) {
      if (byLink && !row.external_payment) throw cartOrderedError(row);
      if (!byLink && row.external_payment) {
        if (row.saga_step === 'awaiting_payment') return null; // its link is now open: replace it
        throw linkAlreadyPaidError(row);
      }
    }
    if (settled) return renderOrder(this.ctx.pool, row);
    if (!sameKey) throw orderInProgressError(row);
    throw stillBeingPlacedError(row);
  }

  /**
   * A direct placement takes the cart over from its link order awaiting payment, as cancel_order
   * would: the payment voided (the link closes), then, in one transaction, the link order starts
   * compensating and the direct order is inserted; the link order's stock goes back before the
   * direct one reads the cart. A link that turns out to be paid refuses the placement (confirming
   * that order now if its payment is captured), so the cart is never paid twice.
   */
  private async replaceLinkOrder(link: OrderRow, direct: NewOrder): Promise<OrderRow | null> {
    if (!mayFollow(link, direct.caller)) throw new AppError('CART_FORBIDDEN', 'This cart belongs to another shopper.', { cart_id: direct.cartId });
    return this.drive(link.id, async () => {
      let payment = await paymentOf(this.ctx, link.id);
      let outcome = linkReplacement(payment?.status ?? null);
      if (outcome === 'close' && payment) {
        try {
          await this.ctx.bus.call(paymentsApi.void, { payment_id: payment.id });
        } catch (e) {
          if (!(e instanceof AppError && e.code === 'INVALID_TRANSITION')) throw e;
          // Refused: the link was paid (or closed) just now. A payment still pending was completed on the page and is being captured.
          payment = await paymentOf(this.ctx, link.id);
          outcome = payment?.status === 'pending' ? 'paid' : linkReplacement(payment?.status ?? null);
        }
      }
      if (outcome === 'paid') {
        // Confirm it now rather than wait for the captured event: the refusal names an order that is confirmed.
        if (payment?.status === 'captured') await this.runner.run(link.id, { input: { payment }, triggered: true });
        throw linkAlreadyPaidError(link);
      }
      const reason = outcome === 'closed' ? closedLinkReason(payment!.failure_code) : replacedByDirectPaymentReason(direct.number);
      const row = await withTransaction(this.ctx.pool, async (tx) => {
        if (!(await takeOverFromLink(tx, link.id, reason, direct.id))) return null;
        const inserted = await insertPending(tx, direct);
        if (!inserted) throw lostRace;
        return inserted;
      }).catch((e) => (e === lostRace ? null : Promise.reject(e)));
      if (row) await this.runner.compensate(link.id, [], 'cancelled', reason, 'shopper');
      return row;
    });
  }

  /**
   * The link was paid: confirm exactly as a charged order. `payment` is what the event consumer read
   * back from payments; the step checks it is this order's, captured, for its total.
   */
  async linkPaid(orderId: string, payment: Payment): Promise<Order> {
    const row = (await findById(this.ctx.pool, orderId))!;
    if (row.saga_step === 'awaiting_payment' || row.saga_step === 'charged') {
      await this.runner.run(orderId, { input: { payment }, triggered: row.saga_step === 'awaiting_payment' });
    }
    return this.current(orderId);
  }

  /** The link will not be paid (cancelled on its page, expired, or the shopper cancelled the order): give everything back. */
  async linkClosed(orderId: string, reason: string, actor: Actor = 'system'): Promise<Order> {
    await this.runner.compensate(orderId, ['awaiting_payment'], 'cancelled', reason, actor);
    return this.current(orderId);
  }

  /**
   * A payment captured for an order that is no longer waiting for it (cancelled, or its link closed
   * while the shopper paid): the shopper must not pay for nothing, so it is refunded in full. Same key
   * as compensation's refund, so the money goes back once.
   */
  async refundOrphanPayment(orderId: string, paymentId: string): Promise<void> {
    const row = await findById(this.ctx.pool, orderId);
    // A charged or confirmed order was paid by it; a compensation under way refunds what it finds itself.
    if (!row || (row.saga_step !== 'failed' && row.saga_step !== 'refused')) return;
    const refund = await this.ctx.bus.call(paymentsApi.refund, { payment_id: paymentId, idempotency_key: paymentKeys.refund(orderId), reason: row.reason ?? 'Your order was cancelled.', requested_by: 'orders' });
    this.ctx.logger.warn({ order_id: orderId, payment_id: paymentId, amount: refund.amount }, 'payment captured for a closed order; refunded');
  }

  async current(orderId: string): Promise<Order> {
    return this.answer((await findById(this.ctx.pool, orderId))!);
  }

  private async answer(row: OrderRow): Promise<Order> {
    if (!isVisible(row)) throw AppError.fromBody(row.refusal ?? { code: 'UNAVAILABLE', message: 'Your order is still being placed. Please try again in a moment.' });
    return renderOrder(this.ctx.pool, row);
  }
}

/** Who may be answered with an order: its owner, or the very caller that placed it. */
function mayFollow(row: OrderRow, caller: Caller): boolean {
  return ownedBy(row, caller) || (row.caller.subject === caller.subject && row.caller.conversation === caller.conversation);
}

/** The link of an order that was not refused or cancelled unpaid: open while the order waits for payment, then paid. */
function linkOf(row: OrderRow): CheckoutLink {
  const status: CheckoutLink['status'] =
    row.saga_step === 'awaiting_payment' ? (row.checkout_expires_at! > new Date() ? 'open' : 'expired') : row.saga_step === 'compensating' ? 'canceled' : 'completed';
  return { id: row.checkout_link_id!, url: row.checkout_url!, status, expires_at: row.checkout_expires_at!.toISOString(), payment_id: row.payment_id };
}
