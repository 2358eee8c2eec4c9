// The card-data guard: card numbers, expiry dates and security codes are never accepted, stored,
// sent or logged. Pure functions, no zod, so widgets and the logger can use them too.

/** Field names that only card details would use. */
const cardFieldName = /^(card|cards|card_?number|cardnumber|number|pan|cvc|cvc2|cvv|cvv2|csc|security_?code|exp|expiry|expiration|exp_.*|expiry_.*|expiration_.*)$/i;

/** Digit runs, allowing single spaces or dashes between digits (4242 4242 … / 4242-4242-…). */
const digitRun = /\d(?:[ -]?\d)*/g;

/**
 * Ids in fixed formats (UUIDs, 32-hex cart ids), alone or inside a longer value such as an
 * idempotency key "order:<uuid>", are not card numbers: their digit groups joined by dashes
 * would otherwise pass for one about once in two hundred ids. Nor are order numbers
 * (ORD-2026-00042) or ISO dates, which a run of them ("2026-12-24 2026-12-25") could imitate.
 */
const embeddedId =
  /(?<![0-9a-f])(?:[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}|[0-9a-f]{32})(?![0-9a-f])|\bORD-\d{4}-\d{5,}\b|(?<!\d)\d{4}-(?:0[1-9]|1[0-2])-(?:0[1-9]|[12]\d|3[01])(?!\d)/gi;

/** "cvc 123", "CVV: 1234", "security code 123": a keyword followed by the 3–4 digits. */
const securityCodePhrase = /\b(?:cvc2?|cvv2?|csc|cid|security\s+code)\b\s*[:#=-]?\s*\d{3,4}\b/i;
/** "exp 12/30", "expires 01/2027", "expiry: 1-29", "valid thru 12/30": a keyword followed by a month/year. */
const expiryPhrase = /\b(?:exp(?:iry|ires|iration)?|valid\s+(?:thru|through|until))\b\.?(?:\s*date)?\s*[:=-]?\s*(?:0?[1-9]|1[0-2])\s*[/-]\s*(?:\d{4}|\d{2})\b/i;

export const CARD_NUMBER_MIN_DIGITS = 13;
export const CARD_NUMBER_MAX_DIGITS = 19;

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

/**
 * The first digit of a payment card number (ISO/IEC 7812 major industry identifier): 2 and 5
 * Mastercard, 3 Amex/Diners/JCB, 4 Visa, 6 Discover/UnionPay/Maestro. Numbers starting with 0, 1,
 * 7, 8 or 9 are not payment cards; skipping them keeps millisecond timestamps (1767300000000) and
 * phone numbers written with a leading 0 from being taken for one.
 */
const cardFirstDigit = /^[2-6]/;

/**
 * The card number inside one digit run, as [start, end) offsets into the run, or null. The whole
 * run is tried, then every span of whole digit groups, so a number followed by more digits
 * ("4242 4242 4242 4242 123") is still found.
 */
function cardSpanInRun(run: string): [number, number] | null {
  const groups = [...run.matchAll(/\d+/g)].map((m) => ({ start: m.index, end: m.index + m[0].length }));
  for (let i = 0; i < groups.length; i++) {
    let digits = '';
    for (let j = i; j < groups.length; j++) {
      digits += run.slice(groups[j].start, groups[j].end);
      if (digits.length > CARD_NUMBER_MAX_DIGITS) break;
      if (digits.length >= CARD_NUMBER_MIN_DIGITS && cardFirstDigit.test(digits) && luhnValid(digits)) return [groups[i].start, groups[j].end];
    }
  }
  return null;
}

/** Where card numbers sit in a text, as [start, end) offsets. Phone numbers written with + are not card numbers. */
function cardNumberSpans(text: string): Array<[number, number]> {
  const masked = text.replace(embeddedId, (id) => ' '.repeat(id.length));
  const spans: Array<[number, number]> = [];
  for (const match of masked.matchAll(digitRun)) {
    if (match.index > 0 && masked[match.index - 1] === '+') continue;
    const span = cardSpanInRun(match[0]);
    if (span) spans.push([match.index + span[0], match.index + span[1]]);
  }
  return spans;
}

/** True when the text holds something shaped like a card number: 13–19 digits, starting 2–6, passing Luhn. */
export function containsCardNumber(text: string): boolean {
  return cardNumberSpans(text).length > 0;
}

export type CardDataKind = 'card_number' | 'card_expiry' | 'card_security_code';

/** What card data a free text carries (a number, an expiry date or a security code phrase), or null. */
export function cardDataIn(text: string): CardDataKind | null {
  if (containsCardNumber(text)) return 'card_number';
  if (expiryPhrase.test(text)) return 'card_expiry';
  if (securityCodePhrase.test(text)) return 'card_security_code';
  return null;
}

export function isCardFieldName(name: string): boolean {
  return cardFieldName.test(name);
}

/**
 * Where in a request card data appears (a dotted path), or null. Field names are checked
 * everywhere; values are checked as strings and as numbers (a PAN sent as a JSON number).
 * Only card numbers count in values here: ids and keys are not free text, so phrases are left
 * to the free-text schemas.
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
      if (isCardFieldName(key)) return childPath;
      const found = findCardData(child, childPath);
      if (found) return found;
    }
  }
  return null;
}

export const REDACTED_CARD_NUMBER = '[redacted card number]';

/** The text with every card number replaced: the logger's last line of defence. */
export function redactCardNumbers(text: string): string {
  const spans = cardNumberSpans(text);
  if (spans.length === 0) return text;
  let out = '';
  let at = 0;
  for (const [start, end] of spans) {
    out += text.slice(at, start) + REDACTED_CARD_NUMBER;
    at = end;
  }
  return out + text.slice(at);
}
