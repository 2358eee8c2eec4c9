import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import os from 'node:os';
import { randomBytes, randomUUID } from 'node:crypto';
import path from 'node:path';
import pg from 'pg';
import request from 'supertest';
import { jetstream, jetstreamManager } from '@nats-io/jetstream';
import { cartApi, EventEnvelope, formatMoney, orderEvents, ordersApi, TERMS_VERSION, type Caller } from '@shop/contracts';
import { eventStreamName } from '@shop/kit';
import { addBusinessDays } from '@shop/contracts';
import { adminHeaders } from '@shop/kit/testing';
import { pickVariant, readyCart, startStack, until, type Stack } from './stack.js';

const mailDir = mkdtempSync(path.join(os.tmpdir(), 'orders-notify-mail-'));
let stack: Stack;
let n = 0;
const run = randomBytes(4).toString('hex');
const shopper = (): Caller => ({ subject: `notify-${run}-${++n}`, conversation: `conv-${run}-${n}` });
const LONG = { timeoutMs: 60_000 };
const instructions = 'Leave it by the back door <script>alert("x")</script> & ring twice';

beforeAll(async () => {
  stack = await startStack('orders_notify', { MAIL_DIR: mailDir, TRACKING_BASE_URL: 'https://track.test' });
});
afterAll(async () => {
  await stack?.stop();
});

async function query<T extends pg.QueryResultRow>(sql: string, params: unknown[] = []): Promise<T[]> {
  const client = new pg.Client({ connectionString: stack.dbs.orders.url });
  await client.connect();
  try {
    return (await client.query<T>(sql, params)).rows;
  } finally {
    await client.end();
  }
}

/** The mail files of one order and kind (ignoring files still being written). */
const mailsOf = (number: string, kind: string) => readdirSync(mailDir).filter((f) => f === `${number}-${kind}.eml`);

/** Waits for the one e-mail of a transition and returns its raw MIME text and decoded parts. */
async function mailOf(number: string, kind: string): Promise<{ raw: string; text: string; html: string }> {
  const [file] = await until(async () => (mailsOf(number, kind).length ? mailsOf(number, kind) : undefined));
  const raw = readFileSync(path.join(mailDir, file), 'utf8');
  return { raw, text: mimePart(raw, 'text/plain'), html: mimePart(raw, 'text/html') };
}

/** The decoded body of the first part with this content type (quoted-printable, base64 or plain). */
function mimePart(mime: string, type: string): string {
  const raw = mime.replace(/\r\n/g, '\n');
  const start = raw.indexOf(`Content-Type: ${type}`);
  if (start < 0) throw new Error(`no ${type} part`);
  const headerEnd = raw.indexOf('\n\n', start);
  const headers = raw.slice(start, headerEnd);
  const body = raw.slice(headerEnd + 2, raw.indexOf('\n--', headerEnd));
  const encoding = /Content-Transfer-Encoding: (\S+)/i.exec(headers)?.[1]?.toLowerCase();
  if (encoding === 'base64') return Buffer.from(body.replace(/\s+/g, ''), 'base64').toString('utf8');
  if (encoding !== 'quoted-printable') return body;
  const bytes = body.replace(/=\r?\n/g, '').replace(/=([0-9A-F]{2})/gi, (_m, hex: string) => `%${hex}`);
  return decodeURIComponent(bytes);
}

/** The event the orders service published for this order and transition, as it sits in the outbox. */
async function outboxEvent(subject: string, orderId: string): Promise<EventEnvelope> {
  const rows = await query<{ payload: unknown }>(`select payload from outbox where subject = $1 and payload->'data'->>'order_id' = $2`, [subject, orderId]);
  expect(rows).toHaveLength(1);
  return EventEnvelope.parse(rows[0].payload);
}

/**
 * Delivers an event to the notifier again, as JetStream would after a lost ack, and waits until
 * the notifier has acknowledged it: only then is "no second e-mail" a fact and not a race.
 */
async function redeliver(envelope: EventEnvelope): Promise<void> {
  const nc = stack.orders!.runtime.nc;
  const ack = await jetstream(nc).publish(stack.prefix + envelope.type, JSON.stringify(envelope));
  const jsm = await jetstreamManager(nc);
  const durable = `orders_notifier_${envelope.type.replace(/[^A-Za-z0-9_-]/g, '_')}`;
  await until(async () => {
    const info = await jsm.consumers.info(eventStreamName(stack.prefix), durable);
    return info.ack_floor.stream_seq >= ack.seq ? true : undefined;
  });
}

async function notificationRows(orderId: string, kind: string) {
  return query<{ event_id: string }>('select event_id from order_notifications where order_id = $1 and kind = $2', [orderId, kind]);
}

/** A placed, confirmed order whose checkout carried a preferred date and instructions. */
async function placeWithPreferences(caller: Caller, skip: number) {
  const item = await pickVariant(stack, skip);
  const cart = await readyCart(stack, caller, item, 1);
  // Six business days out: past standard shipping's earliest day (5) and always a weekday.
  const preferred = addBusinessDays(new Date(), 6).toISOString().slice(0, 10);
  const updated = await stack.bus.call(cartApi.updateCheckout, { cart_id: cart.id, caller, preferred_delivery_date: preferred, delivery_instructions: instructions });
  expect(updated.checkout).toMatchObject({ preferred_delivery_date: preferred, delivery_instructions: instructions, terms_version: TERMS_VERSION });
  const order = await stack.bus.call(ordersApi.place, { cart_id: cart.id, caller, idempotency_key: `place-${cart.id}` }, LONG);
  expect(order.status).toBe('confirmed');
  return { order, preferred };
}

