import type { SavedPaymentMethod } from '@shop/contracts';

export type DemoOutcome =
  | { kind: 'succeeds' }
  | { kind: 'declined'; code: 'card_declined' | 'insufficient_funds' }
  | { kind: 'requires_action' };

export interface DemoMethod {
  id: string;
  brand: string;
  last4: string;
  label: string;
  outcome: DemoOutcome;
}

/**
 * The test cards: offered to everyone, signed in or not, and the cards the demo setup page adds to
 * an account. The ids are Stripe's own test PaymentMethods, so the same ids behave the same way in
 * Stripe test mode. Each label says it is a test card ("Test card: …").
 */
export const demoMethods: readonly DemoMethod[] = [
  { id: 'pm_card_visa', brand: 'visa', last4: '4242', label: 'Test card: Visa ending in 4242', outcome: { kind: 'succeeds' } },
  { id: 'pm_card_mastercard', brand: 'mastercard', last4: '4444', label: 'Test card: Mastercard ending in 4444', outcome: { kind: 'succeeds' } },
  { id: 'pm_card_chargeDeclined', brand: 'visa', last4: '0002', label: 'Test card: Visa ending in 0002 (always declined)', outcome: { kind: 'declined', code: 'card_declined' } },
  {
    id: 'pm_card_chargeDeclinedInsufficientFunds',
    brand: 'visa',
    last4: '9995',
    label: 'Test card: Visa ending in 9995 (insufficient funds)',
    outcome: { kind: 'declined', code: 'insufficient_funds' },
  },
  { id: 'pm_card_authenticationRequired', brand: 'visa', last4: '3184', label: 'Test card: Visa ending in 3184 (asks for authentication)', outcome: { kind: 'requires_action' } },
];

const byId = new Map(demoMethods.map((m) => [m.id, m]));

export function findDemoMethod(id: string): DemoMethod | undefined {
  return byId.get(id);
}

/** The test cards as a list of methods; the first is the default of someone who saved none. */
export function testCardMethods(): SavedPaymentMethod[] {
  return demoMethods.map((m, i) => ({ id: m.id, brand: m.brand, last4: m.last4, label: m.label, is_default: i === 0, saved: false }));
}

/** Messages a shopper can read, by failure code (Stripe's codes and decline codes). */
const failureMessages: Record<string, string> = {
  card_declined: 'Your card was declined.',
  generic_decline: 'Your card was declined.',
  insufficient_funds: 'Your card has insufficient funds.',
  expired_card: 'Your card has expired.',
  incorrect_cvc: "Your card's security code is incorrect.",
  processing_error: 'An error occurred while processing your card. Please try again.',
  authentication_required: 'Your bank could not authenticate this payment.',
  payment_intent_authentication_failure: 'Your bank could not authenticate this payment.',
  lost_card: 'Your card was declined.',
  stolen_card: 'Your card was declined.',
  fraudulent: 'Your card was declined.',
};

export function failureMessageFor(code: string, providerMessage?: string | null): string {
  return failureMessages[code] ?? providerMessage ?? 'Your payment could not be completed.';
}
