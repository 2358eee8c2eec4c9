import type { PaymentStatus } from '@shop/contracts';
import { failureMessageFor } from './demo-methods.js';
import type { MethodSummary, ProviderEvent, ProviderPayment } from './provider.js';

/** The parts of a Stripe PaymentIntent this service reads. */
export interface IntentLike {
  id: string;
  status: string;
  amount_received?: number | null;
  payment_method?: string | { id: string; card?: { brand?: string | null; last4?: string | null } | null } | null;
  last_payment_error?: { code?: string | null; decline_code?: string | null; message?: string | null } | null;
  next_action?: { type?: string; redirect_to_url?: { url?: string | null } | null } | null;
}

/** Stripe's intent statuses in our terms. */
export function statusFromIntent(intent: Pick<IntentLike, 'status' | 'last_payment_error'>): PaymentStatus {
  switch (intent.status) {
    case 'requires_payment_method':
      // After a decline Stripe returns the intent to requires_payment_method with the error attached.
      return intent.last_payment_error ? 'failed' : 'pending';
    case 'requires_confirmation':
    case 'processing':
      return 'pending';
    case 'requires_action':
      return 'requires_action';
    case 'requires_capture':
      return 'authorized';
    case 'succeeded':
      return 'captured';
    case 'canceled':
      return 'canceled';
    default:
      return 'pending';
  }
}

/** The decline code when it is specific (insufficient_funds), else the error code (card_declined). */
export function failureCode(error: { code?: string | null; decline_code?: string | null }): string {
  if (error.decline_code && error.decline_code !== 'generic_decline') return error.decline_code;
  return error.code ?? error.decline_code ?? 'card_declined';
}

export function paymentFromIntent(intent: IntentLike, fallbackMethod: MethodSummary): ProviderPayment {
  const status = statusFromIntent(intent);
  const pm = intent.payment_method;
  const method: MethodSummary =
    pm && typeof pm === 'object'
      ? { id: pm.id, brand: pm.card?.brand ?? fallbackMethod.brand, last4: pm.card?.last4 ?? fallbackMethod.last4 }
      : { ...fallbackMethod, id: typeof pm === 'string' ? pm : fallbackMethod.id };
  const error = intent.last_payment_error;
  const code = status === 'failed' && error ? failureCode(error) : null;
  return {
    providerRef: intent.id,
    status,
    amountCaptured: status === 'captured' ? (intent.amount_received ?? 0) : 0,
    method,
    failureCode: code,
    failureMessage: code ? failureMessageFor(code, error?.message) : null,
    nextActionUrl: status === 'requires_action' ? (intent.next_action?.redirect_to_url?.url ?? null) : null,
  };
}

interface EventLike {
  id: string;
  type: string;
  data: { object: Record<string, unknown> };
}

function isEventLike(v: unknown): v is EventLike {
  const e = v as EventLike;
  return !!e && typeof e.id === 'string' && typeof e.type === 'string' && !!e.data && typeof e.data.object === 'object' && e.data.object !== null;
}

/** An expandable Stripe reference: the id, whether Stripe sent the id or the object. */
function refId(v: unknown): string | null {
  if (typeof v === 'string') return v;
  if (v && typeof v === 'object' && typeof (v as { id?: unknown }).id === 'string') return (v as { id: string }).id;
  return null;
}

const noMethod: MethodSummary = { id: null, brand: null, last4: null };

/**
 * Reduces a Stripe-shaped event (a real webhook, or one the demo pages produce) to what the
 * service acts on. Anything else is acknowledged and ignored.
 */
export function interpretStripeEvent(payload: unknown): ProviderEvent {
  if (!isEventLike(payload)) return { id: String((payload as { id?: unknown })?.id ?? ''), kind: 'ignored', type: 'malformed' };
  const { id, type } = payload;
  const object = payload.data.object;
  switch (type) {
    case 'payment_intent.succeeded':
    case 'payment_intent.amount_capturable_updated':
    case 'payment_intent.payment_failed':
    case 'payment_intent.canceled':
    case 'payment_intent.requires_action':
    case 'payment_intent.processing': {
      const intent = object as unknown as IntentLike;
      if (typeof intent.id !== 'string') return { id, kind: 'ignored', type };
      return { id, kind: 'payment_updated', providerRef: intent.id, payment: paymentFromIntent(intent, noMethod) };
    }
    case 'checkout.session.completed':
    case 'checkout.session.async_payment_succeeded': {
      if (typeof object.id !== 'string') return { id, kind: 'ignored', type };
      if (object.mode === 'setup') {
        // A setup session (a card added to an account): nothing was paid; its SetupIntent holds the card.
        const setup = refId(object.setup_intent);
        if (type !== 'checkout.session.completed' || !setup) return { id, kind: 'ignored', type };
        return { id, kind: 'setup_completed', checkoutId: object.id, setupIntentRef: setup, providerCustomer: refId(object.customer) };
      }
      // A session paid asynchronously completes first with payment_status "unpaid"; wait for its success event.
      if (type === 'checkout.session.completed' && object.payment_status === 'unpaid') return { id, kind: 'ignored', type };
      const intent = object.payment_intent;
      return {
        id,
        kind: 'checkout_completed',
        checkoutId: object.id,
        providerPaymentRef: refId(intent),
        amount: typeof object.amount_total === 'number' ? object.amount_total : null,
      };
    }
    case 'checkout.session.expired':
      return typeof object.id === 'string' ? { id, kind: 'checkout_expired', checkoutId: object.id } : { id, kind: 'ignored', type };
    default:
      return { id, kind: 'ignored', type };
  }
}
