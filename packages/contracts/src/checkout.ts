import { z } from 'zod';
import { FreeText, noCardNumber } from './common.js';
import { CARD_DATA_RULE } from './errors.js';
import { COUNTRY_CODE, isUsState, postalCodeRules, textLimits } from './rules/index.js';

/** A required address field: free text, trimmed, non-empty. */
const Field = (max: number) => FreeText(max, { min: 1, minMessage: 'is required' });
/** An optional address field: free text, empty allowed. */
const OptionalField = (max: number) => FreeText(max).optional().nullable();

export const Country = z
  .string()
  .trim()
  .toUpperCase()
  .regex(COUNTRY_CODE, 'must be a 2-letter ISO country code (e.g. US)');

export const Address = z
  .object({
    name: Field(textLimits.personName),
    line1: Field(textLimits.addressLine),
    line2: OptionalField(textLimits.addressLine),
    city: Field(textLimits.city),
    state: OptionalField(textLimits.state),
    postal_code: Field(textLimits.postalCode),
    country: Country,
    phone: z
      .string()
      .trim()
      .regex(/^\+?[0-9 ().-]{7,20}$/, 'must be a phone number (7–20 digits, spaces, + ( ) . -)')
      .superRefine(noCardNumber)
      .optional()
      .nullable(),
  })
  .strict()
  .superRefine((a, ctx) => {
    const rule = postalCodeRules[a.country];
    if (rule && !rule.pattern.test(a.postal_code)) {
      ctx.addIssue({ code: 'custom', path: ['postal_code'], message: `must be a valid ${a.country} postal code (e.g. ${rule.example})` });
    }
    if (a.country === 'US') {
      if (!a.state) ctx.addIssue({ code: 'custom', path: ['state'], message: 'is required for US addresses' });
      else if (!isUsState(a.state)) ctx.addIssue({ code: 'custom', path: ['state'], message: 'must be a 2-letter US state code (e.g. CA)' });
    }
  });
export type Address = z.infer<typeof Address>;

/** The same names as the rules' ShippingMethodName (shippingMethods holds their windows). */
export const ShippingMethod = z.enum(['standard', 'express']);
export type ShippingMethod = z.infer<typeof ShippingMethod>;

/** The version of the store's terms a shopper accepts at checkout; the cart records it and orders snapshot it. */
export const TERMS_VERSION = '2026-11-01';

export const CheckoutStep = z.enum(['shipping_address', 'shipping_method', 'billing_address', 'payment_method', 'terms']);
export type CheckoutStep = z.infer<typeof CheckoutStep>;

/**
 * A provider payment-method id: Stripe's pm_ plus alphanumerics (pm_1Nq…), its test tokens and
 * the demo ids (pm_card_visa, pm_demo_visa_4242). Never card data: no run of 13 or more digits,
 * so pm_4242424242424242 is refused as card data.
 */
export const PaymentMethodId = z
  .string()
  .trim()
  .max(100, 'must be at most 100 characters')
  .regex(/^pm_[A-Za-z0-9]+(?:_[A-Za-z0-9]+)*$/, 'must be a saved payment method id (pm_…), never card details')
  .superRefine((value, ctx) => {
    if (/\d{13}/.test(value)) ctx.addIssue({ code: 'custom', message: 'must not contain a card number', params: { rule: CARD_DATA_RULE, kind: 'card_number' } });
  });
