// Pure widget logic: address checks, server refusals read from their structured issues, money text, tool-result normalising.
import { describe, expect, it } from 'vitest';
import { serverFieldErrors, validateAddress, type AddressDraft } from '../src/shared/address';
import { centsToDollarArg, centsToDollarText, dollarTextToCents, formatCents, orderSizes } from '../src/shared/format';
import { errorText, normaliseResult, type ToolCallResult } from '../src/shared/host';
import { toolError } from '../src/shared/errors';
import { AppError, invalidInput, toolArgs } from '@shop/contracts';
import { toolErrorResult } from '../../services/mcp-gateway/src/domain/errors';
import { searchArgs } from '../src/shared/tools';
import { addDays, preferredDateError, preferredDateWindow, serverFieldMessage, utcToday } from '../src/shared/delivery';
import { addressFromInput, justAddedLineId, searchFromInput } from '../src/shared/toolInput';
import type { CartLine } from '../src/shared/types';

const good: AddressDraft = { name: 'Ada', line1: '1 Market St', line2: '', city: 'San Francisco', state: 'CA', postal_code: '94107', country: 'US', phone: '' };

describe('validateAddress', () => {
  it('accepts a complete US address, ZIP+4 too', () => {
    expect(validateAddress(good)).toEqual({});
    expect(validateAddress({ ...good, postal_code: '94107-1234' })).toEqual({});
  });
  it('names each missing required field', () => {
    expect(Object.keys(validateAddress({ ...good, name: ' ', line1: '', city: '', postal_code: '', state: '' })).sort()).toEqual(['city', 'line1', 'name', 'postal_code', 'state']);
  });
  it('refuses a bad US postal code and state, but not other countries’ formats', () => {
    expect(validateAddress({ ...good, postal_code: '9410' }).postal_code).toBe('Enter a 5-digit ZIP code, e.g. 94107 or 94107-1234.');
    expect(validateAddress({ ...good, postal_code: 'ABCDE' }).postal_code).toBeDefined();
    expect(validateAddress({ ...good, state: 'Calif' }).state).toBe('Use the 2-letter state code, e.g. CA.');
    expect(validateAddress({ ...good, country: 'GB', state: '', postal_code: 'SW1A 1AA' })).toEqual({});
    expect(validateAddress({ ...good, country: 'USA' }).country).toBe('Use a 2-letter country code, e.g. US.');
  });
});

describe('validateAddress: card data and control characters', () => {
  it('refuses them before anything is sent, on the field that holds them', () => {
    expect(validateAddress({ ...good, line1: '1 Main St 4242 4242 4242 4242' }).line1).toMatch(/^Card details/);
    expect(validateAddress({ ...good, phone: '4242424242424242' }).phone).toMatch(/^Card details/);
    expect(validateAddress({ ...good, name: 'Ada\u0000' }).name).toMatch(/control/);
    expect(validateAddress({ ...good, name: 'Ada \u202Eevil' }).name).toMatch(/direction/);
    expect(validateAddress({ ...good, phone: '+1 (415) 555-0100' })).toEqual({});
  });
});

/** A refused update_checkout exactly as the gateway answers it: its own argument parsing and error mapping. */
function refusedCheckout(args: Record<string, unknown>): ToolCallResult {
  const parsed = toolArgs.update_checkout.safeParse(args);
  if (parsed.success) throw new Error('expected the arguments to be refused');
  return toolErrorResult(invalidInput(parsed.error)).result as ToolCallResult;
}
const address = { name: 'Ada', line1: '1 Market St', city: 'San Francisco', state: 'CA', postal_code: '94107', country: 'US' };

