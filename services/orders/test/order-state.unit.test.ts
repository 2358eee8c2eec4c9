import { describe, expect, it } from 'vitest';
import { OrderStatus, type OrderStatus as Status } from '@shop/contracts';
import { assertTransition, canTransition, returnWindowOpen, transitions, type Actor } from '../src/domain/order-state.js';

const allowed: Array<[Status, Status, Actor]> = [
  ['pending', 'confirmed', 'system'],
  ['pending', 'payment_failed', 'system'],
  ['pending', 'cancelled', 'system'],
  ['confirmed', 'shipped', 'fulfilment'],
  ['confirmed', 'cancelled', 'shopper'],
  ['confirmed', 'cancelled', 'system'],
  ['shipped', 'delivered', 'fulfilment'],
  ['confirmed', 'refunded', 'system'],
  ['shipped', 'refunded', 'shopper'],
  ['shipped', 'refunded', 'system'],
  ['delivered', 'refunded', 'shopper'],
  ['delivered', 'refunded', 'system'],
  ['delivered', 'refunded', 'fulfilment'],
];
const actors: Actor[] = ['system', 'shopper', 'fulfilment'];

describe('order state machine', () => {
  it.each(allowed)('allows %s → %s by %s', (from, to, by) => {
    expect(canTransition(from, to, by)).toBe(true);
    expect(() => assertTransition({ number: 'ORD-2026-00001', status: from }, to, by)).not.toThrow();
  });

  // Every (from, to, actor) triple not in the allowed list is refused.
  const refused: Array<[Status, Status, Actor]> = [];
  for (const from of OrderStatus.options)
    for (const to of OrderStatus.options)
      for (const by of actors) if (!allowed.some(([f, t, a]) => f === from && t === to && a === by)) refused.push([from, to, by]);

  it.each(refused)('refuses %s → %s by %s', (from, to, by) => {
    expect(canTransition(from, to, by)).toBe(false);
    expect(() => assertTransition({ number: 'ORD-2026-00001', status: from }, to, by)).toThrow(expect.objectContaining({ code: 'INVALID_TRANSITION' }));
  });

  it('the table holds exactly the allowed transitions', () => {
    const flat = transitions.flatMap((t) => t.by.map((by) => [t.from, t.to, by]));
    expect(flat.sort()).toEqual([...allowed].sort());
  });

  it('explains why a shipped order cannot be cancelled', () => {
    expect(() => assertTransition({ number: 'ORD-2026-00042', status: 'shipped' }, 'cancelled', 'shopper')).toThrow(
      'Order ORD-2026-00042 has already shipped and can no longer be cancelled',
    );
    expect(() => assertTransition({ number: 'ORD-2026-00042', status: 'delivered' }, 'cancelled', 'shopper')).toThrow('has already shipped');
    expect(() => assertTransition({ number: 'ORD-2026-00042', status: 'confirmed' }, 'delivered', 'fulfilment')).toThrow('has not shipped yet');
  });

  it('a shopper cannot ship, confirm or fail an order', () => {
    expect(canTransition('confirmed', 'shipped', 'shopper')).toBe(false);
    expect(canTransition('pending', 'confirmed', 'shopper')).toBe(false);
    expect(canTransition('pending', 'cancelled', 'shopper')).toBe(false);
  });
});

describe('refunds and the returns window', () => {
  it('a refunded order can no longer be shipped or delivered, and says so', () => {
    expect(() => assertTransition({ number: 'ORD-2026-00042', status: 'refunded' }, 'shipped', 'fulfilment')).toThrow('Order ORD-2026-00042 was refunded, so it can no longer be shipped');
    expect(() => assertTransition({ number: 'ORD-2026-00042', status: 'refunded' }, 'delivered', 'fulfilment')).toThrow('can no longer be delivered');
  });

  it('a shopper refunds a shipped or delivered order, and is told to cancel one that has not shipped', () => {
    expect(() => assertTransition({ number: 'ORD-2026-00042', status: 'confirmed' }, 'refunded', 'shopper')).toThrow('has not shipped yet: cancel it instead');
    expect(() => assertTransition({ number: 'ORD-2026-00042', status: 'refunded' }, 'refunded', 'shopper')).toThrow('has already been refunded');
  });

  it('the window: a shipped order is always inside it, a delivered one for the given days after delivery, others never', () => {
    const delivered = new Date('2026-03-01T12:00:00Z');
    const day = 86_400_000;
    expect(returnWindowOpen('shipped', null, new Date('2027-01-01T00:00:00Z'), 30)).toBe(true);
    expect(returnWindowOpen('delivered', delivered, new Date(delivered.getTime() + 30 * day), 30)).toBe(true);
    expect(returnWindowOpen('delivered', delivered, new Date(delivered.getTime() + 30 * day + 1), 30)).toBe(false);
    expect(returnWindowOpen('delivered', null, delivered, 30)).toBe(false);
    expect(returnWindowOpen('confirmed', null, delivered, 30)).toBe(false);
  });
});
