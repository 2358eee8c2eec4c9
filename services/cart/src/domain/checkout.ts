import type { Address, CheckoutState, CheckoutStep, ShippingMethod } from '@shop/contracts';

export interface StoredCheckout {
  shipping_address: Address | null;
  shipping_method: ShippingMethod | null;
  billing_same_as_shipping: boolean;
  billing_address: Address | null;
  payment_method_id: string | null;
  terms_accepted: boolean;
  started: boolean;
}

const stepOrder: CheckoutStep[] = ['shipping_address', 'shipping_method', 'billing_address', 'payment_method', 'terms'];

function stepDone(step: CheckoutStep, c: StoredCheckout): boolean {
  switch (step) {
    case 'shipping_address':
      return c.shipping_address !== null;
    case 'shipping_method':
      return c.shipping_method !== null;
    case 'billing_address':
      return c.billing_same_as_shipping ? c.shipping_address !== null : c.billing_address !== null;
    case 'payment_method':
      return c.payment_method_id !== null;
    case 'terms':
      return c.terms_accepted;
  }
}

/**
 * The checkout progress a shopper sees. `ready` also needs a cart that can be bought
 * (not empty, every line available), so a widget can enable "Place order" from it alone.
 */
export function checkoutState(c: StoredCheckout, cartPurchasable: boolean): CheckoutState {
  const completed = stepOrder.filter((s) => stepDone(s, c));
  const missing = stepOrder.filter((s) => !stepDone(s, c));
  return {
    shipping_address: c.shipping_address,
    shipping_method: c.shipping_method,
    billing_same_as_shipping: c.billing_same_as_shipping,
    billing_address: c.billing_same_as_shipping ? c.shipping_address : c.billing_address,
    payment_method_id: c.payment_method_id,
    terms_accepted: c.terms_accepted,
    completed_steps: completed,
    missing_steps: missing,
    ready: missing.length === 0 && cartPurchasable,
    started: c.started,
  };
}

export interface CheckoutChange {
  shipping_address?: Address;
  shipping_method?: ShippingMethod;
  billing_same_as_shipping?: boolean;
  billing_address?: Address;
  payment_method_id?: string;
  accept_terms?: boolean;
}

/** Applies the provided steps. Giving a billing address means billing differs, unless the caller says otherwise. */
export function applyCheckoutChange(c: StoredCheckout, change: CheckoutChange): StoredCheckout {
  const next = { ...c };
  if (change.shipping_address !== undefined) next.shipping_address = change.shipping_address;
  if (change.shipping_method !== undefined) next.shipping_method = change.shipping_method;
  if (change.billing_address !== undefined) {
    next.billing_address = change.billing_address;
    next.billing_same_as_shipping = false;
  }
  if (change.billing_same_as_shipping !== undefined) next.billing_same_as_shipping = change.billing_same_as_shipping;
  if (change.payment_method_id !== undefined) next.payment_method_id = change.payment_method_id;
  if (change.accept_terms !== undefined) next.terms_accepted = change.accept_terms;
  return next;
}
