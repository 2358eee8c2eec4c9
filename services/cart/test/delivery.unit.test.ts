import { describe, expect, it } from 'vitest';
import { AppError, TERMS_VERSION } from '@shop/contracts';
import { addBusinessDays, formatIsoDate, parseIsoDate, preferredDateWindow } from '@shop/contracts';
import { assertDeliveryPreferences, deliveryInstructionsIssue, preferredDateIssue } from '../src/domain/delivery.js';
import { applyCheckoutChange, checkoutState, emptyCheckout } from '../src/domain/checkout.js';

// "Today" is injected: Monday 2 November 2026, late in the (UTC) day.
const monday = new Date('2026-11-02T23:30:00Z');
const friday = new Date('2026-11-06T08:00:00Z');
const saturday = new Date('2026-11-07T12:00:00Z');

function thrown(fn: () => unknown): AppError {
  try {
    fn();
  } catch (e) {
    if (e instanceof AppError) return e;
    throw e;
  }
  throw new Error('expected an AppError');
}

describe('delivery dates', () => {
  it('counts business days from today, skipping weekends (today itself does not count)', () => {
    expect(formatIsoDate(addBusinessDays(monday, 5))).toBe('2026-11-09');
    expect(formatIsoDate(addBusinessDays(monday, 2))).toBe('2026-11-04');
    expect(formatIsoDate(addBusinessDays(friday, 2))).toBe('2026-11-10');
    expect(formatIsoDate(addBusinessDays(saturday, 2))).toBe('2026-11-10');
    expect(formatIsoDate(addBusinessDays(monday, 0))).toBe('2026-11-02');
  });

  it('offers from the method’s earliest delivery to 30 days out', () => {
    expect(preferredDateWindow('standard', monday)).toEqual({ earliest: '2026-11-09', latest: '2026-12-02' });
    expect(preferredDateWindow('express', monday)).toEqual({ earliest: '2026-11-04', latest: '2026-12-02' });
    expect(preferredDateWindow('standard', friday)).toEqual({ earliest: '2026-11-13', latest: '2026-12-06' });
    // The time of day does not move the window.
    expect(preferredDateWindow('standard', new Date('2026-11-02T00:00:00Z'))).toEqual(preferredDateWindow('standard', monday));
  });

  it('reads only real calendar dates', () => {
    expect(formatIsoDate(parseIsoDate('2028-02-29')!)).toBe('2028-02-29');
    expect(parseIsoDate('2026-02-29')).toBeNull();
    expect(parseIsoDate('2026-13-01')).toBeNull();
    expect(parseIsoDate('2026-11-31')).toBeNull();
    expect(parseIsoDate('2026-11-1')).toBeNull();
  });

  it('accepts a weekday from the earliest standard delivery up to 30 days out', () => {
    expect(preferredDateIssue('2026-11-09', 'standard', monday)).toBeNull();
    expect(preferredDateIssue('2026-11-27', 'standard', monday)).toBeNull();
    expect(preferredDateIssue('2026-12-02', 'standard', monday)).toBeNull();
  });

  it('refuses a date before the method’s earliest delivery, naming it', () => {
    expect(preferredDateIssue('2026-11-06', 'standard', monday)).toEqual({
      field: 'preferred_delivery_date',
      rule: 'too_early',
      message: '2026-11-06 is too early for standard shipping (5–7 business days): the earliest is 2026-11-09',
    });
    expect(preferredDateIssue('2026-11-03', 'express', monday)?.rule).toBe('too_early');
    expect(preferredDateIssue('2026-11-04', 'express', monday)).toBeNull();
    expect(preferredDateIssue('2026-11-02', 'express', monday)?.rule).toBe('too_early');
  });

  it('refuses a date more than 30 days out', () => {
    expect(preferredDateIssue('2026-12-03', 'standard', monday)).toEqual({
      field: 'preferred_delivery_date',
      rule: 'too_late',
      message: '2026-12-03 is more than 30 days out: the latest is 2026-12-02',
    });
    expect(preferredDateIssue('2027-11-09', 'express', monday)?.rule).toBe('too_late');
  });

  it('refuses weekends for standard shipping only', () => {
    expect(preferredDateIssue('2026-11-14', 'standard', monday)).toEqual({
      field: 'preferred_delivery_date',
      rule: 'weekday_only',
      message: '2026-11-14 is a Saturday: standard shipping delivers Monday to Friday only',
    });
    expect(preferredDateIssue('2026-11-15', 'standard', monday)?.message).toContain('is a Sunday');
    expect(preferredDateIssue('2026-11-14', 'express', monday)).toBeNull();
    expect(preferredDateIssue('2026-11-07', 'express', monday)).toBeNull();
  });

  it('refuses a date that does not exist', () => {
    expect(preferredDateIssue('2026-11-31', 'standard', monday)).toMatchObject({ rule: 'invalid_date', message: expect.stringContaining('2026-11-31 is not a real calendar date') });
  });
});

