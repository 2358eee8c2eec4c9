import { AppError, type OrderStatus } from '@shop/contracts';

/** Who asks for a change: the saga and recovery (system), the shopper, or fulfilment staff. */
export type Actor = 'system' | 'shopper' | 'fulfilment';

interface Transition {
  from: OrderStatus;
  to: OrderStatus;
  by: readonly Actor[];
}

/** Every allowed status change; anything not listed is refused. */
export const transitions: readonly Transition[] = [
  { from: 'pending', to: 'confirmed', by: ['system'] },
  { from: 'pending', to: 'payment_failed', by: ['system'] },
  // The saga gives up on an order (stock ran out, a step failed and was compensated).
  { from: 'pending', to: 'cancelled', by: ['system'] },
  { from: 'confirmed', to: 'shipped', by: ['fulfilment'] },
  { from: 'confirmed', to: 'cancelled', by: ['shopper', 'system'] },
  { from: 'shipped', to: 'delivered', by: ['fulfilment'] },
  // A refund made at payments before the order shipped (orders learns it from evt.payment.refunded).
  { from: 'confirmed', to: 'refunded', by: ['system'] },
  // A return (refund_order) within the returns window, or a refund made at payments.
  { from: 'shipped', to: 'refunded', by: ['shopper', 'system'] },
  { from: 'delivered', to: 'refunded', by: ['shopper', 'system', 'fulfilment'] },
];

export function canTransition(from: OrderStatus, to: OrderStatus, by: Actor): boolean {
  return transitions.some((t) => t.from === from && t.to === to && t.by.includes(by));
}

/** Throws INVALID_TRANSITION with a message a shopper can read when the change is not allowed. */
export function assertTransition(order: { number: string; status: OrderStatus }, to: OrderStatus, by: Actor): void {
  if (canTransition(order.status, to, by)) return;
  throw new AppError('INVALID_TRANSITION', refusalMessage(order.number, order.status, to), { from: order.status, to, actor: by });
}

function refusalMessage(number: string, from: OrderStatus, to: OrderStatus): string {
  if (to === 'cancelled') {
    if (from === 'shipped' || from === 'delivered') return `Order ${number} has already shipped and can no longer be cancelled`;
    if (from === 'pending') return `Order ${number} is still being placed; please try again in a moment`;
    if (from === 'cancelled') return `Order ${number} is already cancelled`;
    return `Order ${number} is ${describe(from)} and cannot be cancelled`;
  }
  if (to === 'refunded') {
    if (from === 'refunded') return `Order ${number} has already been refunded`;
    if (from === 'confirmed') return `Order ${number} has not shipped yet: cancel it instead, and the payment is refunded in full`;
    if (from === 'cancelled') return `Order ${number} was cancelled; any payment was already refunded`;
    return `Order ${number} is ${describe(from)} and cannot be refunded`;
  }
  if ((to === 'shipped' || to === 'delivered') && from === 'refunded') return `Order ${number} was refunded, so it can no longer be ${to}`;
  if (to === 'shipped' && from === 'shipped') return `Order ${number} has already shipped`;
  if (to === 'delivered' && from === 'delivered') return `Order ${number} has already been delivered`;
  if (to === 'delivered' && from === 'confirmed') return `Order ${number} has not shipped yet, so it cannot be delivered`;
  return `Order ${number} is ${describe(from)} and cannot become ${describe(to)}`;
}

function describe(status: OrderStatus): string {
  return status === 'payment_failed' ? 'failed (payment)' : status;
}

const DAY_MS = 86_400_000;

/**
 * A shipped order may be returned (it has not been delivered yet); a delivered one within `days`
 * of its delivery, as the returns policy says.
 */
export function returnWindowOpen(status: OrderStatus, deliveredAt: Date | null, now: Date, days: number): boolean {
  if (status === 'shipped') return true;
  if (status !== 'delivered' || !deliveredAt) return false;
  return now.getTime() <= deliveredAt.getTime() + days * DAY_MS;
}
