/**
 * Stripe-shaped events the demo pages produce, so a demo approval travels the same path as a
 * real webhook (recorded once by event id, then applied by the same handler).
 */

export interface DemoLink {
  id: string;
  cart_id: string;
  customer: string;
  amount: number;
  currency: string;
}

export function demoCheckoutCompletedEvent(link: DemoLink, nowSeconds: number) {
  return {
    id: `evt_demo_${link.id}_completed`,
    object: 'event',
    type: 'checkout.session.completed',
    created: nowSeconds,
    livemode: false,
    data: {
      object: {
        id: link.id,
        object: 'checkout.session',
        mode: 'payment',
        status: 'complete',
        payment_status: 'paid',
        amount_total: link.amount,
        currency: link.currency.toLowerCase(),
        client_reference_id: link.cart_id,
        metadata: { cart_id: link.cart_id, customer: link.customer },
        payment_intent: `pi_demo_${link.id.replace(/^cs_demo_/, '')}`,
      },
    },
  };
}

export interface DemoAuthPayment {
  id: string;
  provider_ref: string;
  amount: number;
  currency: string;
  capture: boolean;
  payment_method_id: string | null;
}

/** The shopper's answer on the demo authentication page; one event id per payment, whichever answer came first. */
export function demoAuthenticationEvent(p: DemoAuthPayment, approved: boolean, nowSeconds: number) {
  const base = { id: p.provider_ref, object: 'payment_intent', amount: p.amount, currency: p.currency.toLowerCase(), payment_method: p.payment_method_id };
  const object = approved
    ? { ...base, status: p.capture ? 'succeeded' : 'requires_capture', amount_received: p.capture ? p.amount : 0, last_payment_error: null }
    : {
        ...base,
        status: 'requires_payment_method',
        amount_received: 0,
        last_payment_error: { code: 'payment_intent_authentication_failure', message: 'The provided payment method has failed authentication.' },
      };
  const type = !approved ? 'payment_intent.payment_failed' : p.capture ? 'payment_intent.succeeded' : 'payment_intent.amount_capturable_updated';
  return { id: `evt_demo_${p.id.replace(/-/g, '')}_authentication`, object: 'event', type, created: nowSeconds, livemode: false, data: { object } };
}
