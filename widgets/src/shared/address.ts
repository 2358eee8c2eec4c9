// Address checks the shopper can fix before a round trip, and server refusals mapped onto fields.
import { cardDataIn, COUNTRY_CODE, isUsState, postalCodeValid, textRuleBroken } from '@shop/contracts/rules';
import { toolError } from './errors';
import type { ToolCallResult } from './host';

export type AddressField = 'name' | 'line1' | 'line2' | 'city' | 'state' | 'postal_code' | 'country' | 'phone';
export type AddressDraft = Record<AddressField, string>;
export type FieldErrors = Partial<Record<AddressField, string>>;

/** Client-side checks for what the shopper can fix before a round trip; the server re-validates. */
export function validateAddress(a: AddressDraft): FieldErrors {
  const errors: FieldErrors = {};
  const required: Array<[AddressField, string]> = [
    ['name', 'Enter the recipient’s name.'],
    ['line1', 'Enter the street address.'],
    ['city', 'Enter the city.'],
    ['postal_code', 'Enter the postal code.'],
    ['country', 'Enter the country code.'],
  ];
  for (const [field, message] of required) if (!a[field].trim()) errors[field] = message;
  // The server refuses these too (CARD_DATA_REFUSED / INVALID_INPUT); caught here, nothing is sent.
  for (const field of Object.keys(fieldLabels) as AddressField[]) {
    if (cardDataIn(a[field])) errors[field] = 'Card details can’t go in an address. Pay with a saved card or the secure checkout link.';
    else if (textRuleBroken(a[field].trim())) errors[field] = 'Remove the control or direction characters.';
  }
  const country = a.country.trim().toUpperCase();
  if (country && !COUNTRY_CODE.test(country)) errors.country = 'Use a 2-letter country code, e.g. US.';
  if (country === 'US') {
    if (a.postal_code.trim() && !postalCodeValid(country, a.postal_code)) errors.postal_code = 'Enter a 5-digit ZIP code, e.g. 94107 or 94107-1234.';
    if (!a.state.trim()) errors.state = 'Enter the state.';
    else if (!isUsState(a.state)) errors.state = 'Use the 2-letter state code, e.g. CA.';
  }
  return errors;
}

const fieldLabels: Record<AddressField, string> = {
  name: 'Name',
  line1: 'Street address',
  line2: 'Apartment, suite',
  city: 'City',
  state: 'State',
  postal_code: 'Postal code',
  country: 'Country',
  phone: 'Phone',
};

/**
 * Puts a server refusal on the address fields it names: the INVALID_INPUT issues whose field is
 * `shipping_address.<name>`, the first one per field.
 */
export function serverFieldErrors(result: ToolCallResult): FieldErrors {
  const errors: FieldErrors = {};
  for (const issue of toolError(result).issues) {
    const field = issue.field.startsWith('shipping_address.') ? (issue.field.slice('shipping_address.'.length) as AddressField) : undefined;
    if (!field || !(field in fieldLabels) || errors[field]) continue;
    errors[field] = `${fieldLabels[field]} ${issue.message}`;
  }
  return errors;
}