describe('delivery instructions', () => {
  it('takes up to 500 characters as given, markup and line breaks included', () => {
    expect(deliveryInstructionsIssue('x'.repeat(500))).toBeNull();
    expect(deliveryInstructionsIssue('<b>Ring twice</b>\n\tleave at "back" door & gate')).toBeNull();
    expect(deliveryInstructionsIssue('')).toBeNull();
  });

  it('refuses 501 characters and control characters', () => {
    expect(deliveryInstructionsIssue('x'.repeat(501))).toEqual({ field: 'delivery_instructions', rule: 'too_big', message: 'must be at most 500 characters (got 501)' });
    expect(deliveryInstructionsIssue('gate\u0000code')?.rule).toBe('control_characters');
    expect(deliveryInstructionsIssue('bell\u0007')?.rule).toBe('control_characters');
  });
});

describe('checking delivery preferences on a checkout change', () => {
  const none = { shipping_method: null, preferred_delivery_date: null };

  it('checks a new date against the method chosen in the same change', () => {
    const after = { shipping_method: 'express' as const, preferred_delivery_date: '2026-11-04' };
    expect(() => assertDeliveryPreferences({ preferred_delivery_date: '2026-11-04' }, none, after, monday)).not.toThrow();
    const e = thrown(() => assertDeliveryPreferences({ preferred_delivery_date: '2026-11-03' }, none, { ...after, preferred_delivery_date: '2026-11-03' }, monday));
    expect(e.code).toBe('INVALID_INPUT');
    expect(e.message).toBe('Invalid preferred_delivery_date: 2026-11-03 is too early for express shipping (2–3 business days): the earliest is 2026-11-04.');
    expect(e.details).toMatchObject({ issues: [{ field: 'preferred_delivery_date', rule: 'too_early' }], earliest: '2026-11-04', latest: '2026-12-02', shipping_method: 'express' });
  });

  it('assumes standard (the stricter method) until a method is chosen, and says so', () => {
    const e = thrown(() => assertDeliveryPreferences({ preferred_delivery_date: '2026-11-05' }, none, { shipping_method: null, preferred_delivery_date: '2026-11-05' }, monday));
    expect(e.message).toContain('the earliest is 2026-11-09');
    expect(e.message).toContain('Standard shipping is assumed until you choose a shipping method.');
    const weekend = thrown(() => assertDeliveryPreferences({ preferred_delivery_date: '2026-11-14' }, none, { shipping_method: null, preferred_delivery_date: '2026-11-14' }, monday));
    expect(weekend.details).toMatchObject({ issues: [{ rule: 'weekday_only' }] });
    expect(() => assertDeliveryPreferences({ preferred_delivery_date: '2026-11-10' }, none, { shipping_method: null, preferred_delivery_date: '2026-11-10' }, monday)).not.toThrow();
  });

  it('refuses a method change the held date cannot meet, so the preference is never dropped silently', () => {
    const before = { shipping_method: 'express' as const, preferred_delivery_date: '2026-11-05' };
    const after = { shipping_method: 'standard' as const, preferred_delivery_date: '2026-11-05' };
    const e = thrown(() => assertDeliveryPreferences({}, before, after, monday));
    expect(e.code).toBe('INVALID_INPUT');
    expect(e.message).toContain('Invalid preferred_delivery_date: 2026-11-05 is too early for standard shipping');
    expect(e.message).toContain('send a new preferred_delivery_date with the shipping method, or null to clear it');
    expect(e.details).toMatchObject({ reason: 'shipping_method_changed', earliest: '2026-11-09' });
    // A Saturday works for express but not for standard.
    const weekend = thrown(() => assertDeliveryPreferences({}, { ...before, preferred_delivery_date: '2026-11-14' }, { ...after, preferred_delivery_date: '2026-11-14' }, monday));
    expect(weekend.details).toMatchObject({ issues: [{ rule: 'weekday_only' }], reason: 'shipping_method_changed' });
  });

  it('lets the method change when a new date or a cleared one comes with it, or when the held date still fits', () => {
    const before = { shipping_method: 'express' as const, preferred_delivery_date: '2026-11-05' };
    expect(() => assertDeliveryPreferences({ preferred_delivery_date: '2026-11-10' }, before, { shipping_method: 'standard', preferred_delivery_date: '2026-11-10' }, monday)).not.toThrow();
    expect(() => assertDeliveryPreferences({ preferred_delivery_date: null }, before, { shipping_method: 'standard', preferred_delivery_date: null }, monday)).not.toThrow();
    expect(() => assertDeliveryPreferences({}, { shipping_method: 'standard', preferred_delivery_date: '2026-11-10' }, { shipping_method: 'express', preferred_delivery_date: '2026-11-10' }, monday)).not.toThrow();
  });

  it('re-checks a held date only when the method changes', () => {
    // Held since last week, now too early: other steps can still change; the method change is what re-checks it.
    const held = { shipping_method: 'standard' as const, preferred_delivery_date: '2026-11-03' };
    expect(() => assertDeliveryPreferences({}, held, held, monday)).not.toThrow();
    expect(thrown(() => assertDeliveryPreferences({}, held, { ...held, shipping_method: 'express' }, monday)).details).toMatchObject({ issues: [{ rule: 'too_early' }] });
  });

  it('refuses long instructions naming the field', () => {
    const e = thrown(() => assertDeliveryPreferences({ delivery_instructions: 'x'.repeat(501) }, none, none, monday));
    expect(e).toMatchObject({ code: 'INVALID_INPUT', message: 'Invalid delivery_instructions: must be at most 500 characters (got 501).' });
    expect(() => assertDeliveryPreferences({ delivery_instructions: 'x'.repeat(500) }, none, none, monday)).not.toThrow();
    expect(() => assertDeliveryPreferences({ delivery_instructions: null }, none, none, monday)).not.toThrow();
  });
});