describe('checkout details snapshotted at placement', () => {
  it('keeps the preferred delivery date, the instructions as written and the accepted terms version', async () => {
    const caller = shopper();
    const { order, preferred } = await placeWithPreferences(caller, 0);
    expect(order).toMatchObject({ preferred_delivery_date: preferred, delivery_instructions: instructions, terms_version: TERMS_VERSION });
    // The estimate stays the shipping method's window; the preferred date sits beside it.
    expect(order.estimated_delivery.earliest < order.estimated_delivery.latest).toBe(true);
    const got = await stack.bus.call(ordersApi.get, { order_id: order.number, caller });
    expect(got).toMatchObject({ preferred_delivery_date: preferred, delivery_instructions: instructions, terms_version: TERMS_VERSION });

    // A checkout without preferences snapshots nulls.
    const other = shopper();
    const item = await pickVariant(stack, 1);
    const plain = await readyCart(stack, other, item, 1);
    const second = await stack.bus.call(ordersApi.place, { cart_id: plain.id, caller: other, idempotency_key: `place-${plain.id}` }, LONG);
    expect(second).toMatchObject({ preferred_delivery_date: null, delivery_instructions: null, terms_version: TERMS_VERSION });
  });
});

describe('order e-mails, once per transition', () => {
  it('ship: one shipped e-mail with the tracking link, even when the event is redelivered or repeated under another id', async () => {
    const caller = shopper();
    const { order, preferred } = await placeWithPreferences(caller, 2);
    const confirmation = await mailOf(order.number, 'confirmed');
    expect(confirmation.html).toContain('&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;');
    expect(confirmation.html).not.toContain('<script>');
    expect(confirmation.text).toContain(`Your preferred delivery date: ${preferred}`);

    const shipped = (await request(stack.orders!.httpUrl).post(`/v1/orders/${order.number}/ship`).set(adminHeaders).expect(200)).body;
    const mail = await mailOf(order.number, 'shipped');
    expect(mail.raw).toContain(`Subject: Your order ${order.number} has shipped`);
    expect(mail.text).toContain(`Tracking number: ${shipped.tracking.number}`);
    expect(mail.html).toContain(`<a href="${shipped.tracking.url}">Track your parcel</a>`);
    expect(shipped.tracking.url).toMatch(/^https:\/\/track\.test\/usps\/94\d{18}$/);
    expect(mail.html).toContain('Leave it by the back door &lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; ring twice');
    expect(mail.html).not.toContain('<script>');

    const event = await outboxEvent(orderEvents.shipped, order.id);
    expect(event.data).toEqual({ order_id: order.id, order_number: order.number, tracking: shipped.tracking });
    // The same event again (a lost ack), then another event announcing the same shipment.
    await redeliver(event);
    const other = { ...event, id: randomUUID() };
    await redeliver(other);
    expect((await query('select 1 from inbox where consumer = $1 and event_id = $2', ['orders_notifier', other.id])).length).toBe(1);

    expect(mailsOf(order.number, 'shipped')).toHaveLength(1);
    // Re-sending would have rewritten the file with a new Message-ID and Date.
    expect(readFileSync(path.join(mailDir, `${order.number}-shipped.eml`), 'utf8')).toBe(mail.raw);
    expect(await notificationRows(order.id, 'shipped')).toEqual([{ event_id: event.id }]);
  });

  it('deliver: a delivered e-mail, once', async () => {
    const caller = shopper();
    const { order } = await placeWithPreferences(caller, 3);
    await stack.bus.call(ordersApi.ship, { order_id: order.id });
    await stack.bus.call(ordersApi.deliver, { order_id: order.number });
    const mail = await mailOf(order.number, 'delivered');
    expect(mail.raw).toContain(`Subject: Your order ${order.number} has been delivered`);
    expect(mail.text).toContain(`1 × ${order.lines[0].name}`);
    const event = await outboxEvent(orderEvents.delivered, order.id);
    await redeliver({ ...event, id: randomUUID() });
    expect(mailsOf(order.number, 'delivered')).toHaveLength(1);
    expect(readFileSync(path.join(mailDir, `${order.number}-delivered.eml`), 'utf8')).toBe(mail.raw);
    expect(await notificationRows(order.id, 'delivered')).toEqual([{ event_id: event.id }]);
  });

  it('cancel: a cancelled e-mail stating the refund; the event carries the refund amount', async () => {
    const caller = shopper();
    const { order } = await placeWithPreferences(caller, 4);
    const cancelled = await stack.bus.call(ordersApi.cancel, { order_id: order.id, caller, reason: 'Ordered the <wrong> size' }, LONG);
    expect(cancelled.status).toBe('cancelled');
    const event = await outboxEvent(orderEvents.cancelled, order.id);
    expect(event.data).toMatchObject({ order_id: order.id, refund_amount: order.total, currency: 'USD', reason: 'Ordered the <wrong> size' });

    const mail = await mailOf(order.number, 'cancelled');
    expect(mail.raw).toContain(`Subject: Your order ${order.number} has been cancelled`);
    const refund = `A refund of ${formatMoney(order.total, order.currency)} has been issued to your visa ending in 4242`;
    expect(mail.text).toContain(refund);
    expect(mail.html).toContain(refund);
    expect(mail.html).toContain('Reason: Ordered the &lt;wrong&gt; size');
    await redeliver(event);
    await redeliver({ ...event, id: randomUUID() });
    expect(mailsOf(order.number, 'cancelled')).toHaveLength(1);
    expect(readFileSync(path.join(mailDir, `${order.number}-cancelled.eml`), 'utf8')).toBe(mail.raw);
    // No shipment, no delivery: only the e-mails of the transitions that happened.
    expect(readdirSync(mailDir).filter((f) => f.startsWith(`${order.number}-`)).sort()).toEqual([`${order.number}-cancelled.eml`, `${order.number}-confirmed.eml`]);
  });
});
