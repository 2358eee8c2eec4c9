import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import request from 'supertest';
import { paymentsApi, type AppError } from '@shop/contracts';
import { BusClient, connectNats, createLogger, type NatsConnection } from '@shop/kit';
import { freshDatabase, freshPrefix, testEnv, testNatsUrl } from '@shop/kit/testing';

const mainJs = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../dist/main.js');
const cards = ['4242424242424242', '5555555555554444', '4000056655665556', '378282246310005'];

/** The built service as its own process, so everything it writes to stdout/stderr is captured. */
describe('card data never reaches the logs', () => {
  let db: Awaited<ReturnType<typeof freshDatabase>>;
  let child: ChildProcess;
  let output = '';
  let httpUrl = '';
  let nc: NatsConnection;
  let bus: BusClient;

  beforeAll(async () => {
    if (!existsSync(mainJs)) throw new Error('build first: npx tsc -b services/payments');
    db = await freshDatabase('payments_logs');
    const prefix = freshPrefix();
    child = spawn(process.execPath, [mainJs], { env: { PATH: process.env.PATH, ...testEnv(db.url, prefix, { LOG_LEVEL: 'trace' }) }, stdio: ['ignore', 'pipe', 'pipe'] });
    const started = new Promise<string>((resolve, reject) => {
      const onData = (chunk: Buffer) => {
        output += chunk.toString();
        const m = /"httpUrl":"([^"]+)".*"msg":"payments started"/.exec(output);
        if (m) resolve(m[1]);
      };
      child.stdout!.on('data', onData);
      child.stderr!.on('data', onData);
      child.on('exit', (code) => reject(new Error(`payments exited with ${code}: ${output.slice(-2000)}`)));
    });
    httpUrl = await started;
    nc = await connectNats(testNatsUrl(), 'card-log-test', createLogger('card-log-test', 'silent'));
    bus = new BusClient(nc, prefix, 10_000);
  });

  afterAll(async () => {
    await nc?.close();
    if (child && child.exitCode === null) {
      const exited = new Promise((r) => child.once('exit', r));
      child.kill('SIGTERM');
      await exited;
    }
    await db?.drop();
  });

  it('refuses card numbers and card fields everywhere, and logs only the field name', async () => {
    const base = { order_id: randomUUID(), amount: 1000, currency: 'USD', idempotency_key: `k-${randomUUID()}`, payment_method_id: 'pm_card_visa', customer: 'u1' };
    const attempts: Array<Promise<unknown>> = [
      bus.call(paymentsApi.authorize, { ...base, description: `card ${cards[0]}` }),
      bus.call(paymentsApi.authorize, { ...base, card_number: cards[1] } as never),
      bus.call(paymentsApi.refund, { payment_id: randomUUID(), idempotency_key: `k-${randomUUID()}`, reason: cards[3].replace(/(\d{4})/g, '$1 ') }),
      bus.call(paymentsApi.listMethods, { customer: cards[2] }),
    ];
    for (const attempt of attempts) expect(await attempt.then(() => null, (e: AppError) => e.code)).toBe('CARD_DATA_REFUSED');

    const query = await request(httpUrl).get('/v1/payments').query({ order_id: cards[2].replace(/(\d{4})/g, '$1-').replace(/-$/, '') });
    expect(query.body.error.code).toBe('CARD_DATA_REFUSED');
    const body = await request(httpUrl).post('/v1/payments').send({ card: { number: cards[0], cvc: '123', exp_month: 12, exp_year: 2030 } });
    expect(body.status).toBe(400);
    expect(body.body.error.code).toBe('CARD_DATA_REFUSED');
    const nested = await request(httpUrl).post('/v1/payments').send({ note: cards[1] });
    expect(nested.body.error).toMatchObject({ code: 'CARD_DATA_REFUSED', details: { field: 'body.note' } });

    // Give the process a moment to flush, then read everything it wrote.
    await new Promise((r) => setTimeout(r, 300));
    expect(output).toContain("card data refused");
    for (const card of cards) {
      expect(output).not.toContain(card);
      expect(output.replace(/[ -]/g, '')).not.toContain(card);
    }
  });
});
