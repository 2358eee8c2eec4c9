import { describe, expect, it } from 'vitest';
import {
  addBusinessDays,
  addDays,
  cardDataIn,
  containsCardNumber,
  deliveryEstimate,
  findCardData,
  formatIsoDate,
  isUsState,
  luhnValid,
  parseIsoDate,
  postalCodeValid,
  preferredDateProblem,
  preferredDateWindow,
  redactCardNumbers,
  textRuleBroken,
} from '../src/rules/index.js';

// Test numbers of the major schemes, 13 to 19 digits.
const cards = ['4242424242424242', '5555555555554444', '378282246310005', '4000056655665556', '6011111111111117', '30569309025904', '4222222222222', '6799990100000000019'];
/** The same digits as a shopper types them: in groups of four with spaces or dashes. */
const grouped = (n: string, sep: string) => n.replace(/(\d{4})(?=\d)/g, `$1${sep}`);
/** A digit string with its last digit chosen so it passes Luhn. */
const luhnCompleted = (prefix: string) => [...'0123456789'].map((d) => prefix + d).find(luhnValid)!;

describe('card numbers', () => {
  it('finds Luhn-valid numbers of 13–19 digits, plain or grouped with spaces or dashes, anywhere in a text', () => {
    for (const n of cards) {
      expect(luhnValid(n), n).toBe(true);
      expect(containsCardNumber(n), n).toBe(true);
      expect(containsCardNumber(`my card is ${grouped(n, ' ')} thanks`), n).toBe(true);
      expect(containsCardNumber(`pay with ${grouped(n, '-')}`), n).toBe(true);
    }
    // Followed by more digits (a security code typed straight after): the number is still found.
    expect(containsCardNumber('4242 4242 4242 4242 123')).toBe(true);
  });

  it('does not flag numbers that fail Luhn or have too few or too many digits', () => {
    expect(containsCardNumber('4242424242424241')).toBe(false);
    expect(containsCardNumber('1234567890123')).toBe(false);
    // 12 digits passing Luhn: too short for a card.
    const twelve = luhnCompleted('42424242424');
    expect(luhnValid(twelve)).toBe(true);
    expect(containsCardNumber(twelve)).toBe(false);
    // One unbroken run of 20 digits is longer than any card number.
    expect(containsCardNumber('12345678901234567897')).toBe(false);
    // Luhn-valid, but no payment card starts with 0, 1, 7, 8 or 9: a millisecond timestamp is not a card.
    for (const first of ['0', '1', '7', '8', '9']) {
      const n = luhnCompleted(`${first}76730000000`);
      expect(luhnValid(n)).toBe(true);
      expect(containsCardNumber(`migration ${n}_init`), n).toBe(false);
    }
    expect(containsCardNumber('migration 1767300000000_save_payment_method')).toBe(false);
  });

  it('does not flag phone numbers, order numbers, dates, UUIDs or cart ids', () => {
    for (const text of ['+1 (415) 555-0100', '415-555-0100', 'call +44 20 7946 0958', '+49 30 123456789', 'ORD-2026-00042', 'ORD-2026-1234567890', 'deliver on 2026-12-24', 'not 2026-12-24 2026-12-25 2026-12-26', 'after 12/30', '3fa85f64-5717-4562-b3fc-2c963f66afa6', '0f1e2d3c4b5a69788796a5b4c3d2e1f0']) {
      expect(containsCardNumber(text), text).toBe(false);
      expect(cardDataIn(text), text).toBeNull();
    }
    // A phone number written with + is not a card number even when its digits pass Luhn.
    const phone = luhnCompleted('443012345678');
    expect(containsCardNumber(`+${phone}`)).toBe(false);
    expect(containsCardNumber(phone)).toBe(true);
  });

  it('finds expiry dates and security codes written as phrases', () => {
    expect(cardDataIn('my card is 4242 4242 4242 4242 exp 12/30 cvc 123')).toBe('card_number');
    for (const text of ['exp 12/30', 'Expires 01/2027', 'expiry: 1-29', 'valid thru 12/30', 'exp. date 09/28']) expect(cardDataIn(text), text).toBe('card_expiry');
    for (const text of ['cvc 123', 'CVV: 1234', 'cvv2 999', 'security code 321']) expect(cardDataIn(text), text).toBe('card_security_code');
    for (const text of ['expected 12/30', 'what is a cvv?', 'leave at the back door, code 1234', 'size 12/13']) expect(cardDataIn(text), text).toBeNull();
  });

  it('names where in a request card data sits: card field names anywhere, numbers in any value', () => {
    expect(findCardData({ a: { b: ['x', `use ${cards[0]}`] } })).toBe('a.b.1');
    expect(findCardData({ payment: { card_number: 'x' } })).toBe('payment.card_number');
    expect(findCardData({ amount: Number(cards[1]) })).toBe('amount');
    expect(findCardData({ key: 'order:3fa85f64-5717-4562-b3fc-2c963f66afa6', name: 'Ada' })).toBeNull();
  });

  it('redacts every card number in a text and leaves the rest alone', () => {
    expect(redactCardNumbers(`a ${cards[0]} b ${grouped(cards[2], ' ')} c +1 415 555 0100`)).toBe('a [redacted card number] b [redacted card number] c +1 415 555 0100');
    expect(redactCardNumbers('ORD-2026-00042 3fa85f64-5717-4562-b3fc-2c963f66afa6')).toBe('ORD-2026-00042 3fa85f64-5717-4562-b3fc-2c963f66afa6');
  });
});

