import { mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { cartApi, catalogApi, containsCardNumber, type AppError } from '@shop/contracts';
import { BusClient, connectNats, createLogger, type NatsConnection } from '@shop/kit';
import { serviceHeaders, testNatsUrl } from '@shop/kit/testing';
import { connectClient, errorText, ok, startTestStack, type TestStack } from './support/stack.js';

/**
 * Card data and control characters at every edge, driven by the tools' own input schemas
 * (tools/list): every string field of every tool is tried, so a new tool or field is covered
 * without touching this file. Every service of the stack logs (debug) to one file, read back for
 * error lines; afterwards every database and the mail directory are scanned for card numbers.
 */

type JsonSchema = {
  type?: string | string[];
  properties?: Record<string, JsonSchema>;
  required?: string[];
  items?: JsonSchema;
  anyOf?: JsonSchema[];
  enum?: unknown[];
  pattern?: string;
  format?: string;
  minLength?: number;
  maxLength?: number;
  minimum?: number;
};

interface StringField {
  /** Path of the argument, as the error's field names it (shipping_address.name, brands.0). */
  path: string[];
  schema: JsonSchema;
}

const CARD_PHRASE = 'my card is 4242 4242 4242 4242 exp 12/30 cvc 123';
/** The card number in the shapes an id-like field's pattern might accept. */
const CARD_SHAPES = ['4242 4242 4242 4242', '4242-4242-4242-4242', '4242424242424242', 'pm_4242424242424242'];
const address = { name: 'Ada Lovelace', line1: '1 Main St', city: 'San Francisco', state: 'CA', postal_code: '94107', country: 'US' };
const meta = { 'openai/session': 'conv-free-text', 'openai/subject': 'shopper-free-text' };

/** The non-null branch of a nullable schema. */
const nonNull = (s: JsonSchema): JsonSchema => s.anyOf?.find((b) => b.type !== 'null') ?? s;
const isType = (s: JsonSchema, type: string) => s.type === type || (Array.isArray(s.type) && s.type.includes(type));

function stringFields(schema: JsonSchema, at: string[] = []): StringField[] {
  const s = nonNull(schema);
  if (isType(s, 'string')) return [{ path: at, schema: s }];
  if (isType(s, 'array') && s.items) return stringFields(s.items, [...at, '0']);
  if (isType(s, 'object')) return Object.entries(s.properties ?? {}).flatMap(([key, child]) => stringFields(child, [...at, key]));
  return [];
}

function accepts(s: JsonSchema, value: string): boolean {
  if (s.enum) return s.enum.includes(value);
  if (s.maxLength !== undefined && value.length > s.maxLength) return false;
  if (s.minLength !== undefined && value.length < s.minLength) return false;
  if (s.format === 'uuid' && !/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(value)) return false;
  return !s.pattern || new RegExp(s.pattern).test(value);
}

const STRING_SAMPLES = ['3fa85f64-5717-4562-b3fc-2c963f66afa6', '0f1e2d3c4b5a69788796a5b4c3d2e1f0', 'pm_card_visa', '2026-12-01', 'order-key-12345678', 'US', 'Blue'];

/** A valid value for a schema: its arguments must pass, so the field under test is the only one refused. */
function sample(schema: JsonSchema): unknown {
  const s = nonNull(schema);
  if (s.enum) return s.enum[0];
  if (isType(s, 'string')) {
    const value = STRING_SAMPLES.find((v) => accepts(s, v));
    if (!value) throw new Error(`no sample string for ${JSON.stringify(s)}`);
    return value;
  }
  if (isType(s, 'integer') || isType(s, 'number')) return s.minimum ?? 1;
  if (isType(s, 'boolean')) return false;
  if (isType(s, 'array')) return [sample(s.items ?? {})];
  if (isType(s, 'object')) {
    if (s.properties?.postal_code) return { ...address };
    return Object.fromEntries((s.required ?? []).map((k) => [k, sample(s.properties![k])]));
  }
  throw new Error(`no sample for ${JSON.stringify(s)}`);
}

/** Valid arguments for the tool with `value` put at `field` (and the objects above it filled in validly). */
function argsWith(input: JsonSchema, field: string[], value: string): Record<string, unknown> {
  const args = sample(input) as Record<string, unknown>;
  let target: Record<string, unknown> | unknown[] = args;
  let s = input;
  field.forEach((key, i) => {
    s = nonNull(s);
    const child = isType(s, 'array') ? s.items! : s.properties![key];
    if (i === field.length - 1) {
      (target as Record<string, unknown>)[key] = value;
      return;
    }
    const existing = (target as Record<string, unknown>)[key];
    const next = existing ?? sample(child);
    (target as Record<string, unknown>)[key] = next;
    target = next as Record<string, unknown>;
    s = child;
  });
  return args;
}

/** Free text: a string with no format, enum or pattern. Any other string field must still refuse a card number it would accept. */
function cardValues(s: JsonSchema): string[] {
  if (s.enum || s.format) return [];
  if (!s.pattern) return [accepts(s, CARD_PHRASE) ? CARD_PHRASE : CARD_SHAPES[0]];
  return CARD_SHAPES.filter((v) => accepts(s, v));
}

const shopError = (res: CallToolResult) => (res._meta?.['shop/error'] ?? {}) as { code?: string; details?: { field?: string; issues?: Array<{ field: string }> } };

/**
 * Texts holding a Luhn-valid run of 13–19 digits (single spaces or dashes between them), any first
 * digit: stricter than the guard, which takes only 2–6 and skips dates and order numbers. UUIDs and
 * 32-hex ids are left out, their digits being no one's card.
 */
function cardNumbersIn(texts: string[]): string[] {
  const luhn = (d: string) => [...d].reverse().reduce((sum, c, i) => sum + (i % 2 ? [0, 2, 4, 6, 8, 1, 3, 5, 7, 9][+c] : +c), 0) % 10 === 0;
  return texts.filter((text) => {
    const masked = text.replace(/[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}|[0-9a-f]{32}/gi, ' ');
    return [...masked.matchAll(/\d(?:[ -]?\d)*/g)].some((run) => {
      const groups = run[0].split(/[ -]/);
      return groups.some((_, i) => groups.slice(i).some((__, j) => {
        const digits = groups.slice(i, i + j + 1).join('');
        return digits.length >= 13 && digits.length <= 19 && luhn(digits);
      }));
    });
  });
}

describe('card data and control characters in tool arguments', () => {
  const logFile = path.join(mkdtempSync(path.join(os.tmpdir(), 'free-text-logs-')), 'stack.log');
  const mailDir = mkdtempSync(path.join(os.tmpdir(), 'free-text-mail-'));
  let stack: TestStack;
  let shopper: Awaited<ReturnType<typeof connectClient>>;
  let tools: Array<{ name: string; inputSchema: JsonSchema }>;
  let nc: NatsConnection;
  let bus: BusClient;
  let cartId: string;

  beforeAll(async () => {
    // Read when each logger is created: every service of this stack (and the gateway) logs here.
    process.env.LOG_FILE = logFile;
    process.env.TEST_LOG_LEVEL = 'debug';
    stack = await startTestStack({ serviceEnv: { orders: { MAIL_DIR: mailDir } } });
    shopper = await connectClient(stack.mcpUrl, meta);
    tools = (await shopper.client.listTools()).tools as typeof tools;
    nc = await connectNats(testNatsUrl(), 'free-text-test', createLogger('free-text-test', 'silent'));
    bus = new BusClient(nc, stack.prefix, 10_000);

    // One real order with ordinary free text, so the databases and the mail directory hold something to scan.
    const product = ok(await shopper.call('search_products', {})).items[0];
    const cart = ok(await shopper.call('add_to_cart', { product_id: product.id, ...(product.sizes[0] ? { size: product.sizes[0] } : {}), ...(product.colors[0] ? { color: product.colors[0] } : {}) }));
    cartId = cart.session_id;
    ok(
      await shopper.call('update_checkout', {
        shipping_address: { ...address, phone: '+1 (415) 555-0100' },
        shipping_method: 'standard',
        billing_same_as_shipping: true,
        payment_method_id: 'pm_card_visa',
        accept_terms: true,
        delivery_instructions: 'Call +1 415 555 0100 on arrival.\nGate code 1234, not before 2026-12-24.',
      }),
    );
    expect(ok(await shopper.call('place_order', { payment_method_id: 'pm_card_visa' })).order.status).toBe('confirmed');
  });

  afterAll(async () => {
    delete process.env.LOG_FILE;
    delete process.env.TEST_LOG_LEVEL;
    await shopper?.close();
    await nc?.close();
    await stack?.stop();
  });

  it('lists string arguments for the tools that take free text', () => {
    const fields = tools.flatMap((t) => stringFields(t.inputSchema).map((f) => `${t.name}.${f.path.join('.')}`));
    for (const expected of ['search_products.query', 'search_products.brands.0', 'update_checkout.shipping_address.name', 'update_checkout.delivery_instructions', 'apply_coupon.code', 'cancel_order.reason', 'get_store_policies.topic']) {
      expect(fields).toContain(expected);
    }
  });

  it('refuses a card number in every free-text field of every tool with CARD_DATA_REFUSED naming the field', async () => {
    let tried = 0;
    for (const tool of tools) {
      for (const field of stringFields(tool.inputSchema)) {
        for (const value of cardValues(field.schema)) {
          const name = field.path.join('.');
          const res = await shopper.call(tool.name, argsWith(tool.inputSchema, field.path, value));
          const label = `${tool.name} ${name} ${JSON.stringify(value)}`;
          expect(res.isError, label).toBe(true);
          expect(shopError(res), label).toMatchObject({ code: 'CARD_DATA_REFUSED', details: { field: name } });
          const text = errorText(res);
          expect(text, label).toContain(name);
          expect(JSON.stringify(res), label).not.toMatch(/4242|12\/30|cvc 123/);
          tried++;
        }
      }
    }
    expect(tried).toBeGreaterThan(20);
  });

  it('refuses NUL in every string argument of every tool with INVALID_INPUT naming the field', async () => {
    let tried = 0;
    for (const tool of tools) {
      for (const field of stringFields(tool.inputSchema)) {
        const name = field.path.join('.');
        const valid = String(sample(field.schema));
        const res = await shopper.call(tool.name, argsWith(tool.inputSchema, field.path, `${valid.slice(0, 1)}\u0000${valid.slice(1)}`));
        const label = `${tool.name} ${name}`;
        expect(res.isError, label).toBe(true);
        const error = shopError(res);
        expect(error.code, label).toBe('INVALID_INPUT');
        expect(error.details?.issues?.map((i) => i.field), label).toContain(name);
        expect(errorText(res), label).toContain(`Invalid ${name}:`);
        tried++;
      }
    }
    expect(tried).toBeGreaterThan(30);
  });

  it('refuses the same at the NATS and HTTP edges of the services', async () => {
    const refused = (p: Promise<unknown>) => p.then(() => null, (e: AppError) => ({ code: e.code, details: e.details, message: e.message }));
    const caller = { conversation: meta['openai/session'], subject: meta['openai/subject'] };
    expect(await refused(bus.call(catalogApi.search, { query: 'sho\u0000es' }))).toMatchObject({ code: 'INVALID_INPUT', message: expect.stringContaining('query') });
    expect(await refused(bus.call(catalogApi.search, { category: 'run\u0000' }))).toMatchObject({ code: 'INVALID_INPUT', message: expect.stringContaining('category') });
    expect(await refused(bus.call(cartApi.applyCoupon, { cart_id: cartId, caller, code: 'WEL\u0000COME' }))).toMatchObject({ code: 'INVALID_INPUT', message: expect.stringContaining('code') });
    expect(await refused(bus.call(cartApi.updateCheckout, { cart_id: cartId, caller, shipping_address: { ...address, name: 'Ada\u202Eevil' } }))).toMatchObject({
      code: 'INVALID_INPUT',
      message: expect.stringContaining('shipping_address.name'),
    });
    expect(await refused(bus.call(cartApi.updateCheckout, { cart_id: cartId, caller, delivery_instructions: CARD_PHRASE }))).toMatchObject({ code: 'CARD_DATA_REFUSED', details: { field: 'delivery_instructions' } });
    expect(await refused(bus.call(cartApi.updateCheckout, { cart_id: cartId, caller, shipping_address: { ...address, line2: 'Apt 4242 4242 4242 4242' } }))).toMatchObject({
      code: 'CARD_DATA_REFUSED',
      details: { field: 'shipping_address.line2' },
    });

    const headers = { ...serviceHeaders, 'content-type': 'application/json', 'x-conversation-id': caller.conversation, 'x-shopper-subject': caller.subject };
    const patch = await fetch(`${stack.serviceUrls.cart}/v1/carts/${cartId}/checkout`, { method: 'PATCH', headers, body: JSON.stringify({ delivery_instructions: CARD_PHRASE }) });
    expect(patch.status).toBe(400);
    expect((await patch.json()).error).toMatchObject({ code: 'CARD_DATA_REFUSED', details: { field: 'delivery_instructions' } });
    const search = await fetch(`${stack.serviceUrls.catalog}/v1/products?query=${encodeURIComponent('a\u0000b')}`, { headers: serviceHeaders });
    expect(search.status).toBe(400);
    expect((await search.json()).error).toMatchObject({ code: 'INVALID_INPUT', message: expect.stringContaining('query') });
  });

  it('wrote no error line to the logs, and no card data', () => {
    const lines = readFileSync(logFile, 'utf8').split('\n').filter(Boolean);
    const entries = lines.map((l) => JSON.parse(l) as { level: string; msg: string; code?: string });
    // Logging was on: the refusals above were logged (at debug, with code and field only).
    expect(entries.filter((e) => e.msg === 'tool refused' && e.code === 'CARD_DATA_REFUSED').length).toBeGreaterThan(20);
    expect(entries.filter((e) => e.msg === 'tool refused' && e.code === 'INVALID_INPUT').length).toBeGreaterThan(30);
    expect(entries.filter((e) => e.level === 'error' || e.level === 'fatal')).toEqual([]);
    // Not even redacted: the refused values never reached a log call.
    expect(lines.filter((l) => containsCardNumber(l) || l.includes('[redacted card number]') || /cvc 123|exp 12\/30|\\u0000/.test(l))).toEqual([]);
  });

  it('stored and mailed no card number: every database of the stack and the mail directory', async () => {
    expect(cardNumbersIn(['sanity: 4242 4242 4242 4242 is found'])).toHaveLength(1);
    let rows = 0;
    for (const [service, url] of Object.entries(stack.databaseUrls)) {
      const client = new pg.Client({ connectionString: url });
      await client.connect();
      try {
        const tables = await client.query<{ schema: string; name: string }>(
          `select table_schema as schema, table_name as name from information_schema.tables where table_type = 'BASE TABLE' and table_schema not in ('pg_catalog', 'information_schema')`,
        );
        for (const t of tables.rows) {
          // The migration ledger names migrations by millisecond timestamp (13 digits): no shopper data there.
          if (t.name === 'service_migrations') continue;
          const { rows: found } = await client.query<{ row: string }>(`select t::text as row from ${client.escapeIdentifier(t.schema)}.${client.escapeIdentifier(t.name)} t`);
          rows += found.length;
          expect(cardNumbersIn(found.map((r) => r.row)), `${service} ${t.schema}.${t.name}`).toEqual([]);
        }
      } finally {
        await client.end();
      }
    }
    expect(rows).toBeGreaterThan(0);
    // The confirmation is mailed once the order's event is consumed: give it a moment.
    for (let i = 0; i < 50 && readdirSync(mailDir).length === 0; i++) await new Promise((r) => setTimeout(r, 200));
    const mails = readdirSync(mailDir).map((f) => readFileSync(path.join(mailDir, f), 'utf8'));
    expect(mails.length).toBeGreaterThan(0);
    expect(cardNumbersIn(mails)).toEqual([]);
  });
});
