import { spawn } from 'node:child_process';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cartApi, catalogApi, ordersApi, paymentsApi } from '@shop/contracts';
import { connectNats, createLogger, durableName, eventStreamName, type NatsConnection } from '@shop/kit';
import { callersOf, eventOwners, natsUsers, privilegedSubjects, repoRoot, type NatsUser, type Stack } from '@shop/launcher';
import { startSecuredStack } from './stack.js';

const logger = createLogger('security-test', 'silent');
const probe = JSON.stringify({ __probe: true });
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

let secured: Awaited<ReturnType<typeof startSecuredStack>>;
let stack: Stack;
const conns = new Map<string, NatsConnection>();

beforeAll(async () => {
  secured = await startSecuredStack();
  stack = secured.stack;
  for (const u of natsUsers) conns.set(u.user, await connectNats(stack.infra.natsSettings(u.user), `security-${u.user}`, logger));
});

afterAll(async () => {
  for (const nc of conns.values()) await nc.close().catch(() => undefined);
  await secured?.stop();
});

type Outcome = 'answered' | 'refused' | `other: ${string}`;

/** A request as `nc`'s user: answered (anything came back), refused by the server's permissions, or neither. */
async function request(nc: NatsConnection, subject: string): Promise<Outcome> {
  try {
    await nc.request(subject, probe, { timeout: 5_000 });
    return 'answered';
  } catch (e) {
    const msg = (e as Error).message;
    return /Permissions Violation for Publish/.test(msg) ? 'refused' : `other: ${msg}`;
  }
}

/** A subscription as `nc`'s user: refused by the server, or still open a moment after the server saw it. */
async function subscribe(nc: NatsConnection, subject: string, queue?: string): Promise<Outcome> {
  const sub = nc.subscribe(subject, queue ? { queue } : {});
  const ended = (async (): Promise<Outcome> => {
    try {
      for await (const _ of sub) void _;
      return 'other: closed';
    } catch (e) {
      const msg = (e as Error).message;
      return /Permissions Violation for Subscription/.test(msg) ? 'refused' : `other: ${msg}`;
    }
  })();
  await nc.flush();
  const outcome = await Promise.race([ended, sleep(1_000).then(() => 'answered' as const)]);
  sub.unsubscribe();
  return outcome;
}

const endpoints = [catalogApi, cartApi, ordersApi, paymentsApi].flatMap((api) => Object.values(api).map((e) => e.subject));
const p = () => stack.prefix;
const ownFamily = (u: NatsUser) => Object.entries(eventOwners).find(([, owner]) => owner === u.user)?.[0];

describe('NATS authentication', () => {
  it('refuses a connection without credentials', async () => {
    await expect(connectNats({ NATS_URL: stack.infra.natsUrl }, 'anonymous', logger)).rejects.toThrow(/requires credentials and none are configured.*Authorization Violation/);
  });

  it('refuses a wrong password, for every user', async () => {
    for (const user of ['admin', ...natsUsers.map((u) => u.user)]) {
      await expect(connectNats({ NATS_URL: stack.infra.natsUrl, NATS_USER: user, NATS_PASSWORD: 'not-the-password' }, 'intruder', logger)).rejects.toThrow(
        new RegExp(`rejected user "${user}"`),
      );
    }
  });

  it('refuses a service user with another service’s password', async () => {
    const orders = stack.infra.natsSettings('orders');
    await expect(connectNats({ ...orders, NATS_USER: 'catalog' }, 'mixup', logger)).rejects.toThrow(/rejected user "catalog"/);
  });
});

