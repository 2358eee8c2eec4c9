import { describe, expect, it } from 'vitest';
import { accountEvents, cartEvents, catalogEvents, eventSchemas, orderEvents, paymentEvents, type OutgoingEvent } from '@shop/contracts';
import { publishEvent } from '../src/outbox.js';

/** A transaction stand-in that records the statements: publishEvent's only I/O is one insert. */
function recordingTx() {
  const statements: Array<{ sql: string; params: unknown[] }> = [];
  return { statements, query: async (sql: string, params: unknown[]) => (statements.push({ sql, params }), { rows: [], rowCount: 1 }) } as never as {
    statements: typeof statements;
    query: (sql: string, params: unknown[]) => Promise<unknown>;
  };
}

describe('typed events at the producer', () => {
  it('every declared event subject has exactly one data schema', () => {
    const declared = [accountEvents, cartEvents, catalogEvents, orderEvents, paymentEvents].flatMap((m) => Object.values(m));
    expect(new Set(declared)).toEqual(new Set(Object.keys(eventSchemas)));
  });

  it('writes a valid event to the outbox as JSON, with dates as ISO strings', async () => {
    const tx = recordingTx();
    const orderId = '11111111-1111-4111-8111-111111111111';
    await publishEvent(tx as never, {
      subject: catalogEvents.reserved,
      data: { order_id: orderId, lines: [{ variant_id: '22222222-2222-4222-8222-222222222222', quantity: 2 }], expires_at: new Date('2026-12-01T12:00:00Z').toISOString() },
    });
    expect(tx.statements).toHaveLength(1);
    const envelope = JSON.parse(tx.statements[0]!.params[2] as string);
    expect(envelope).toMatchObject({ type: 'evt.inventory.reserved', data: { order_id: orderId, expires_at: '2026-12-01T12:00:00.000Z' } });
  });

  it('refuses malformed data naming the event and the field, and writes nothing', async () => {
    const tx = recordingTx();
    const bad = { subject: orderEvents.delivered, data: { order_id: 'not-a-uuid', order_number: 'ORD-2026-00001' } } as OutgoingEvent;
    await expect(publishEvent(tx as never, bad)).rejects.toMatchObject({ code: 'INVALID_INPUT', message: expect.stringContaining('evt.order.delivered.order_id') });
    expect(tx.statements).toHaveLength(0);
  });
});
