import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { cartApi, ordersApi } from '@shop/contracts';
import { testEnv } from '@shop/kit/testing';
import { availableOf, pickVariant, readyCart, sql, startStack, until, type Stack } from './stack.js';

const mainJs = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../dist/main.js');
const mailDir = mkdtempSync(path.join(os.tmpdir(), 'orders-crash-mail-'));
let stack: Stack;
let child: ChildProcess | undefined;

function runOrders(extra: Record<string, string>): { proc: ChildProcess; exited: Promise<number | null> } {
  if (child && child.exitCode === null) child.kill('SIGTERM');
  const env = { ...process.env, ...testEnv(stack.dbs.orders.url, stack.prefix, { MAIL_DIR: mailDir, ORDERS_RECOVERY_MS: '200', ...extra }) };
  const proc = spawn(process.execPath, [mainJs], { env, stdio: 'ignore' });
  const exited = new Promise<number | null>((resolve) => proc.on('exit', (code) => resolve(code)));
  child = proc;
  return { proc, exited };
}

/**
 * Sends the placement until the crashing process dies at its hook. On a busy machine a first
 * attempt can fail before it reaches the hook (a downstream timeout); the same key resumes it.
 */
async function placeUntilCrash(crashing: { exited: Promise<number | null> }, request: Parameters<typeof stack.bus.call<typeof ordersApi.place>>[1]) {
  let last: unknown;
  for (let attempt = 0; attempt < 6; attempt++) {
    last = await stack.bus.call(ordersApi.place, request, { timeoutMs: 3_000 }).catch((e) => e);
    const code = await Promise.race([crashing.exited, new Promise<'running'>((r) => setTimeout(() => r('running'), 2_000))]);
    if (code !== 'running') return { code, last };
  }
  throw new Error(`the orders process never reached its crash hook; last answer: ${JSON.stringify(last)}`);
}

beforeAll(async () => {
  stack = await startStack('orders_crash', {}, { withOrders: false });
});
afterAll(async () => {
  if (child && child.exitCode === null) {
    child.kill('SIGTERM');
    await new Promise((r) => child!.once('exit', r));
  }
  await stack?.stop();
});

describe('a crash between charge and confirm', () => {
  it('ends confirmed exactly once, with exactly one payment, after a restart', async () => {
    const crashing = runOrders({ ORDERS_CRASH_AFTER_STEP: 'charged' });
    const probe = { subject: 'probe' };
    await until(() => stack.bus.call(ordersApi.list, { caller: probe, page: 1, per_page: 1 }));

    const caller = { subject: `crash-${randomBytes(4).toString('hex')}`, conversation: `conv-${randomBytes(4).toString('hex')}` };
    const item = await pickVariant(stack, 0);
    const before = await availableOf(stack, item.variant_id);
    const cart = await readyCart(stack, caller, item, 1);
    const crash = await placeUntilCrash(crashing, { cart_id: cart.id, caller, idempotency_key: `crash-${cart.id}` });
    expect(crash.code).toBe(137);
    expect(crash.last).toMatchObject({ code: expect.stringMatching(/TIMEOUT|UNAVAILABLE/) });

    // Charged, not confirmed: the process died right after persisting the payment step.
    const [stuck] = await sql<{ id: string; status: string; saga_step: string }>(stack.dbs.orders.url, 'select id, status, saga_step from orders_with_saga where cart_id = $1', [cart.id]);
    expect(stuck).toMatchObject({ status: 'pending', saga_step: 'charged' });

    runOrders({});
    const order = await until(async () => {
      const o = await stack.bus.call(ordersApi.get, { order_id: stuck.id, caller });
      return o.status === 'confirmed' ? o : undefined;
    });
    expect(order.payment).toMatchObject({ status: 'captured', last4: '4242' });

    // A retry of the original request now returns the same confirmed order, and nothing is charged twice.
    const retried = await stack.bus.call(ordersApi.place, { cart_id: cart.id, caller, idempotency_key: `crash-${cart.id}` }, { timeoutMs: 30_000 });
    expect(retried.id).toBe(stuck.id);
    const payments = await sql<{ n: string }>(stack.dbs.payments.url, 'select count(*) as n from payments where order_id = $1', [stuck.id]);
    expect(Number(payments[0].n)).toBe(1);
    const confirmations = await sql<{ n: string }>(stack.dbs.orders.url, `select count(*) as n from order_status_history where order_id = $1 and status = 'confirmed'`, [stuck.id]);
    expect(Number(confirmations[0].n)).toBe(1);
    const events = await sql<{ n: string }>(stack.dbs.orders.url, `select count(*) as n from outbox where subject = 'evt.order.confirmed' and payload->'data'->>'order_id' = $1`, [stuck.id]);
    expect(Number(events[0].n)).toBe(1);
    expect(order.timeline.map((t) => t.status)).toEqual(['pending', 'confirmed']);
    expect((await availableOf(stack, item.variant_id)).stock).toBe(before.stock - 1);
    const converted = await stack.bus.call(cartApi.get, { cart_id: cart.id, caller }).catch((e) => e);
    expect(converted.status ?? converted.code).not.toBe('active');
  }, 90_000);

  it('a saga abandoned before payment is compensated after the grace period: stock and coupon use released, nothing charged', async () => {
    const crashing = runOrders({ ORDERS_CRASH_AFTER_STEP: 'reserved' });
    await until(() => stack.bus.call(ordersApi.list, { caller: { subject: 'probe' }, page: 1, per_page: 1 }));
    const caller = { subject: `abandon-${randomBytes(4).toString('hex')}` };
    const item = await pickVariant(stack, 1);
    const before = await availableOf(stack, item.variant_id);
    const ready = await readyCart(stack, caller, item, 1);
    const cart = await stack.bus.call(cartApi.applyCoupon, { cart_id: ready.id, caller, code: 'FREESHIP' });
    const timesUsed = async () => (await sql<{ times_used: number }>(stack.dbs.cart.url, `select times_used from coupons where code = 'FREESHIP'`))[0].times_used;
    const usesBefore = await timesUsed();
    const crash = await placeUntilCrash(crashing, { cart_id: cart.id, caller, idempotency_key: `abandon-${cart.id}` });
    expect(crash.code).toBe(137);
    const [stuck] = await sql<{ id: string; saga_step: string }>(stack.dbs.orders.url, 'select id, saga_step from orders_with_saga where cart_id = $1', [cart.id]);
    expect(stuck.saga_step).toBe('reserved');
    expect((await availableOf(stack, item.variant_id)).available).toBe(before.available - 1);
    expect(await timesUsed()).toBe(usesBefore + 1);

    const restarted = runOrders({ ORDERS_SAGA_GRACE_MS: '500' });
    const order = await until(async () => {
      const o = await stack.bus.call(ordersApi.get, { order_id: stuck.id, caller });
      return o.status === 'cancelled' ? o : undefined;
    });
    expect(order.reason).toMatch(/not been charged/);
    expect(await availableOf(stack, item.variant_id)).toEqual(before);
    expect(await timesUsed()).toBe(usesBefore);
    const payments = await sql<{ n: string }>(stack.dbs.payments.url, 'select count(*) as n from payments where order_id = $1', [stuck.id]);
    expect(Number(payments[0].n)).toBe(0);
    expect((await stack.bus.call(cartApi.get, { cart_id: cart.id, caller })).status).toBe('active');
    restarted.proc.kill('SIGTERM');
    await restarted.exited;
  }, 90_000);
});
