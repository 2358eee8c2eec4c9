import { startPeriodic, type Logger, type Periodic } from '@shop/kit';
import type { AccountsApp } from '../app/accounts.js';

/** Deletes expired codes, account sessions and OAuth records now and then; safe on any number of instances. */
export function startSweeper(app: AccountsApp, everyMs: number, logger: Logger): Periodic {
  return startPeriodic(
    'accounts_delete_expired',
    everyMs,
    async () => {
      const n = await app.sweep();
      if (n.codes + n.sessions + n.oauth) logger.debug(n, 'expired records deleted');
    },
    { logger },
  );
}
