import { TERMS_VERSION, type Address, type CheckoutState, type CheckoutStep, type ShippingMethod } from '@shop/contracts';

export interface StoredCheckout {
  shipping_address: Address | null;
  shipping_method: ShippingMethod | null;
  billing_same_as_shipping: boolean;
  billing_address: Address | null;
  payment_method_id: string | null;
  terms_accepted: boolean;
  /** The terms version accepted; null when not accepted or accepted before versions were recorded. */
  terms_version: string | null;
  started: boolean;
  preferred_delivery_date: string | null;
  delivery_instructions: string | null;
  save_payment_method: boolean;
}

/** A checkout nobody has filled in: what a new cart holds. */
export function emptyCheckout(): StoredCheckout {
  return {
    shipping_address: null,
    shipping_method: null,
    billing_same_as_shipping: true,
    billing_address: null,
    payment_method_id: null,
    terms_accepted: false,
    terms_version: null,
    started: false,
    preferred_delivery_date: null,
    delivery_instructions: null,
    save_payment_method: false,
  };
}

/** Terms count as accepted only in the version the store has now: new terms must be accepted again. */
function termsAccepted(c: StoredCheckout): boolean {
  return c.terms_accepted && c.terms_version === TERMS_VERSION;
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
      return termsAccepted(c);
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
    terms_accepted: termsAccepted(c),
    terms_version: c.terms_version,
    preferred_delivery_date: c.preferred_delivery_date,
    delivery_instructions: c.delivery_instructions,
    save_payment_method: c.save_payment_method,
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
  preferred_delivery_date?: string | null;
  delivery_instructions?: string | null;
  save_payment_method?: boolean;
}

/**
 * Applies the provided steps. Giving a billing address means billing differs, unless the caller says otherwise.
 * Accepting the terms records their current version; null clears a delivery preference.
 */
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
  if (change.accept_terms !== undefined) {
    next.terms_accepted = change.accept_terms;
    next.terms_version = change.accept_terms ? TERMS_VERSION : null;
  }
  if (change.preferred_delivery_date !== undefined) next.preferred_delivery_date = change.preferred_delivery_date;
  if (change.delivery_instructions !== undefined) next.delivery_instructions = change.delivery_instructions;
  if (change.save_payment_method !== undefined) next.save_payment_method = change.save_payment_method;
  return next;
}
