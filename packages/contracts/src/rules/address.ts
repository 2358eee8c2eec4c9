// Postal rules both the schemas and the checkout widget apply.

/** Postal-code formats by country; others get only the length limit. */
export const postalCodeRules: Record<string, { pattern: RegExp; example: string }> = {
  US: { pattern: /^\d{5}(-\d{4})?$/, example: '94107 or 94107-1234' },
  CA: { pattern: /^[A-Za-z]\d[A-Za-z][ -]?\d[A-Za-z]\d$/, example: 'K1A 0B1' },
  GB: { pattern: /^[A-Za-z]{1,2}\d[A-Za-z\d]? ?\d[A-Za-z]{2}$/, example: 'SW1A 1AA' },
  DE: { pattern: /^\d{5}$/, example: '10115' },
  FR: { pattern: /^\d{5}$/, example: '75001' },
};

/** US states plus DC and Puerto Rico, as 2-letter codes. */
export const US_STATES: ReadonlySet<string> = new Set(
  'AL AK AZ AR CA CO CT DE FL GA HI ID IL IN IA KS KY LA ME MD MA MI MN MS MO MT NE NV NH NJ NM NY NC ND OH OK OR PA RI SC SD TN TX UT VT VA WA WV WI WY DC PR'.split(' '),
);

export const COUNTRY_CODE = /^[A-Z]{2}$/;

/** True when the postal code fits the country's format (or the country has no known format). */
export function postalCodeValid(country: string, postalCode: string): boolean {
  const rule = postalCodeRules[country.toUpperCase()];
  return !rule || rule.pattern.test(postalCode.trim());
}

export function isUsState(state: string): boolean {
  return US_STATES.has(state.trim().toUpperCase());
}
