import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import request from 'supertest';
import { Cart, cartApi, TERMS_VERSION, type ProductDetail } from '@shop/contracts';
import { freshDatabase, freshPrefix, serviceHeaders, testEnv } from '@shop/kit/testing';
import { start as startCatalog } from '@shop/catalog';
import { start as startCart } from '../src/main.js';
import { productByName, refusal, shopper } from './helpers.js';

type Running = Awaited<ReturnType<typeof startCart>>;

// Dates relative to today (UTC), worked out here independently of the service's domain code.
const DAY_MS = 86_400_000;
function isoInDays(days: number): string {
  const now = new Date();
  return new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), now.getUTCDate()) + days * DAY_MS).toISOString().slice(0, 10);
}
const dayOfWeek = (iso: string) => new Date(`${iso}T00:00:00Z`).getUTCDay();
const isWeekday = (iso: string) => dayOfWeek(iso) !== 0 && dayOfWeek(iso) !== 6;
/** The first day at least `days` out that `ok` accepts. */
function firstDayFrom(days: number, ok: (iso: string) => boolean): string {
  for (let d = days; ; d++) if (ok(isoInDays(d))) return isoInDays(d);
}
/** The day exactly `n` business days after today. */
function businessDaysOut(n: number): string {
  let d = 0;
  for (let left = n; left > 0; ) if (isWeekday(isoInDays(++d))) left--;
  return isoInDays(d);
}

