import { AppError, cartConversation, formatMoney, type Cart, type CartMessage, type CheckoutStep, type Payment, type PaymentStatus } from '@shop/contracts';

/**
 * Where a placement saga is. Each step is persisted before the next one starts, so a restarted
 * process knows what was done and what is left. The step lists in app/placement/ name the
 * order of these; both paths begin created → validated → coupon_reserved → reserved, then
 *   charged by the saga: reserved → charging (the charge's intent) → charged → confirmed
 *   paid through a checkout link: reserved → awaiting_payment → charged → confirmed
 *   any failure → compensating → failed (payment_failed / cancelled), or refused (nothing kept)
 */
export const SagaStep = ['created', 'validated', 'coupon_reserved', 'reserved', 'charging', 'awaiting_payment', 'charged', 'confirmed', 'compensating', 'failed', 'refused'] as const;
export type SagaStep = (typeof SagaStep)[number];

export const finishedSteps: ReadonlySet<SagaStep> = new Set(['confirmed', 'failed', 'refused']);

/** Steps where a placement request has its answer: finished, or an order waiting for the shopper to pay the link. */
export const settledSteps: ReadonlySet<SagaStep> = new Set([...finishedSteps, 'awaiting_payment']);

/** How an order is paid: a saved method charged by the saga, or an external checkout link the shopper pays. */
export type PaymentVia = 'saved_method' | 'checkout_link';

/**
 * A step of a placement as recovery sees it: it runs from saga step `from` and lands on `to`; a step
 * that moves money first persists `intent` (written, committed, then the remote call made).
 * `recovery` says what becomes of a saga found at `from` by a process that is not running it:
 * `abandon` (nothing was paid yet: compensate, after the grace period another process may still be
 * within) or `resume` (finishing is idempotent and the shopper may have paid: run the step again at once).
 * A saga found at a step's intent is always resumed after the grace period: the remote call may have
 * happened, and repeating it under the same idempotency key returns what it did.
 */
export interface StepShape {
  name: string;
  from: SagaStep;
  to: SagaStep;
  intent?: SagaStep;
  recovery: 'abandon' | 'resume';
}

export type RecoveryPlan = { do: 'none' } | { do: 'wait' } | { do: 'compensate' } | { do: 'abandon' } | { do: 'resume'; step: string };

/** The step of a list that a saga at `at` is in (about to run, or inside its intent); undefined past the list. */
export function stepAt<S extends StepShape>(steps: readonly S[], at: SagaStep): S | undefined {
  return steps.find((s) => s.from === at || s.intent === at);
}

/** What recovery does with a saga it finds unfinished, derived from the saga's own step list. */
export function recoveryPlan(steps: readonly StepShape[], at: SagaStep, ageMs: number, graceMs: number): RecoveryPlan {
  if (finishedSteps.has(at)) return { do: 'none' };
  if (at === 'compensating') return { do: 'compensate' };
  const step = stepAt(steps, at);
  if (!step) return { do: 'none' };
  const settle = step.intent === at || step.recovery === 'abandon';
  if (settle && ageMs < graceMs) return { do: 'wait' };
  return step.intent === at || step.recovery === 'resume' ? { do: 'resume', step: step.name } : { do: 'abandon' };
}

/** Each step runs from where the one before landed: created first, confirmed last. Throws otherwise. */
export function assertChain(steps: readonly StepShape[]): void {
  let at: SagaStep = 'created';
  for (const s of steps) {
    if (s.from !== at) throw new Error(`step ${s.name} runs from ${s.from}, but the step before lands on ${at}`);
    at = s.to;
  }
  if (at !== 'confirmed') throw new Error(`the last step lands on ${at}, not confirmed`);
}

const stepInstructions: Record<CheckoutStep, string> = {
  shipping_address: 'Add a shipping address',
  shipping_method: 'Choose a shipping method',
  billing_address: 'Add a billing address',
  payment_method: 'Choose a payment method',
  terms: 'Accept the terms and conditions',
};

/** "Add a shipping address first" (and what else is missing) for CHECKOUT_INCOMPLETE. */
export function missingStepsMessage(missing: CheckoutStep[]): string {
  const [first, ...rest] = missing.map((s) => stepInstructions[s]);
  if (!first) return 'Checkout is not complete yet';
  if (!rest.length) return `${first} first`;
  return `${first} first. Still to do: ${rest.map((r) => r.charAt(0).toLowerCase() + r.slice(1)).join(', ')}`;
}

export interface Placeable {
  /** Null when the shopper pays through a checkout link (the method is chosen on the provider's page). */
  paymentMethodId: string | null;
  customer: string;
  /** The owner subject to save the payment method for, when the shopper asked; never a bare conversation. */
  saveMethodFor: string | null;
}

/** Cart messages saying the cart just changed under the shopper: what they confirmed is not what would be charged. */
const changeTypes: ReadonlySet<CartMessage['type']> = new Set(['price_changed', 'quantity_reduced', 'coupon_removed']);