describe('text rules', () => {
  it('refuses NUL and the other C0 controls; line breaks and tabs only in multi-line text', () => {
    for (const c of ['\u0000', '\u0001', '\u001B', '\u007F']) {
      expect(textRuleBroken(`a${c}b`), JSON.stringify(c)).toBe('control_characters');
      expect(textRuleBroken(`a${c}b`, { multiline: true }), JSON.stringify(c)).toBe('control_characters');
    }
    for (const c of ['\n', '\r', '\t']) {
      expect(textRuleBroken(`a${c}b`), JSON.stringify(c)).toBe('control_characters');
      expect(textRuleBroken(`a${c}b`, { multiline: true }), JSON.stringify(c)).toBeNull();
    }
    expect(textRuleBroken('Zoë Ødegård, 1 Main St. #2')).toBeNull();
  });

  it('refuses bidi overrides and isolates in single-line text', () => {
    for (const c of ['\u202A', '\u202B', '\u202C', '\u202D', '\u202E', '\u2066', '\u2067', '\u2068', '\u2069']) expect(textRuleBroken(`Ada${c}gnp.exe`)).toBe('bidi_controls');
    expect(textRuleBroken('שלום Ada')).toBeNull();
  });
});

describe('business days', () => {
  const friday = new Date('2026-01-09T15:00:00Z');
  it('counts business days in UTC, skipping weekends; the day itself does not count', () => {
    expect(formatIsoDate(addBusinessDays(friday, 1))).toBe('2026-01-12');
    expect(formatIsoDate(addBusinessDays(friday, 5))).toBe('2026-01-16');
    expect(formatIsoDate(addBusinessDays(new Date('2026-01-10T12:00:00Z'), 1))).toBe('2026-01-12');
    expect(formatIsoDate(addBusinessDays(new Date('2026-01-05T23:59:00Z'), 2))).toBe('2026-01-07');
    expect(formatIsoDate(addBusinessDays(friday, 0))).toBe('2026-01-09');
  });

  it('gives each shipping method its window and the preferred-date range', () => {
    expect(deliveryEstimate('standard', friday)).toEqual({ earliest: '2026-01-16', latest: '2026-01-20' });
    expect(deliveryEstimate('express', friday)).toEqual({ earliest: '2026-01-13', latest: '2026-01-14' });
    expect(preferredDateWindow('express', friday)).toEqual({ earliest: '2026-01-13', latest: '2026-02-08' });
    expect(addDays('2028-02-28', 1)).toBe('2028-02-29');
  });

  it('reads only real dates and says why a preferred date does not fit', () => {
    expect(parseIsoDate('2026-02-29')).toBeNull();
    expect(formatIsoDate(parseIsoDate('2028-02-29')!)).toBe('2028-02-29');
    const window = { earliest: '2026-01-16', latest: '2026-02-08' };
    expect(preferredDateProblem('2026-02-30', 'standard', window)).toBe('invalid_date');
    expect(preferredDateProblem('2026-01-15', 'standard', window)).toBe('too_early');
    expect(preferredDateProblem('2026-02-09', 'standard', window)).toBe('too_late');
    expect(preferredDateProblem('2026-01-17', 'standard', window)).toBe('weekday_only');
    expect(preferredDateProblem('2026-01-17', 'express', window)).toBeNull();
  });
});

describe('US postal rules', () => {
  it('checks ZIP codes and state codes', () => {
    expect(postalCodeValid('US', '94107')).toBe(true);
    expect(postalCodeValid('us', '94107-1234')).toBe(true);
    expect(postalCodeValid('US', '9410')).toBe(false);
    expect(postalCodeValid('ZZ', 'anything')).toBe(true);
    expect(isUsState('ca')).toBe(true);
    expect(isUsState('DC')).toBe(true);
    expect(isUsState('ZZ')).toBe(false);
  });
});
