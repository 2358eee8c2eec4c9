import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { rawRequest } from '@shop/kit/testing';
import type { Stack } from '@shop/launcher';
import { startSecuredStack } from './stack.js';

/**
 * /metrics of every process of a stack as `npm start` runs it, the public gateway included: only a
 * caller holding a service (or admin) token from the launcher reads it; the Host allowlist applies.
 */
let secured: Awaited<ReturnType<typeof startSecuredStack>>;
let stack: Stack;

beforeAll(async () => {
  secured = await startSecuredStack();
  stack = secured.stack;
});
afterAll(async () => {
  await secured?.stop();
});

const bearer = (token: string) => ({ authorization: `Bearer ${token}` });

describe('/metrics behind the service credential', () => {
  for (const name of ['catalog', 'cart', 'payments', 'orders', 'accounts', 'mcp-gateway']) {
    it(`${name}: 401 without or with a wrong token, the metrics with the service or the operator token, 403 for a foreign Host`, async () => {
      const url = `${stack.processes.get(name)!.url}/metrics`;
      const none = await rawRequest(url);
      expect(none.status).toBe(401);
      expect(none.text).not.toContain('process_cpu_seconds_total');
      const wrong = await rawRequest(url, { headers: bearer('not-a-token') });
      expect(wrong.status).toBe(401);
      const service = await rawRequest(url, { headers: bearer(stack.apiTokens.service) });
      expect(service.status).toBe(200);
      expect(service.text).toContain('process_cpu_seconds_total');
      expect(service.text).toMatch(/^# TYPE nats_server_request_duration_seconds histogram$/m);
      const admin = await rawRequest(url, { headers: bearer(stack.apiTokens.admin) });
      expect(admin.status).toBe(200);
      const rebinding = await rawRequest(url, { headers: { ...bearer(stack.apiTokens.service), host: 'attacker.example' } });
      expect(rebinding.status).toBe(403);
    });
  }
});
