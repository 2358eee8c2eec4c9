// One /mcp, both protocol eras: the SDK v2 client pinned to 2026-07-28 (stateless, server/discover,
// no Mcp-Session-Id), the v2 client on the 2025 handshake, and the SDK 1.x client hosts still run.
import { Client as ClientV2, StreamableHTTPClientTransport as TransportV2 } from '@modelcontextprotocol/client';
import { Client as ClientV1 } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport as TransportV1 } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestStack, type TestStack } from './support/stack.js';

type ToolResult = { isError?: boolean; structuredContent?: Record<string, unknown>; content?: Array<{ type: string; text?: string }> };

describe('both MCP protocol eras on one endpoint', () => {
  let stack: TestStack;
  beforeAll(async () => {
    stack = await startTestStack();
  });
  afterAll(async () => {
    await stack?.stop();
  });

  /** Search, add the first in-stock product, view the cart: the same conversation in any era. */
  async function shop(call: (name: string, args: Record<string, unknown>) => Promise<ToolResult>) {
    const found = await call('search_products', { query: 'mug' });
    expect(found.isError).toBeFalsy();
    const item = (found.structuredContent as { items: Array<{ id: string; in_stock: boolean; variants_count?: number }> }).items[0];
    const added = await call('add_to_cart', { product_id: item.id, quantity: 1 });
    expect(added.isError, JSON.stringify(added.content)).toBeFalsy();
    const cartId = (added.structuredContent as { cart_id: string }).cart_id;
    const viewed = await call('view_cart', { cart_id: cartId });
    expect((viewed.structuredContent as { cart: { lines: unknown[] } }).cart.lines).toHaveLength(1);
    return { added, viewed };
  }

  it('serves 2026-07-28 to the v2 client: discover, no session, tools and resources', async () => {
    const transport = new TransportV2(new URL(stack.mcpUrl));
    const client = new ClientV2({ name: 'eras-2026', version: '1.0.0' }, { versionNegotiation: { mode: { pin: '2026-07-28' } } });
    await client.connect(transport);
    expect(client.getProtocolEra()).toBe('modern');
    expect(transport.sessionId).toBeUndefined();
    expect(client.getServerVersion()?.name).toBe('shop-mcp-gateway');
    const { tools } = await client.listTools();
    expect(tools.map((t) => t.name)).toContain('add_to_cart');
    const { resources } = await client.listResources();
    expect(resources.length).toBeGreaterThanOrEqual(5);
    const html = await client.readResource({ uri: resources[0]!.uri });
    expect(html.contents[0]).toMatchObject({ mimeType: 'text/html;profile=mcp-app' });
    // No session: the cart travels as the handle each result returns.
    const { added, viewed } = await shop(async (name, args) => (await client.callTool({ name, arguments: args })) as ToolResult);
    expect((viewed.structuredContent as { cart_id: string }).cart_id).toBe((added.structuredContent as { cart_id: string }).cart_id);
    await client.close();
  });

  it('serves the 2025 handshake to the v2 client and to the SDK 1.x client, with a session', async () => {
    const v2Transport = new TransportV2(new URL(stack.mcpUrl));
    const v2 = new ClientV2({ name: 'eras-2025-v2', version: '1.0.0' });
    await v2.connect(v2Transport);
    expect(v2.getProtocolEra()).toBe('legacy');
    expect(v2Transport.sessionId).toMatch(/[0-9a-f-]{36}/);
    await shop(async (name, args) => (await v2.callTool({ name, arguments: args })) as ToolResult);
    await v2.close();

    const v1Transport = new TransportV1(new URL(stack.mcpUrl));
    const v1 = new ClientV1({ name: 'eras-2025-v1', version: '1.0.0' });
    await v1.connect(v1Transport);
    expect(v1Transport.sessionId).toMatch(/[0-9a-f-]{36}/);
    await shop(async (name, args) => (await v1.callTool({ name, arguments: args })) as ToolResult);
    await v1.close();
  });

  it('lets a v2 client negotiate: auto picks 2026-07-28', async () => {
    const client = new ClientV2({ name: 'eras-auto', version: '1.0.0' }, { versionNegotiation: { mode: 'auto' } });
    await client.connect(new TransportV2(new URL(stack.mcpUrl)));
    expect(client.getProtocolEra()).toBe('modern');
    await client.close();
  });
});