describe('serverFieldErrors: the structured issues of a refusal', () => {
  it('puts each issue on the address field it names, from _meta shop/error details.issues', () => {
    const result = refusedCheckout({ shipping_address: { ...address, state: 'ZZ', postal_code: '9410' } });
    expect(toolError(result).code).toBe('INVALID_INPUT');
    expect(serverFieldErrors(result)).toEqual({
      state: 'State must be a 2-letter US state code (e.g. CA)',
      postal_code: 'Postal code must be a valid US postal code (e.g. 94107 or 94107-1234)',
    });
  });
  it('reads the issues, never the text: other wording changes nothing, and text alone maps to no field', () => {
    const result = refusedCheckout({ shipping_address: { ...address, state: 'ZZ' } });
    const reworded = { ...result, content: [{ type: 'text', text: 'Something about shipping_address.postal_code: must be odd' }] };
    expect(serverFieldErrors(reworded)).toEqual({ state: 'State must be a 2-letter US state code (e.g. CA)' });
    expect(serverFieldErrors({ isError: true, content: [{ type: 'text', text: 'Invalid shipping_address.state: must be a 2-letter US state code (e.g. CA)' }] })).toEqual({});
  });
  it('ignores issues about other fields and malformed metadata', () => {
    expect(serverFieldErrors(refusedCheckout({ payment_method_id: 'card' }))).toEqual({});
    expect(toolError({ isError: true, _meta: { 'shop/error': { code: 'INVALID_INPUT', details: { issues: [{ field: 3 }, 'x'] } } } })).toEqual({ code: 'INVALID_INPUT', issues: [] });
  });
});

describe('money text', () => {
  it('reads typed dollar amounts exactly, refusing anything else', () => {
    expect(dollarTextToCents('100')).toBe(10000);
    expect(dollarTextToCents('19.99')).toBe(1999);
    expect(dollarTextToCents('0.1')).toBe(10);
    expect(dollarTextToCents('12,5')).toBe(1250);
    expect(dollarTextToCents('1.999')).toBeNull();
    expect(dollarTextToCents('-5')).toBeNull();
    expect(dollarTextToCents('abc')).toBeNull();
  });
  it('prints cents as dollars without float drift', () => {
    expect(centsToDollarText(1999)).toBe('19.99');
    expect(centsToDollarText(5)).toBe('0.05');
    expect(JSON.stringify(centsToDollarArg(1999))).toBe('19.99');
    expect(JSON.stringify(centsToDollarArg(10000))).toBe('100');
  });
  it('formats for the locale', () => {
    expect(formatCents(13046, 'USD', 'en-US')).toBe('$130.46');
    expect(formatCents(13046, 'USD', 'de-DE').replace(/\s/g, ' ')).toBe('130,46 $');
    expect(formatCents(999, 'USD', 'not a locale!')).toBe('$9.99');
  });
});

describe('searchArgs', () => {
  it('sends prices as dollars and leaves out empty filters', () => {
    expect(searchArgs({ query: 'shoes', filters: { in_stock_only: true, sort_by: 'price_asc', max_price: 10000, sizes: ['10'], brands: [] }, page: 2, per_page: 20 })).toEqual({
      query: 'shoes',
      in_stock_only: true,
      sort_by: 'price_asc',
      max_price: 100,
      sizes: ['10'],
      page: 2,
      per_page: 20,
    });
  });
});

describe('normaliseResult', () => {
  it('passes a CallToolResult through', () => {
    const r = { structuredContent: { kind: 'cart' }, content: [{ type: 'text', text: 'ok' }] };
    expect(normaliseResult(r)).toBe(r);
  });
  it('unwraps a JSON { result } payload and keeps plain text as content', () => {
    expect(normaliseResult({ result: JSON.stringify({ structuredContent: { kind: 'cart' } }) })).toEqual({ structuredContent: { kind: 'cart' } });
    expect(normaliseResult({ result: 'nope' })).toEqual({ content: [{ type: 'text', text: 'nope' }] });
  });
  it('turns nothing into an error with readable text', () => {
    const r = normaliseResult(undefined);
    expect(r.isError).toBe(true);
    expect(errorText(r)).toBe('The tool returned nothing.');
    expect(errorText({ isError: true })).toBe('Something went wrong. Please try again.');
  });
});

describe('orderSizes', () => {
  it('orders numeric sizes as numbers and leaves letter sizes as the server sent them', () => {
    expect(orderSizes(['10', '11', '7', '8.5', '9'])).toEqual(['7', '8.5', '9', '10', '11']);
    expect(orderSizes(['S', 'M', 'L', 'XL'])).toEqual(['S', 'M', 'L', 'XL']);
    expect(orderSizes([{ value: '12' }, { value: '7' }], (f) => f.value)).toEqual([{ value: '7' }, { value: '12' }]);
  });
});

