import type { ServiceRuntime } from '@shop/kit';
import type { CartService } from '../cart-service.js';

/** Abandons idle carts on a timer; one sweep at a time, and stop() waits for a running one. */
export function startIdleSweep(runtime: ServiceRuntime, carts: CartService, opts: { idleSeconds: number; intervalMs: number }) {
  let running: Promise<void> | undefined;
  const tick = () => {
    if (running) return;
    running = carts
      .sweepIdle(opts.idleSeconds)
      .then((n) => {
        if (n) runtime.logger.info({ abandoned: n }, 'abandoned idle carts');
      })
      .catch((e) => runtime.logger.warn({ err: (e as Error).message }, 'idle cart sweep failed; will retry'))
      .finally(() => {
        running = undefined;
      });
  };
  const timer = setInterval(tick, opts.intervalMs);
  timer.unref();
  return {
    stop: async () => {
      clearInterval(timer);
      await running;
    },
  };
}
