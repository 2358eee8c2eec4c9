import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { rawRequest } from '@shop/kit/testing';
import type { Stack } from '@shop/launcher';
import { startSecuredStack } from './stack.js';

/**
 * The gateway's public edge with its default limits, as `npm start` runs it. The one change: the
 * gateway trusts X-Forwarded-For from loopback, so each test can speak from an address of its own.
 */
let secured: Awaited<ReturnType<typeof startSecuredStack>>;
let stack: Stack;
beforeAll(async () => {
  secured = await startSecuredStack({ 'mcp-gateway': { TRUST_PROXY: 'loopback' } });
  stack = secured.stack;
});
afterAll(async () => {
  await secured?.stop();
});

const mcp = () => `${stack.processes.get('mcp-gateway')!.url}/mcp`;
const headers = (ip: string) => ({ 'content-type': 'application/json', accept: 'application/json, text/event-stream', 'x-forwarded-for': ip });
const initialize = JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'initialize', params: { protocolVersion: '2025-06-18', capabilities: {}, clientInfo: { name: 'flood', version: '1' } } });

/** Sends n requests, `width` at a time; returns the statuses in order. */
async function flood(n: number, width: number, send: (i: number) => Promise<number>): Promise<number[]> {
  const statuses: number[] = new Array(n);
  let next = 0;
  await Promise.all(
    Array.from({ length: width }, async () => {
      for (let i = next++; i < n; i = next++) statuses[i] = await send(i);
    }),
  );
  return statuses;
}

function rssKiB(pid: number): number {
  const line = readFileSync(`/proc/${pid}/status`, 'utf8').split('\n').find((l) => l.startsWith('VmRSS:'))!;
  return Number(/(\d+)/.exec(line)![1]);
}

describe('gateway edge under abuse (default limits)', () => {
  it('a fresh openai/subject on every call from one IP is still limited by the IP (1200 a minute)', async () => {
    const statuses = await flood(1250, 10, async (i) =>
      (await rawRequest(mcp(), { method: 'POST', headers: headers('198.51.100.30'), body: JSON.stringify({ jsonrpc: '2.0', id: i, method: 'tools/list', params: { _meta: { 'openai/subject': `fresh-${i}` } } }) })).status,
    );
    expect(statuses.filter((s) => s === 200)).toHaveLength(1200);
    expect(statuses.filter((s) => s === 429)).toHaveLength(50);
  });

  it('2,000 session opens from one IP keep at most 100 sessions, and the gateway stays under +64 MiB', async () => {
    const pid = stack.processes.get('mcp-gateway')!.child!.pid!;
    const before = rssKiB(pid);
    const statuses = await flood(2000, 10, async () => (await rawRequest(mcp(), { method: 'POST', headers: headers('198.51.100.31'), body: initialize })).status);
    expect(statuses.filter((s) => s === 200)).toHaveLength(100);
    expect(statuses.filter((s) => s === 429)).toHaveLength(1900);
    const grown = rssKiB(pid) - before;
    expect(grown).toBeLessThan(64 * 1024);
    // Another address is not locked out by that flood.
    expect((await rawRequest(mcp(), { method: 'POST', headers: headers('198.51.100.32'), body: initialize })).status).toBe(200);
  });
});