describe('delivery preferences and terms version (real Postgres, NATS and catalog)', () => {
  let catalogDb: Awaited<ReturnType<typeof freshDatabase>>;
  let cartDb: Awaited<ReturnType<typeof freshDatabase>>;
  let catalog: Awaited<ReturnType<typeof startCatalog>>;
  let cart: Running;
  let mug: ProductDetail;

  const call = <K extends keyof typeof cartApi>(k: K, req: Parameters<Running['runtime']['bus']['call']>[1]) =>
    cart.runtime.bus.call(cartApi[k], req as never) as Promise<Cart>;

  beforeAll(async () => {
    const prefix = freshPrefix();
    [catalogDb, cartDb] = await Promise.all([freshDatabase('cart_delivery_catalog'), freshDatabase('cart_delivery')]);
    catalog = await startCatalog(testEnv(catalogDb.url, prefix));
    cart = await startCart(testEnv(cartDb.url, prefix));
    mug = await productByName(cart.runtime, 'Classic Ceramic Coffee Mug');
  });

  afterAll(async () => {
    await cart?.stop();
    await catalog?.stop();
    await Promise.all([cartDb?.drop(), catalogDb?.drop()]);
  });

  async function cartWithMug(label: string) {
    const who = shopper(label);
    const c = await call('resolve', { caller: who });
    await call('addLine', { cart_id: c.id, caller: who, product_id: mug.id, quantity: 1 });
    return { who, id: c.id };
  }

  const weekdayTenDaysOut = firstDayFrom(10, isWeekday);
  const saturday = firstDayFrom(10, (iso) => dayOfWeek(iso) === 6);

  it('stores a valid preferred date and instructions as given, and reads them back', async () => {
    const { who, id } = await cartWithMug('valid');
    const instructions = 'Ring twice <b>not</b> the "front" bell & leave it at the back door.\nThanks!';
    const before = await call('get', { cart_id: id, caller: who });
    const c = await call('updateCheckout', {
      cart_id: id,
      caller: who,
      shipping_method: 'standard',
      preferred_delivery_date: weekdayTenDaysOut,
      delivery_instructions: instructions,
    });
    expect(c.version).toBe(before.version + 1);
    expect(c.checkout).toMatchObject({ preferred_delivery_date: weekdayTenDaysOut, delivery_instructions: instructions, shipping_method: 'standard' });
    // Optional preferences are not steps.
    expect(c.checkout.completed_steps).toEqual(['shipping_method']);
    const read = await call('get', { cart_id: id, caller: who });
    expect(read.checkout).toMatchObject({ preferred_delivery_date: weekdayTenDaysOut, delivery_instructions: instructions });
    const cleared = await call('updateCheckout', { cart_id: id, caller: who, preferred_delivery_date: null, delivery_instructions: null });
    expect(cleared.checkout).toMatchObject({ preferred_delivery_date: null, delivery_instructions: null });
  });

  it('refuses a weekend date for standard shipping (naming the field and rule) and writes nothing', async () => {
    const { who, id } = await cartWithMug('weekend');
    const before = await call('updateCheckout', { cart_id: id, caller: who, shipping_method: 'standard', delivery_instructions: 'side gate' });
    const e = await refusal(call('updateCheckout', { cart_id: id, caller: who, preferred_delivery_date: saturday, delivery_instructions: 'changed' }));
    expect(e.code).toBe('INVALID_INPUT');
    expect(e.message).toBe(`Invalid preferred_delivery_date: ${saturday} is a Saturday: standard shipping delivers Monday to Friday only.`);
    expect(e.details).toMatchObject({ issues: [{ field: 'preferred_delivery_date', rule: 'weekday_only' }] });
    const after = await call('get', { cart_id: id, caller: who });
    expect(after.version).toBe(before.version);
    expect(after.checkout).toMatchObject({ preferred_delivery_date: null, delivery_instructions: 'side gate' });
    // Express delivers on Saturdays.
    const express = await call('updateCheckout', { cart_id: id, caller: who, shipping_method: 'express', preferred_delivery_date: saturday });
    expect(express.checkout).toMatchObject({ shipping_method: 'express', preferred_delivery_date: saturday });
  });

  it('refuses a date earlier than the method can deliver, and one more than 30 days out', async () => {
    const { who, id } = await cartWithMug('early-late');
    const tomorrow = isoInDays(1);
    const early = await refusal(call('updateCheckout', { cart_id: id, caller: who, shipping_method: 'express', preferred_delivery_date: tomorrow }));
    expect(early.code).toBe('INVALID_INPUT');
    expect(early.message).toContain(`Invalid preferred_delivery_date: ${tomorrow} is too early for express shipping (2–3 business days): the earliest is ${businessDaysOut(2)}`);
    expect(early.details).toMatchObject({ issues: [{ field: 'preferred_delivery_date', rule: 'too_early' }], earliest: businessDaysOut(2) });
    // No method chosen yet: standard is assumed.
    const assumed = await refusal(call('updateCheckout', { cart_id: id, caller: who, preferred_delivery_date: businessDaysOut(4) }));
    expect(assumed.message).toContain(`the earliest is ${businessDaysOut(5)}`);
    expect(assumed.message).toContain('Standard shipping is assumed until you choose a shipping method.');
    const far = isoInDays(31);
    const late = await refusal(call('updateCheckout', { cart_id: id, caller: who, shipping_method: 'express', preferred_delivery_date: far }));
    expect(late.message).toBe(`Invalid preferred_delivery_date: ${far} is more than 30 days out: the latest is ${isoInDays(30)}.`);
    expect(late.details).toMatchObject({ issues: [{ rule: 'too_late' }] });
    const notADate = await refusal(call('updateCheckout', { cart_id: id, caller: who, preferred_delivery_date: 'next tuesday' }));
    expect(notADate.message).toContain('preferred_delivery_date');
    const noSuchDay = await refusal(call('updateCheckout', { cart_id: id, caller: who, preferred_delivery_date: '2026-02-30' }));
    expect(noSuchDay.details).toMatchObject({ issues: [{ field: 'preferred_delivery_date', rule: 'invalid_date' }] });
    const c = await call('get', { cart_id: id, caller: who });
    expect(c.checkout).toMatchObject({ preferred_delivery_date: null, shipping_method: null });
  });

  it('refuses a change to standard shipping that the held date cannot meet, unless a new date comes with it', async () => {
    const { who, id } = await cartWithMug('method-change');
    const expressOnly = businessDaysOut(4);
    await call('updateCheckout', { cart_id: id, caller: who, shipping_method: 'express', preferred_delivery_date: expressOnly });
    const e = await refusal(call('updateCheckout', { cart_id: id, caller: who, shipping_method: 'standard' }));
    expect(e.code).toBe('INVALID_INPUT');
    expect(e.message).toContain(`${expressOnly} is too early for standard shipping`);
    expect(e.message).toContain('send a new preferred_delivery_date with the shipping method, or null to clear it');
    expect(e.details).toMatchObject({ reason: 'shipping_method_changed', issues: [{ field: 'preferred_delivery_date', rule: 'too_early' }] });
    expect((await call('get', { cart_id: id, caller: who })).checkout).toMatchObject({ shipping_method: 'express', preferred_delivery_date: expressOnly });
    const moved = await call('updateCheckout', { cart_id: id, caller: who, shipping_method: 'standard', preferred_delivery_date: weekdayTenDaysOut });
    expect(moved.checkout).toMatchObject({ shipping_method: 'standard', preferred_delivery_date: weekdayTenDaysOut });
    expect(moved.totals.shipping).toBe(599);
  });

  it('refuses 501 characters of instructions and takes 500', async () => {
    const { who, id } = await cartWithMug('instructions');
    const long = await refusal(call('updateCheckout', { cart_id: id, caller: who, delivery_instructions: 'x'.repeat(501) }));
    expect(long.code).toBe('INVALID_INPUT');
    expect(long.message).toContain('delivery_instructions');
    expect(long.message).toContain('at most 500 characters');
    const ok = await call('updateCheckout', { cart_id: id, caller: who, delivery_instructions: 'y'.repeat(500) });
    expect(ok.checkout.delivery_instructions).toBe('y'.repeat(500));
  });

  it('records the terms version accepted and clears it when acceptance is withdrawn', async () => {
    const { who, id } = await cartWithMug('terms');
    expect((await call('get', { cart_id: id, caller: who })).checkout).toMatchObject({ terms_accepted: false, terms_version: null });
    const accepted = await call('updateCheckout', { cart_id: id, caller: who, accept_terms: true });
    expect(accepted.checkout).toMatchObject({ terms_accepted: true, terms_version: TERMS_VERSION });
    expect(accepted.checkout.completed_steps).toContain('terms');
    expect((await call('get', { cart_id: id, caller: who })).checkout.terms_version).toBe(TERMS_VERSION);
    const withdrawn = await call('updateCheckout', { cart_id: id, caller: who, accept_terms: false });
    expect(withdrawn.checkout).toMatchObject({ terms_accepted: false, terms_version: null });
    expect(withdrawn.checkout.missing_steps).toContain('terms');
  });

  it('takes the preferences over HTTP and answers a control character with INVALID_INPUT, not a 500', async () => {
    const who = shopper('delivery-http');
    const headers = { ...serviceHeaders, 'x-shopper-subject': who.subject, 'x-conversation-id': who.conversation };
    const api = () => request(cart.httpUrl);
    const id = (await api().post('/v1/carts').set(headers).send({})).body.id as string;
    const set = await api().patch(`/v1/carts/${id}/checkout`).set(headers).send({ preferred_delivery_date: weekdayTenDaysOut, delivery_instructions: 'Gate code 4411', accept_terms: true });
    expect(set.status).toBe(200);
    expect(set.body.checkout).toMatchObject({ preferred_delivery_date: weekdayTenDaysOut, delivery_instructions: 'Gate code 4411', terms_version: TERMS_VERSION });
    const nul = await api().patch(`/v1/carts/${id}/checkout`).set(headers).send({ delivery_instructions: 'gate\u0000code' });
    expect(nul.status).toBe(400);
    expect(nul.body.error).toMatchObject({ code: 'INVALID_INPUT', details: { issues: [{ field: 'delivery_instructions', rule: 'control_characters' }] } });
    const weekend = await api().patch(`/v1/carts/${id}/checkout`).set(headers).send({ preferred_delivery_date: saturday });
    expect(weekend.status).toBe(400);
    expect(weekend.body.error.details.issues[0]).toMatchObject({ field: 'preferred_delivery_date', rule: 'weekday_only' });
    const openApi = await api().get('/v1/openapi.json');
    expect(openApi.body.paths['/v1/carts/{id}/checkout'].patch.requestBody.content['application/json'].schema.properties).toHaveProperty('preferred_delivery_date');
  });
});