describe('preferred delivery date', () => {
  const window = preferredDateWindow('2026-12-07', '2026-11-29');
  it('runs from the method’s earliest delivery to 30 days after today (UTC)', () => {
    expect(window).toEqual({ min: '2026-12-07', max: '2026-12-29' });
    expect(utcToday(new Date('2026-11-29T23:59:59.000Z'))).toBe('2026-11-29');
    expect(addDays('2026-02-27', 2)).toBe('2026-03-01');
  });
  it('refuses dates outside the window, weekends for standard only, and non-dates', () => {
    expect(preferredDateError('', 'standard', window)).toBeNull();
    expect(preferredDateError('2026-12-08', 'standard', window)).toBeNull();
    expect(preferredDateError('2026-12-06', 'standard', window)).toBe('The earliest standard delivery is 2026-12-07.');
    expect(preferredDateError('2026-12-30', 'express', window)).toBe('Choose a date within 30 days (by 2026-12-29).');
    expect(preferredDateError('2026-12-12', 'standard', window)).toMatch(/Monday to Friday/);
    expect(preferredDateError('2026-12-13', 'standard', window)).toMatch(/Monday to Friday/);
    expect(preferredDateError('2026-12-12', 'express', window)).toBeNull();
    expect(preferredDateError('2026-02-30', 'express', window)).toBe('Enter a date as YYYY-MM-DD.');
  });
  it('reads the server’s refusal of one field from its issue', () => {
    // As the cart service refuses a preferred date (its FieldIssue), mapped by the gateway.
    const cart = toolErrorResult(
      new AppError('INVALID_INPUT', 'Invalid preferred_delivery_date: 2026-12-12 is a Saturday: standard shipping delivers Monday to Friday only.', {
        issues: [{ field: 'preferred_delivery_date', rule: 'weekday_only', message: '2026-12-12 is a Saturday: standard shipping delivers Monday to Friday only' }],
      }),
    ).result as ToolCallResult;
    expect(serverFieldMessage(cart, 'preferred_delivery_date')).toBe('2026-12-12 is a Saturday: standard shipping delivers Monday to Friday only.');
    expect(serverFieldMessage(cart, 'delivery_instructions')).toBeNull();
    // As the gateway refuses the argument itself.
    expect(serverFieldMessage(refusedCheckout({ delivery_instructions: 'x'.repeat(501) }), 'delivery_instructions')).toBe('must be at most 500 characters.');
  });
});

describe('tool input', () => {
  it('lays the assistant’s search arguments over the result’s filters, prices in cents', () => {
    const active = searchFromInput({ query: 'trail', max_price: 100, min_price: '19.99', sizes: ['10', 7], brands: [], in_stock_only: false, sort_by: 'nonsense' }, 'x', { in_stock_only: true, sort_by: 'rating' });
    expect(active).toEqual({ query: 'trail', filters: { in_stock_only: false, sort_by: 'rating', max_price: 10000, min_price: 1999, sizes: ['10'] } });
    expect(searchFromInput(null, 'x', { in_stock_only: true, sort_by: 'relevance' })).toEqual({ query: 'x', filters: { in_stock_only: true, sort_by: 'relevance' } });
  });
  it('takes only text address fields', () => {
    expect(addressFromInput({ shipping_address: { name: ' Ada ', city: 'Paris', postal_code: 75001, bogus: 'x' } })).toEqual({ name: 'Ada', city: 'Paris' });
    expect(addressFromInput({ shipping_address: 'Paris' })).toEqual({});
  });
  it('finds the line just added: last_added_line_id, else the product and variant', () => {
    const line = (id: string, product_id: string, size: string | null) => ({ id, product_id, size, color: 'Black' }) as CartLine;
    const lines = [line('l1', 'p1', '9'), line('l2', 'p1', '10'), line('l3', 'p2', null)];
    expect(justAddedLineId(lines, 'l3', { product_id: 'p1' })).toBe('l3');
    expect(justAddedLineId(lines, 'gone', { product_id: 'p1', size: '10', color: 'black' })).toBe('l2');
    expect(justAddedLineId(lines, undefined, { product_id: 'p2' })).toBe('l3');
    expect(justAddedLineId(lines, undefined, {})).toBeNull();
  });
});
