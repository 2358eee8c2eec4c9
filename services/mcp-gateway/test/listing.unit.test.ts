import { describe, expect, it } from 'vitest';
import { Client } from '@modelcontextprotocol/client';
import { InMemoryTransport, McpServer } from '@modelcontextprotocol/server';
import { createLogger, type BusClient } from '@shop/kit';
import { registerTools, toolListing, type ToolDeps } from '../src/mcp/tools.js';

// Listing tools never touches the bus, so none is needed here.
const deps: ToolDeps = { bus: {} as BusClient, logger: createLogger('test', 'silent'), placeOrderTimeoutMs: 1_000, publicUrl: 'http://localhost:3000', signInChallenge: () => 'Bearer' };

async function listVia(listing?: ReturnType<typeof toolListing>) {
  const server = new McpServer({ name: 's', version: '1' });
  registerTools(server, deps, listing);
  const [a, b] = InMemoryTransport.createLinkedPair();
  await server.connect(a);
  const client = new Client({ name: 'c', version: '1' });
  await client.connect(b);
  const result = await client.listTools();
  await client.close();
  return result;
}

describe('cached tools/list', () => {
  it('is exactly what the SDK would list itself', async () => {
    const own = await listVia();
    const cached = await listVia(toolListing());
    expect(own.tools).toHaveLength(19);
    expect(cached).toEqual(own);
  });
});