describe('NATS permissions: each process may do only what it needs', () => {
  for (const u of natsUsers) {
    describe(u.user, () => {
      it('is refused every endpoint it does not call (other services’ APIs, its own, admin ones)', async () => {
        const nc = conns.get(u.user)!;
        const forbidden = endpoints.filter((s) => !u.requests.includes(s));
        const outcomes = await Promise.all(forbidden.map(async (s) => [s, await request(nc, p() + s)] as const));
        expect(outcomes.filter(([, o]) => o !== 'refused')).toEqual([]);
        expect(forbidden).toEqual(expect.arrayContaining(privilegedSubjects.admin));
        if (u.user !== 'orders') expect(forbidden).toEqual(expect.arrayContaining(privilegedSubjects.ordersOnly));
      });

      it('gets an answer from every endpoint it does call', async () => {
        const nc = conns.get(u.user)!;
        const outcomes = await Promise.all(u.requests.map(async (s) => [s, await request(nc, p() + s)] as const));
        expect(outcomes.filter(([, o]) => o !== 'answered')).toEqual([]);
      });

      it('cannot publish another service’s events; its own reach the stream', async () => {
        const nc = conns.get(u.user)!;
        for (const [family, owner] of Object.entries(eventOwners)) {
          const subject = p() + family.replace('>', 'security_probe');
          const outcome = await request(nc, subject);
          expect({ subject, outcome }).toEqual({ subject, outcome: owner === u.user ? 'answered' : 'refused' });
        }
        const own = ownFamily(u);
        if (own) {
          // The answer to an allowed event publish is JetStream's acknowledgement: the event was stored.
          const ack = (await nc.request(p() + own.replace('>', 'security_probe'), probe, { timeout: 5_000 })).json<{ stream: string }>();
          expect(ack.stream).toBe(eventStreamName(p()));
        }
      });

      it('cannot subscribe to everything, to all events, to others’ replies, or to traffic outside its queue group', async () => {
        const nc = conns.get(u.user)!;
        const attempts: Array<[string, string | undefined]> = [
          ['>', undefined],
          [`${p()}>`, undefined],
          [`${p()}evt.>`, undefined],
          ['_INBOX.>', undefined],
          ['$JS.>', undefined],
          // Shipping addresses travel in this request: nobody but cart, in cart's queue group, may read it.
          [p() + cartApi.updateCheckout.subject, undefined],
          [p() + cartApi.updateCheckout.subject, 'eavesdroppers'],
          // Events beyond those it hears (cart: the inventory events its catalogue cache drops on).
          ...[`${p()}evt.order.confirmed`, `${p()}evt.payment.>`, `${p()}evt.inventory.>`]
            .filter((subject) => !(u.hears ?? []).some((h) => subject === p() + h))
            .map((subject): [string, undefined] => [subject, undefined]),
        ];
        for (const other of natsUsers.filter((o) => o.user !== u.user)) attempts.push([`_INBOX.${other.user}.>`, undefined]);
        const outcomes = [];
        for (const [subject, queue] of attempts) outcomes.push({ subject, queue, outcome: await subscribe(nc, subject, queue) });
        expect(outcomes.filter((o) => o.outcome !== 'refused')).toEqual([]);
        expect(await subscribe(nc, `_INBOX.${u.user}.security_probe`)).toBe('answered');
        for (const heard of u.hears ?? []) expect(await subscribe(nc, p() + heard)).toBe('answered');
      });

      it('can reply to the inboxes of its callers from any connection, and to no other inbox', async () => {
        const nc = conns.get(u.user)!;
        const expected = u.serves ? callersOf(u.serves) : [];
        const delivered: string[] = [];
        for (const other of natsUsers.filter((o) => o.user !== u.user)) {
          const listener = conns.get(other.user)!;
          const subject = `_INBOX.${other.user}.reply_probe_from_${u.user}`;
          const sub = listener.subscribe(subject, { max: 1 });
          await listener.flush();
          nc.publish(subject, probe);
          await nc.flush().catch(() => undefined);
          const got = await Promise.race([(async () => { for await (const _ of sub) return true; return false; })(), sleep(500).then(() => false)]);
          sub.unsubscribe();
          if (got) delivered.push(other.user);
        }
        expect(delivered.sort()).toEqual([...expected].sort());
      });

      it('cannot read, delete or purge the event stream or pull from another’s durable consumer', async () => {
        const nc = conns.get(u.user)!;
        const stream = eventStreamName(p());
        const others = natsUsers.filter((o) => o.user !== u.user).flatMap((o) => o.consumes.flatMap((c) => c.subjects.map((s) => durableName(c.durable, s))));
        const subjects = [
          `$JS.API.STREAM.MSG.GET.${stream}`,
          `$JS.API.STREAM.DELETE.${stream}`,
          `$JS.API.STREAM.PURGE.${stream}`,
          `$JS.API.STREAM.UPDATE.${stream}`,
          `$JS.API.STREAM.CREATE.ANOTHER_STREAM`,
          `$JS.API.CONSUMER.CREATE.${stream}.snoop.${p()}evt.>`,
          `$JS.API.CONSUMER.DURABLE.CREATE.${stream}.snoop`,
          ...others.flatMap((d) => [`$JS.API.CONSUMER.MSG.NEXT.${stream}.${d}`, `$JS.API.CONSUMER.DELETE.${stream}.${d}`]),
          ...(u.jetstream ? [] : ['$JS.API.INFO', `$JS.API.STREAM.INFO.${stream}`]),
        ];
        const outcomes = await Promise.all(subjects.map(async (s) => [s, await request(nc, s)] as const));
        expect(outcomes.filter(([, o]) => o !== 'refused')).toEqual([]);
      });
    });
  }

  it('lets the admin user do what operators need (catalog.admin, ship, deliver)', async () => {
    const admin = await connectNats(stack.infra.natsSettings('admin'), 'security-admin', logger);
    try {
      for (const s of privilegedSubjects.admin) expect(await request(admin, p() + s)).toBe('answered');
    } finally {
      await admin.close();
    }
  });
});

/** Starts a service's built main.js with env; resolves with its exit code and output once it exits. */
function runService(dir: string, env: Record<string, string>, timeoutMs = 45_000): Promise<{ code: number | null; output: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [path.join(repoRoot, dir, 'dist', 'main.js')], { cwd: repoRoot, env: { PATH: process.env.PATH ?? '', ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (d) => (output += d));
    child.stderr.on('data', (d) => (output += d));
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`${dir} was still running after ${timeoutMs} ms (retrying forever?):\n${output.slice(-2000)}`));
    }, timeoutMs);
    child.once('exit', (code) => {
      clearTimeout(timer);
      resolve({ code, output });
    });
  });
}

describe('a service facing the authenticated server without its credentials', () => {
  const cases = [
    { service: 'catalog', creds: 'none' },
    { service: 'catalog', creds: 'wrong' },
    { service: 'mcp-gateway', creds: 'none' },
    { service: 'orders', creds: 'wrong' },
  ] as const;
  for (const c of cases) {
    it(`${c.service} with ${c.creds} credentials refuses to start and says why`, async () => {
      const proc = stack.processes.get(c.service)!;
      const env: Record<string, string> = { ...proc.env, HTTP_PORT: '0' };
      delete env.NATS_PASSWORD_FILE;
      if (c.creds === 'none') delete env.NATS_USER;
      else env.NATS_PASSWORD = 'wrong-password';
      const { code, output } = await runService(proc.spec.dir, env);
      expect(code).not.toBe(0);
      expect(output).toMatch(c.creds === 'none' ? /requires credentials and none are configured/ : new RegExp(`rejected user \\\\?"${c.service}\\\\?": wrong or rotated password`));
    });
  }
});
