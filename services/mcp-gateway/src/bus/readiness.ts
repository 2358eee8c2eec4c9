import type { NatsConnection } from '@shop/kit';
import { natsReady } from '@shop/kit';

/**
 * One cheap subject per domain service. The probe sends an empty (invalid) request: any reply,
 * even INVALID_INPUT, proves an instance of the service is answering under this stack's prefix.
 * (The services framework's PING is not prefixed, so it could be answered by another stack.)
 */
const probes: Record<string, string> = {
  catalog: 'catalog.products.get',
  cart: 'cart.carts.get',
  payments: 'payments.payments.get',
  orders: 'orders.orders.get',
};

const empty = new TextEncoder().encode('{}');

async function answers(nc: NatsConnection, subject: string, timeoutMs: number): Promise<boolean> {
  try {
    await nc.request(subject, empty, { timeout: timeoutMs });
    return true;
  } catch {
    // No responders or a timeout: nobody serves the subject right now.
    return false;
  }
}

export function readinessChecks(nc: NatsConnection, prefix: string, timeoutMs = 1_000) {
  return async (): Promise<Record<string, boolean>> => {
    const nats = await natsReady(nc);
    const entries = await Promise.all(Object.entries(probes).map(async ([name, subject]) => [name, nats && (await answers(nc, prefix + subject, timeoutMs))] as const));
    return { nats, ...Object.fromEntries(entries) };
  };
}