/**
 * CART_CHANGED when re-validating the cart changed it (a price, a quantity lowered to the stock
 * left, a coupon that no longer applies), or its total is not the one the shopper confirmed. The
 * order is not placed: the shopper gets the changes and the new total, and confirms again.
 */
export function cartChangedError(cart: Cart, expectedTotal: number | undefined): AppError | null {
  const changed = cart.messages.some((m) => changeTypes.has(m.type));
  const totalMoved = expectedTotal !== undefined && expectedTotal !== cart.totals.total;
  if (!changed && !totalMoved) return null;
  const total = formatMoney(cart.totals.total, cart.currency);
  const what = changed ? cart.messages.map((m) => m.message).join(' ') : `you confirmed a total of ${formatMoney(expectedTotal!, cart.currency)}.`;
  return new AppError('CART_CHANGED', `Your cart changed: ${what} The total is now ${total}. Nothing was charged.`, {
    messages: cart.messages,
    total: cart.totals.total,
    currency: cart.currency,
    ...(expectedTotal !== undefined ? { expected_total: expectedTotal } : {}),
  });
}

/**
 * Checks the cart as the cart service just re-priced it: refuses an empty cart, a cart that changed
 * from what the shopper confirmed, missing checkout steps and lines the catalog can no longer supply.
 * The payment method may come from the request.
 */
export function checkCartPlaceable(cart: Cart, paymentMethodArg: string | undefined, expectedTotal?: number, via: PaymentVia = 'saved_method'): Placeable {
  if (cart.status !== 'active') throw new AppError('CART_NOT_ACTIVE', 'This cart has already been checked out or has expired', { cart_status: cart.status });
  if (cart.lines.length === 0) throw new AppError('CART_EMPTY', 'Your cart is empty. Add something before placing an order.');
  const changed = cartChangedError(cart, expectedTotal);
  if (changed) throw changed;
  const byLink = via === 'checkout_link';
  if (byLink && cart.totals.total === 0) {
    throw new AppError('CHECKOUT_INCOMPLETE', 'There is nothing to pay for this cart, so no checkout link is needed: place the order instead.', { total: 0 });
  }
  const missing = cart.checkout.missing_steps.filter((s) => !(s === 'payment_method' && (paymentMethodArg || byLink)));
  const paymentMethodId = byLink ? null : (paymentMethodArg ?? cart.checkout.payment_method_id);
  if (!byLink && !paymentMethodId && !missing.includes('payment_method')) missing.push('payment_method');
  if (missing.length || !cart.checkout.shipping_address || !cart.checkout.shipping_method) {
    const steps = missing.length ? missing : (['shipping_address'] as CheckoutStep[]);
    throw new AppError('CHECKOUT_INCOMPLETE', missingStepsMessage(steps), { missing_steps: steps });
  }
  const short = cart.lines.filter((l) => l.available < l.quantity);
  if (short.length) {
    throw new AppError('OUT_OF_STOCK', shortageMessage(short.map((l) => ({ name: l.name, available: l.available }))), {
      items: short.map((l) => ({ variant_id: l.variant_id, name: l.name, requested: l.quantity, available: l.available })),
    });
  }
  // A cart created without a conversation is its own (cart:<id>, the cart service sets it): so is
  // one from before that rule, rather than refusing a shopper whose client sends no conversation id.
  const customer = cart.owner_subject ?? cart.conversation ?? cartConversation(cart.id);
  // A method chosen on the provider's page is not one of the shopper's saved methods: nothing to save.
  const saveMethodFor = !byLink && cart.checkout.save_payment_method && cart.owner_subject ? cart.owner_subject : null;
  return { paymentMethodId, customer, saveMethodFor };
}

export function shortageMessage(items: { name: string; available: number }[]): string {
  const parts = items.map((i) => (i.available === 0 ? `${i.name} is out of stock` : `only ${i.available} of ${i.name} ${i.available === 1 ? 'is' : 'are'} available`));
  const text = parts.join('; ');
  return text.charAt(0).toUpperCase() + text.slice(1);
}

/** Idempotency keys sent to payments: one charge (or checkout link) and one refund per order, however often retried. */
export const paymentKeys = {
  charge: (orderId: string) => `order:${orderId}`,
  link: (orderId: string) => `order:${orderId}:link`,
  refund: (orderId: string) => `order:${orderId}:refund`,
};

/**
 * How long stock is held for an order paid through a link: the link's whole lifetime plus the usual
 * saga hold, so a payment made in the link's last minute still finds its stock (the catalog's limit is a day).
 */
export function linkReservationTtlSeconds(linkMinutes: number, holdSeconds: number): number {
  return Math.min(86_400, linkMinutes * 60 + holdSeconds);
}

