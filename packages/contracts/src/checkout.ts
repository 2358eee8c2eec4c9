import { z } from 'zod';

const Field = (max: number) => z.string().trim().min(1, 'is required').max(max, `must be at most ${max} characters`);

export const Country = z
  .string()
  .trim()
  .toUpperCase()
  .regex(/^[A-Z]{2}$/, 'must be a 2-letter ISO country code (e.g. US)');

/** Postal-code formats by country; others get a generic sanity rule. */
export const postalCodeRules: Record<string, { pattern: RegExp; example: string }> = {
  US: { pattern: /^\d{5}(-\d{4})?$/, example: '94107 or 94107-1234' },
  CA: { pattern: /^[A-Za-z]\d[A-Za-z][ -]?\d[A-Za-z]\d$/, example: 'K1A 0B1' },
  GB: { pattern: /^[A-Za-z]{1,2}\d[A-Za-z\d]? ?\d[A-Za-z]{2}$/, example: 'SW1A 1AA' },
  DE: { pattern: /^\d{5}$/, example: '10115' },
  FR: { pattern: /^\d{5}$/, example: '75001' },
};
export const US_STATES = new Set(
  'AL AK AZ AR CA CO CT DE FL GA HI ID IL IN IA KS KY LA ME MD MA MI MN MS MO MT NE NV NH NJ NM NY NC ND OH OK OR PA RI SC SD TN TX UT VT VA WA WV WI WY DC PR'.split(' '),
);

export const Address = z
  .object({
    name: Field(100),
    line1: Field(200),
    line2: z.string().trim().max(200).optional().nullable(),
    city: Field(100),
    state: z.string().trim().max(100).optional().nullable(),
    postal_code: Field(20),
    country: Country,
    phone: z.string().trim().regex(/^\+?[0-9 ().-]{7,20}$/, 'must be a phone number (7–20 digits, spaces, + ( ) . -)').optional().nullable(),
  })
  .strict()
  .superRefine((a, ctx) => {
    const rule = postalCodeRules[a.country];
    if (rule && !rule.pattern.test(a.postal_code)) {
      ctx.addIssue({ code: 'custom', path: ['postal_code'], message: `must be a valid ${a.country} postal code (e.g. ${rule.example})` });
    }
    if (a.country === 'US') {
      if (!a.state) ctx.addIssue({ code: 'custom', path: ['state'], message: 'is required for US addresses' });
      else if (!US_STATES.has(a.state.toUpperCase())) ctx.addIssue({ code: 'custom', path: ['state'], message: 'must be a 2-letter US state code (e.g. CA)' });
    }
  });
export type Address = z.infer<typeof Address>;

export const ShippingMethod = z.enum(['standard', 'express']);
export type ShippingMethod = z.infer<typeof ShippingMethod>;

export const shippingMethods: Record<ShippingMethod, { label: string; minBusinessDays: number; maxBusinessDays: number }> = {
  standard: { label: 'Standard (5–7 business days)', minBusinessDays: 5, maxBusinessDays: 7 },
  express: { label: 'Express (2–3 business days)', minBusinessDays: 2, maxBusinessDays: 3 },
};

/** The version of the store's terms a shopper accepts at checkout; the cart records it and orders snapshot it. */
export const TERMS_VERSION = '2026-11-01';

/** Delivery instructions are at most this many characters (as JavaScript counts them). */
export const MAX_DELIVERY_INSTRUCTIONS = 500;
/** A preferred delivery date is at most this many calendar days after today. */
export const MAX_PREFERRED_DELIVERY_DAYS = 30;

export const CheckoutStep = z.enum(['shipping_address', 'shipping_method', 'billing_address', 'payment_method', 'terms']);
export type CheckoutStep = z.infer<typeof CheckoutStep>;

/** A provider payment-method token id (e.g. pm_card_visa, pm_demo_visa_4242). Never card data. */
export const PaymentMethodId = z
  .string()
  .trim()
  .regex(/^pm_[A-Za-z0-9_]{1,100}$/, 'must be a saved payment method id (pm_…), never card details');
