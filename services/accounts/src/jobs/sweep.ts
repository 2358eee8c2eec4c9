import type { Logger } from '@shop/kit';
import type { AccountsApp } from '../app/accounts.js';

/** Deletes expired codes, account sessions and OAuth records now and then; safe on any number of instances. */
export function startSweeper(app: AccountsApp, intervalMs: number, logger: Logger): { stop: () => Promise<void> } {
  let running: Promise<unknown> | undefined;
  const timer = setInterval(() => {
    running ??= app
      .sweep()
      .then((n) => {
        if (n.codes + n.sessions + n.oauth) logger.debug(n, 'expired records deleted');
      })
      .catch((e) => logger.warn({ err: (e as Error).message }, 'sweep failed'))
      .finally(() => (running = undefined));
  }, intervalMs);
  timer.unref();
  return {
    stop: async () => {
      clearInterval(timer);
      await running;
    },
  };
}
