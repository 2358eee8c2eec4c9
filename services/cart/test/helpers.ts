import { randomUUID } from 'node:crypto';
import { AppError, catalogApi, type EventEnvelope } from '@shop/contracts';
import { consumeEvents, type ServiceRuntime } from '@shop/kit';

/** The AppError a promise rejects with (fails the test when it resolves). */
export async function refusal(p: Promise<unknown>): Promise<AppError> {
  const outcome = await p.then(
    (value) => ({ value }),
    (error: unknown) => ({ error }),
  );
  if (!('error' in outcome)) throw new Error(`expected a refusal, got ${JSON.stringify(outcome.value).slice(0, 300)}`);
  if (!(outcome.error instanceof AppError)) throw outcome.error;
  return outcome.error;
}

export function shopper(label: string) {
  return { subject: `subj-${label}-${randomUUID()}`, conversation: `conv-${label}-${randomUUID()}` };
}

export async function productByName(runtime: ServiceRuntime, name: string) {
  const result = await runtime.bus.call(catalogApi.search, { query: name, in_stock_only: false, per_page: 50 });
  const summary = result.items.find((p) => p.name === name);
  if (!summary) throw new Error(`catalog fixture "${name}" not found`);
  return runtime.bus.call(catalogApi.get, { product_id: summary.id });
}

/** Records the domain events published on JetStream, as a real consumer would see them. */
export async function recordEvents(runtime: ServiceRuntime, subjects: string[]) {
  const seen: EventEnvelope[] = [];
  const consumer = await consumeEvents({
    nc: runtime.nc,
    prefix: runtime.config.NATS_PREFIX,
    durable: `observer_${randomUUID().slice(0, 8)}`,
    subjects,
    logger: runtime.logger,
    handler: async (event) => {
      seen.push(event);
    },
  });
  return {
    seen,
    stop: () => consumer.stop(),
    async waitFor(match: (e: EventEnvelope) => boolean, timeoutMs = 10_000): Promise<EventEnvelope> {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const found = seen.find(match);
        if (found) return found;
        if (Date.now() > deadline) throw new Error('event not seen in time');
        await new Promise((r) => setTimeout(r, 50));
      }
    },
  };
}
