import { AppError, type PaymentStatus } from '@shop/contracts';

/** What moves a payment: the provider's report, or one of our own commands. */
export type Cause = 'provider' | 'capture' | 'void' | 'refund';

type Table = Record<PaymentStatus, Partial<Record<PaymentStatus, readonly Cause[]>>>;

/**
 * Every allowed transition and the causes that may make it. Missing means forbidden:
 * failed, voided, canceled and refunded are terminal; only refunds move a captured payment.
 */
export const transitions: Table = {
  pending: {
    requires_action: ['provider'],
    authorized: ['provider'],
    captured: ['provider'],
    failed: ['provider'],
    voided: ['void'],
    canceled: ['provider'],
  },
  requires_action: {
    authorized: ['provider'],
    captured: ['provider'],
    failed: ['provider'],
    voided: ['void'],
    canceled: ['provider'],
  },
  authorized: {
    captured: ['capture', 'provider'],
    voided: ['void'],
    canceled: ['provider'],
  },
  captured: {
    partially_refunded: ['refund'],
    refunded: ['refund'],
  },
  partially_refunded: {
    partially_refunded: ['refund'],
    refunded: ['refund'],
  },
  refunded: {},
  voided: {},
  failed: {},
  canceled: {},
};

export function canTransition(from: PaymentStatus, to: PaymentStatus, cause: Cause): boolean {
  return transitions[from][to]?.includes(cause) ?? false;
}

export function assertTransition(from: PaymentStatus, to: PaymentStatus, cause: Cause): void {
  if (!canTransition(from, to, cause)) {
    throw new AppError('INVALID_TRANSITION', `A ${from.replace('_', ' ')} payment cannot be ${verbs[cause]}.`, { from, to, cause });
  }
}

const verbs: Record<Cause, string> = { provider: `updated that way`, capture: 'captured', void: 'voided', refund: 'refunded' };

export function isTerminal(status: PaymentStatus): boolean {
  return Object.keys(transitions[status]).length === 0;
}

/** The status after a refund, from the captured and (new) refunded totals. */
export function statusAfterRefund(amountCaptured: number, amountRefunded: number): PaymentStatus {
  return amountRefunded >= amountCaptured ? 'refunded' : 'partially_refunded';
}

export type RefundCheck = { ok: true; amount: number } | { ok: false; remaining: number };

/** A refund never exceeds what was captured and not yet refunded; no amount means all of it. */
export function refundAmount(amountCaptured: number, amountRefunded: number, requested: number | undefined): RefundCheck {
  const remaining = amountCaptured - amountRefunded;
  const amount = requested ?? remaining;
  if (remaining <= 0 || amount <= 0 || amount > remaining) return { ok: false, remaining: Math.max(0, remaining) };
  return { ok: true, amount };
}
