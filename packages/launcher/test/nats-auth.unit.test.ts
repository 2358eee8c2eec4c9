import { readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import * as contracts from '@shop/contracts';
import { eventOwners, natsPermissions, natsServerConfig, natsUsers, privilegedSubjects, repoRoot } from '../src/index.js';

/** Every .ts file under dir. */
function sources(dir: string): string[] {
  return readdirSync(dir).flatMap((f) => {
    const p = path.join(dir, f);
    return statSync(p).isDirectory() ? sources(p) : p.endsWith('.ts') ? [p] : [];
  });
}

const apis = contracts as unknown as Record<string, Record<string, { subject: string }>>;
const events = contracts as unknown as Record<string, Record<string, string>>;

/** What a service's code does on the bus: its BusClient calls and its durable consumers. */
function busUsage(service: string) {
  const code = sources(path.join(repoRoot, 'services', service, 'src'))
    .filter((f) => !f.endsWith('bench.ts'))
    .map((f) => readFileSync(f, 'utf8'))
    .join('\n');
  const calls = [...code.matchAll(/\.call\(\s*(\w+Api)\.(\w+)/g)].map(([, api, ep]) => apis[api!]![ep!]!.subject);
  const consumers = [...code.matchAll(/durable:\s*'([^']+)',\s*subjects:\s*\[([^\]]*)\]/g)].map(([, durable, list]) => ({
    durable: durable!,
    subjects: list!
      .split(',')
      .map((s) => s.trim())
      .filter(Boolean)
      .map((ref) => {
        const [group, key] = ref.split('.');
        return events[group!]![key!]!;
      }),
  }));
  return { calls: [...new Set(calls)], consumers };
}

describe('NATS permission table', () => {
  for (const u of natsUsers) {
    it(`${u.user}: allows every request its code makes and every durable consumer it creates`, () => {
      const used = busUsage(u.user);
      // The scan itself must keep finding the code's calls (a rename of BusClient.call would blind it).
      if (u.requests.length) expect(used.calls.length).toBeGreaterThan(0);
      if (u.consumes.length) expect(used.consumers.length).toBeGreaterThan(0);
      expect(u.requests, 'add the missing subjects to natsUsers in packages/launcher/src/nats-auth.ts').toEqual(expect.arrayContaining(used.calls));
      for (const c of used.consumers) {
        const listed = u.consumes.find((x) => x.durable === c.durable);
        expect(listed?.subjects ?? [], `durable ${c.durable}`).toEqual(expect.arrayContaining(c.subjects));
      }
    });
  }

  it('gives catalog.admin, ship and deliver to nobody but the admin, and refunds only to orders', () => {
    for (const u of natsUsers) {
      for (const s of privilegedSubjects.admin) expect(u.requests).not.toContain(s);
      for (const s of privilegedSubjects.ordersOnly) if (u.user !== 'orders') expect(u.requests).not.toContain(s);
    }
    expect(natsUsers.find((u) => u.user === 'orders')!.requests).toContain(contracts.paymentsApi.refund.subject);
  });

  it('lets each event family be published by its one owner only', () => {
    for (const u of natsUsers) {
      const p = natsPermissions(u, 'p1.');
      for (const [family, owner] of Object.entries(eventOwners)) expect(p.publish.includes(`p1.${family}`), `${u.user} publishing ${family}`).toBe(u.user === owner);
      expect(p.publish.some((s) => s === '>' || s.startsWith('p1.evt.*') || s === 'p1.evt.>'), u.user).toBe(false);
      expect(p.subscribe).not.toContain('>');
      expect(p.subscribe).not.toContain('_INBOX.>');
    }
  });

  it('lets a service reply to the inboxes of its callers and the admin only, whatever connection the request came on', () => {
    const inboxes = (user: string) => natsPermissions(natsUsers.find((u) => u.user === user)!, 'p1.').publish.filter((s) => s.startsWith('_INBOX.'));
    expect(inboxes('catalog').sort()).toEqual(['_INBOX.admin.>', '_INBOX.cart.>', '_INBOX.mcp-gateway.>', '_INBOX.orders.>']);
    expect(inboxes('payments').sort()).toEqual(['_INBOX.accounts.>', '_INBOX.admin.>', '_INBOX.mcp-gateway.>', '_INBOX.orders.>']);
    // The gateway serves nothing, so it may publish to no one's inbox.
    expect(inboxes('mcp-gateway')).toEqual([]);
    for (const u of natsUsers) expect(inboxes(u.user), u.user).not.toContain(`_INBOX.${u.user}.>`);
  });

  it('writes a config naming every user with its password', () => {
    const conf = natsServerConfig({ listen: '127.0.0.1:1', storeDir: '/tmp/x', prefix: '', password: (u) => (u === 'cart' ? { env: 'NATS_PASSWORD_CART' } : { literal: `pw-${u}` }) });
    expect(conf).toContain('password: $NATS_PASSWORD_CART');
    expect(conf).toContain('{ user: "admin", password: "pw-admin" }');
    expect(conf).toContain('"catalog.> catalog"');
    expect(conf).toContain('"evt.payment.>"');
    // Replies go by inbox permissions; allow_responses made nats-server's cost per request grow (DECISIONS).
    expect(conf).not.toContain('allow_responses');
  });
});
