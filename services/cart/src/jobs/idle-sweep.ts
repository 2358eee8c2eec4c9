import { startPeriodic, type Logger, type Periodic } from '@shop/kit';
import type { Carts } from '../app/carts.js';

/** Abandons carts idle longer than idleSeconds; safe on any number of instances (skip locked). */
export function startIdleSweep(carts: Carts, opts: { idleSeconds: number; everyMs: number; logger: Logger }): Periodic {
  return startPeriodic(
    'cart_abandon_idle',
    opts.everyMs,
    async () => {
      const abandoned = await carts.sweepIdle(opts.idleSeconds);
      if (abandoned) opts.logger.info({ abandoned }, 'abandoned idle carts');
    },
    { logger: opts.logger },
  );
}
