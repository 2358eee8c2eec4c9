import type { Logger } from '@shop/kit';
import type { InventoryStore } from '../db/inventory.js';

/** Expires overdue reservations every intervalMs; returns the function that stops it (after any sweep in flight). */
export function startExpirySweep(inventory: InventoryStore, intervalMs: number, logger: Logger): () => Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  let running: Promise<void> | undefined;
  let stopped = false;
  const batch = 100;
  const tick = async () => {
    try {
      // Keep going while full batches come back, so a backlog clears in one sweep.
      while (!stopped && (await inventory.expireDue(batch)) === batch);
    } catch (e) {
      logger.warn({ err: (e as Error).message }, 'reservation expiry sweep failed; will retry');
    }
  };
  const schedule = () => {
    if (stopped) return;
    timer = setTimeout(() => {
      running = tick().finally(schedule);
    }, intervalMs);
    timer.unref();
  };
  schedule();
  return async () => {
    stopped = true;
    if (timer) clearTimeout(timer);
    await running;
  };
}
