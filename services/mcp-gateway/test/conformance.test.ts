import { execFile } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestStack, type TestStack } from './support/stack.js';

const script = path.join(path.dirname(fileURLToPath(import.meta.url)), 'conformance.sh');

describe('MCP conformance (@modelcontextprotocol/conformance 0.1.13)', () => {
  let stack: TestStack;
  beforeAll(async () => {
    stack = await startTestStack({ services: [] });
  });
  afterAll(async () => {
    await stack?.stop();
  });

  it('passes server-initialize, ping, tools-list, resources-list and dns-rebinding-protection', async () => {
    const { stdout } = await promisify(execFile)('bash', [script], { env: { ...process.env, MCP_URL: stack.mcpUrl }, timeout: 120_000 });
    expect(stdout).toContain('conformance: all 5 scenarios passed');
    expect(stdout.match(/SUCCESS/g)?.length).toBe(6);
  }, 150_000);
});
