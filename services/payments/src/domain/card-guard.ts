import { AppError } from '@shop/contracts';

/** Field names that only card details would use. */
const cardFieldName = /^(card|cards|card_?number|cardnumber|number|pan|cvc|cvc2|cvv|cvv2|csc|security_?code|exp|expiry|expiration|exp_.*|expiry_.*|expiration_.*)$/i;

/** Digit runs, allowing single spaces or dashes between digits (4242 4242 … / 4242-4242-…). */
const digitRun = /\d(?:[ -]?\d)*/g;

/**
 * Ids in fixed formats (UUIDs, 32-hex cart ids), alone or inside a longer value such as an
 * idempotency key "order:<uuid>", are not card numbers: their digit groups joined by dashes
 * would otherwise pass for one about once in two hundred ids.
 */
const embeddedId = /(?<![0-9a-f])(?:[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}|[0-9a-f]{32})(?![0-9a-f])/gi;

export function luhnValid(digits: string): boolean {
  let sum = 0;
  let double = false;
  for (let i = digits.length - 1; i >= 0; i--) {
    let d = digits.charCodeAt(i) - 48;
    if (double) {
      d *= 2;
      if (d > 9) d -= 9;
    }
    sum += d;
    double = !double;
  }
  return sum % 10 === 0;
}

/** True when the text holds something shaped like a card number: 13–19 digits passing Luhn. */
export function containsCardNumber(text: string): boolean {
  for (const match of text.replace(embeddedId, ' ').matchAll(digitRun)) {
    const digits = match[0].replace(/[ -]/g, '');
    if (digits.length >= 13 && digits.length <= 19 && luhnValid(digits)) return true;
  }
  return false;
}

/**
 * Where in a request card data appears (a dotted path), or null. Field names are checked
 * everywhere; values are checked as strings and as numbers (a PAN sent as a JSON number).
 */
export function findCardData(value: unknown, path = ''): string | null {
  if (typeof value === 'string') return containsCardNumber(value) ? path || '(root)' : null;
  if (typeof value === 'number') return Number.isInteger(value) && containsCardNumber(String(value)) ? path || '(root)' : null;
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) {
      const found = findCardData(value[i], path ? `${path}.${i}` : String(i));
      if (found) return found;
    }
    return null;
  }
  if (value && typeof value === 'object') {
    for (const [key, child] of Object.entries(value)) {
      const childPath = path ? `${path}.${key}` : key;
      if (cardFieldName.test(key)) return childPath;
      const found = findCardData(child, childPath);
      if (found) return found;
    }
  }
  return null;
}

/** The refusal for a request carrying card data. It names the field, never the value. */
export function cardDataRefused(field: string): AppError {
  return new AppError(
    'CARD_DATA_REFUSED',
    'Card details cannot be sent here. Choose a saved payment method or use the secure checkout link instead.',
    { field },
  );
}
