// The playground's pure parts: forms from tool input schemas (the schemas as the gateway lists
// them, zod 4 → JSON Schema draft-07), form values to arguments, and the gateway route that
// serves the built page.
import { mkdtempSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import express from 'express';
import request from 'supertest';
import { afterAll, describe, expect, it } from 'vitest';
import { fieldsFor, toArguments, toValues, type Field, type JsonSchema } from '../playground/schema-form';
import { playgroundRoute } from '../../services/mcp-gateway/src/http/playground';

const address: JsonSchema = {
  type: 'object',
  properties: {
    name: { type: 'string' },
    line1: { type: 'string' },
    line2: { anyOf: [{ type: 'string' }, { type: 'null' }] },
    postal_code: { type: 'string' },
    country: { type: 'string' },
  },
  required: ['name', 'line1', 'postal_code', 'country'],
};
const updateCheckout: JsonSchema = {
  type: 'object',
  properties: {
    shipping_address: address,
    shipping_method: { type: 'string', enum: ['standard', 'express'] },
    payment_method_id: { type: 'string', description: 'A saved payment method id (pm_…).' },
    accept_terms: { type: 'boolean' },
  },
};
const search: JsonSchema = {
  type: 'object',
  properties: {
    query: { type: 'string' },
    max_price: { type: 'number', minimum: 0 },
    sizes: { type: 'array', items: { type: 'string' } },
    page: { type: 'integer', minimum: 1 },
    ids: { type: 'array', items: { type: 'integer' } },
    in_stock_only: { type: 'boolean' },
    extra: { anyOf: [{ type: 'string' }, { type: 'number' }] },
  },
};

const byPath = (fields: Field[]): Record<string, Field> => Object.fromEntries(fields.flatMap((f) => (f.kind === 'object' ? [[f.path, f], ...Object.entries(byPath(f.fields))] : [[f.path, f]])));

describe('forms from tool input schemas', () => {
  it('gives text, number, checkbox, select, comma list, sub-form and JSON fields', () => {
    const fields = byPath([...fieldsFor(updateCheckout), ...fieldsFor(search)]);
    expect(fields['shipping_address']).toMatchObject({ kind: 'object', required: false });
    expect(fields['shipping_address.name']).toMatchObject({ kind: 'text', required: true });
    expect(fields['shipping_address.line2']).toMatchObject({ kind: 'text', required: false }); // nullable string
    expect(fields['shipping_method']).toMatchObject({ kind: 'select', options: ['standard', 'express'] });
    expect(fields['payment_method_id']).toMatchObject({ kind: 'text', description: 'A saved payment method id (pm_…).' });
    expect(fields['accept_terms']).toMatchObject({ kind: 'checkbox' });
    expect(fields['max_price']).toMatchObject({ kind: 'number', integer: false, minimum: 0 });
    expect(fields['page']).toMatchObject({ kind: 'number', integer: true });
    expect(fields['sizes']).toMatchObject({ kind: 'list', itemType: 'string' });
    expect(fields['extra']).toMatchObject({ kind: 'json' }); // a real union: edited as JSON
  });

  it('sends only what was filled in, typed by the schema; an empty sub-form and unset flags are left out', () => {
    const fields = fieldsFor(search);
    expect(toArguments(fields, { query: ' shoes ', max_price: '99.5', sizes: '10, 11 ,, 12', page: '2', ids: '3,4', in_stock_only: false, extra: '{"a":1}' })).toEqual({
      args: { query: 'shoes', max_price: 99.5, sizes: ['10', '11', '12'], page: 2, ids: [3, 4], in_stock_only: false, extra: { a: 1 } },
      errors: {},
    });
    expect(toArguments(fields, { query: '', in_stock_only: undefined })).toEqual({ args: {}, errors: {} });
    const checkout = fieldsFor(updateCheckout);
    expect(toArguments(checkout, { shipping_address: { name: '', line1: '' }, accept_terms: true }).args).toEqual({ accept_terms: true });
    expect(toArguments(checkout, { shipping_address: { name: 'Ada', country: 'US' }, shipping_method: 'express' }).args).toEqual({ shipping_address: { name: 'Ada', country: 'US' }, shipping_method: 'express' });
  });

  it('names the field when the input cannot have the schema type (the server checks the rest)', () => {
    const { errors } = toArguments(fieldsFor(search), { max_price: 'cheap', page: '1.5', ids: '1, x', extra: '{' });
    expect(errors).toEqual({
      max_price: 'max_price must be a number',
      page: 'page must be a whole number',
      ids: 'ids must be a comma-separated list of whole numbers',
      extra: 'extra must be JSON',
    });
  });

  it('turns arguments back into form values (from the JSON editor to the form)', () => {
    const fields = [...fieldsFor(updateCheckout), ...fieldsFor(search)];
    const args = { shipping_address: { name: 'Ada', postal_code: '94107' }, shipping_method: 'standard', accept_terms: false, sizes: ['9', '10'], page: 3, extra: 7 };
    expect(toArguments(fields, toValues(fields, args)).args).toEqual(args);
  });
});

describe('GET /playground', () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'playground-route-'));
  const app = express().get('/playground', playgroundRoute({ widgetsDir: dir, publicUrl: 'https://shop.example.test' }));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('answers 503 with a one-line build hint while the page is not built', async () => {
    const res = await request(app).get('/playground');
    expect(res.status).toBe(503);
    expect(res.text.trim().split('\n')).toHaveLength(1);
    expect(res.text).toContain('npm run build');
  });

  it('serves the built page, and the new build after a rebuild without a restart', async () => {
    const file = path.join(dir, 'playground.html');
    writeFileSync(file, '<!doctype html><title>one</title>');
    utimesSync(file, new Date(), new Date(Date.now() - 10_000));
    const first = await request(app).get('/playground');
    expect(first.status).toBe(200);
    expect(first.headers['content-type']).toBe('text/html; charset=utf-8');
    expect(first.headers['content-security-policy']).toContain("connect-src 'self' https://shop.example.test");
    expect(first.headers['content-security-policy']).toContain("frame-ancestors 'self'");
    // The v2 client's browser build interprets schemas (@cfworker/json-schema): no eval is needed.
    expect(first.headers['content-security-policy']).not.toContain('unsafe-eval');
    expect(first.text).toContain('<title>one</title>');
    writeFileSync(file, '<!doctype html><title>two</title>');
    expect((await request(app).get('/playground')).text).toContain('<title>two</title>');
  });
});