describe('checkout state with delivery preferences and terms version', () => {
  const empty = emptyCheckout();

  it('records the current terms version when terms are accepted, and clears it when they are withdrawn', () => {
    const accepted = applyCheckoutChange(empty, { accept_terms: true });
    expect(accepted).toMatchObject({ terms_accepted: true, terms_version: TERMS_VERSION });
    expect(checkoutState(accepted, true)).toMatchObject({ terms_accepted: true, terms_version: TERMS_VERSION, completed_steps: ['terms'] });
    const withdrawn = applyCheckoutChange(accepted, { accept_terms: false });
    expect(checkoutState(withdrawn, true)).toMatchObject({ terms_accepted: false, terms_version: null, completed_steps: [] });
  });

  it('asks again for terms accepted in an older version (or before versions were recorded)', () => {
    for (const version of ['2020-01-01', null]) {
      const state = checkoutState({ ...empty, terms_accepted: true, terms_version: version }, true);
      expect(state).toMatchObject({ terms_accepted: false, terms_version: version });
      expect(state.missing_steps).toContain('terms');
    }
  });

  it('keeps delivery preferences as given and clears them with null, without touching the steps', () => {
    const instructions = '<script>alert(1)</script> leave by the door';
    const set = applyCheckoutChange(empty, { preferred_delivery_date: '2026-11-10', delivery_instructions: instructions });
    expect(checkoutState(set, true)).toMatchObject({ preferred_delivery_date: '2026-11-10', delivery_instructions: instructions, completed_steps: [] });
    const other = applyCheckoutChange(set, { payment_method_id: 'pm_demo_visa' });
    expect(other).toMatchObject({ preferred_delivery_date: '2026-11-10', delivery_instructions: instructions });
    const cleared = applyCheckoutChange(set, { preferred_delivery_date: null, delivery_instructions: null });
    expect(checkoutState(cleared, true)).toMatchObject({ preferred_delivery_date: null, delivery_instructions: null });
  });
});
