import { TEST_SECRETS } from '@shop/kit';
import { freshDatabase, freshPrefix, submitPageForm, testEnv } from '@shop/kit/testing';
import { CsrfTokens } from '../src/http/routes.js';
import { start, type RunningPayments, type StartOptions } from '../src/main.js';
import type { PaymentProvider } from '../src/domain/provider.js';

export interface Stack {
  svc: RunningPayments;
  db: Awaited<ReturnType<typeof freshDatabase>>;
  close(): Promise<void>;
}

export async function bootPayments(label: string, extra: Record<string, string> = {}, options: StartOptions = {}): Promise<Stack> {
  const db = await freshDatabase(label);
  const svc = await start(testEnv(db.url, freshPrefix(), extra), options);
  return {
    svc,
    db,
    close: async () => {
      await svc.stop();
      await db.drop();
    },
  };
}

/** Instrumentation, not a mock: the real provider does the work; this only counts the calls. */
export function countingProvider(calls: Record<string, number>) {
  return (inner: PaymentProvider): PaymentProvider =>
    new Proxy(inner, {
      get(target, prop, receiver) {
        const value = Reflect.get(target, prop, receiver);
        if (typeof value !== 'function') return value;
        return (...args: unknown[]) => {
          calls[String(prop)] = (calls[String(prop)] ?? 0) + 1;
          return value.apply(target, args);
        };
      },
    });
}

export async function outboxEvents(stack: Stack, subject: string): Promise<Array<{ id: string; data: Record<string, unknown> }>> {
  const { rows } = await stack.svc.runtime.pool.query<{ payload: { id: string; data: Record<string, unknown> } }>(
    'select payload from outbox where subject = $1 order by id',
    [subject],
  );
  return rows.map((r) => r.payload);
}

export { eventually } from '@shop/kit/testing';

/**
 * What the shopper's browser does on a demo page: load it and press a button (the form posts with
 * the page's CSRF token and Origin). When the page no longer shows that button (the link or
 * payment is closed), the press comes from a tab opened earlier, carrying the token that page had.
 */
export async function press(stack: Stack, purpose: 'checkout' | 'authenticate', id: string, button: 'approve' | 'cancel' | 'decline'): Promise<{ status: number; text: string }> {
  const pageUrl = `${stack.svc.httpUrl}/v1/demo/${purpose}/${id}`;
  const html = await (await fetch(pageUrl)).text();
  const res = html.includes(`/${button}"`)
    ? await submitPageForm(pageUrl, `/${button}`)
    : await fetch(`${pageUrl}/${button}`, {
        method: 'POST',
        headers: { origin: new URL(pageUrl).origin, 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({ csrf: new CsrfTokens(Buffer.from(TEST_SECRETS.csrfSecret)).token(purpose, id) }),
      });
  return { status: res.status, text: await res.text() };
}