/** Why an order awaiting its checkout link's payment was cancelled, from the payment's failure code. */
export function closedLinkReason(failureCode: string | null): string {
  if (failureCode === 'checkout_expired') return checkoutExpiredReason;
  if (failureCode === 'checkout_canceled') return 'The payment was cancelled on the checkout page, so the order was cancelled. You have not been charged.';
  return 'The payment through the checkout link did not go through, so the order was cancelled. You have not been charged.';
}
/**
 * How a direct placement treats a link order of the same cart, from that order's payment as payments
 * reports it: `close` (not paid: void it, which closes the link, and cancel the order), `paid` (the
 * link was paid: the placement is refused), or `closed` (the link was already cancelled or expired:
 * cancel the order, nothing to void).
 */
export function linkReplacement(paymentStatus: PaymentStatus | null): 'close' | 'paid' | 'closed' {
  if (paymentStatus === null || paymentStatus === 'pending') return 'close';
  if (paymentStatus === 'voided' || paymentStatus === 'canceled' || paymentStatus === 'failed') return 'closed';
  return 'paid';
}

/** The reason recorded on a link order cancelled because the shopper placed the cart directly. */
export function replacedByDirectPaymentReason(newOrderNumber: string): string {
  return `Replaced by a direct payment (order ${newOrderNumber}). The checkout link was closed and you have not been charged for this order.`;
}

/** A direct placement for a cart whose checkout link was already paid: refused, nothing charged. */
export function linkAlreadyPaidError(order: { id: string; number: string }): AppError {
  return new AppError('CART_NOT_ACTIVE', `This cart was already paid through the checkout link: order ${order.number}. Nothing was charged again.`, {
    order_id: order.id,
    order_number: order.number,
  });
}

/** The other order a cart was converted into, when converting it for orderId was refused for that reason. */
export function convertedByAnotherOrder(e: unknown, orderId: string): string | null {
  if (!(e instanceof AppError) || e.code !== 'CART_NOT_ACTIVE') return null;
  const other = e.details?.order_id;
  return typeof other === 'string' && other !== orderId ? other : null;
}

/** Why a paid order was cancelled: its cart had meanwhile become another order (the shopper paid twice). */
export function convertedElsewhereReason(otherOrderNumber: string | null): string {
  const other = otherOrderNumber ? `order ${otherOrderNumber}` : 'another order';
  return `This cart was already checked out as ${other}, so this order was cancelled and your payment refunded.`;
}

export const checkoutExpiredReason = 'The checkout link expired before it was paid, so the order was cancelled. You have not been charged.';
export const linkUnavailableReason = 'We could not create a checkout link right now, so the order was cancelled. You have not been charged. Please try again.';

/** The shopper-readable reason for a payment that needs extra authentication we cannot do here. */
export const requiresActionReason =
  'Your bank asked for an extra verification step that cannot be completed here. Please use another payment method.';
export const declinedFallbackReason = 'Your payment was declined. Please use another payment method.';

/**
 * Why a payment does not pay for this order, or null when it does: it must be this order's payment,
 * captured, for the order's total in its currency. A link order is confirmed only on a payment read
 * back from payments that passes this, whatever an event claimed.
 */
export function linkPaymentMismatch(order: { id: string; total: number | null; currency: string }, payment: Pick<Payment, 'order_id' | 'status' | 'amount' | 'amount_captured' | 'currency'>): string | null {
  if (payment.order_id !== order.id) return `the payment belongs to order ${payment.order_id}`;
  if (payment.status !== 'captured') return `the payment is ${payment.status}, not captured`;
  if (payment.currency !== order.currency) return `the payment is in ${payment.currency}, the order in ${order.currency}`;
  if (payment.amount !== order.total || payment.amount_captured !== order.total) return `the payment captured ${payment.amount_captured} of ${payment.amount}, the order's total is ${order.total}`;
  return null;
}

/**
 * The placement under this key has not settled: a charge whose outcome is not known yet (payments
 * did not answer), or a step waiting on a service. It is not an order placed, so it is not answered
 * as one: asking again under the key gets its outcome once it has one.
 */
export function stillBeingPlacedError(order: { id: string; number: string }): AppError {
  return new AppError('UNAVAILABLE', `Your order ${order.number} is still being placed. Please try again in a moment.`, { order_id: order.id, order_number: order.number });
}

/** Another placement of the same cart has not finished yet: this one reserved and charged nothing. */
export function orderInProgressError(order: { id: string; number: string }): AppError {
  return new AppError(
    'ORDER_IN_PROGRESS',
    `This cart is already being placed as order ${order.number}. Nothing more was reserved or charged: check that order's status in a moment.`,
    { order_id: order.id, order_number: order.number },
  );
}

/** A checkout link asked for a cart that was already ordered and paid directly. */
export function cartOrderedError(order: { id: string; number: string }): AppError {
  return new AppError('CART_NOT_ACTIVE', `This cart was already ordered: order ${order.number}. Nothing was charged again.`, {
    order_id: order.id,
    order_number: order.number,
  });
}

export const interruptedReason = 'We could not finish placing your order, so it was cancelled. You have not been charged.';
export const lostReservationReason = 'Your items could not be held while your payment went through, so the order was cancelled and your payment refunded.';
