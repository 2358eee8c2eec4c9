// The playground's MCP connection: the SDK v2 client (@modelcontextprotocol/client) over Streamable
// HTTP to the gateway's /mcp on the page's own origin. It negotiates the protocol ('auto'), so with
// this gateway it speaks 2026-07-28: stateless, no MCP session, the conversation carried by the
// `_meta` each call sends, as ChatGPT's. Should it fall back to the 2025 handshake (a gateway that
// only speaks that era), an idle MCP session the gateway dropped answers 404: it connects again once.
import { Client, SdkHttpError, StreamableHTTPClientTransport, type Tool } from '@modelcontextprotocol/client';

export type { Tool };

export interface CallResult {
  structuredContent?: Record<string, unknown>;
  content?: Array<{ type: string; text?: string }>;
  isError?: boolean;
  _meta?: Record<string, unknown>;
}

export class PlaygroundMcp {
  private client: Client | null = null;
  private connecting: Promise<Client> | null = null;
  private readonly resources = new Map<string, Promise<string>>();

  constructor(private readonly endpoint: URL) {}

  private connect(): Promise<Client> {
    if (this.client) return Promise.resolve(this.client);
    this.connecting ??= (async () => {
      const client = new Client({ name: 'shop-playground', version: '2.0.0' }, { versionNegotiation: { mode: 'auto' } });
      await client.connect(new StreamableHTTPClientTransport(this.endpoint));
      this.client = client;
      return client;
    })().finally(() => {
      this.connecting = null;
    });
    return this.connecting;
  }

  /** The era the client negotiated: 'modern' (2026-07-28) or 'legacy' (the 2025 handshake). */
  async era(): Promise<string | undefined> {
    return (await this.connect()).getProtocolEra();
  }

  private async withClient<T>(run: (c: Client) => Promise<T>): Promise<T> {
    const client = await this.connect();
    try {
      return await run(client);
    } catch (e) {
      if (!(e instanceof SdkHttpError && e.status === 404)) throw e;
      // The gateway no longer knows the 2025-era MCP session: start a new one and try once more.
      this.client = null;
      await client.close().catch(() => undefined);
      return run(await this.connect());
    }
  }

  async listTools(): Promise<Tool[]> {
    return this.withClient(async (c) => (await c.listTools()).tools);
  }

  async callTool(name: string, args: Record<string, unknown>, meta: Record<string, unknown>): Promise<CallResult> {
    // place_order waits for the payment; give it more than the SDK's default minute.
    return this.withClient(async (c) => (await c.callTool({ name, arguments: args, _meta: meta }, { timeout: 120_000 })) as CallResult);
  }

  /** A widget's HTML by its ui:// URI; read once per page. */
  widgetHtml(uri: string): Promise<string> {
    let html = this.resources.get(uri);
    if (!html) {
      html = this.withClient(async (c) => {
        const first = (await c.readResource({ uri })).contents[0] as { text?: string } | undefined;
        if (!first?.text) throw new Error(`${uri} has no HTML`);
        return first.text;
      });
      html.catch(() => this.resources.delete(uri));
      this.resources.set(uri, html);
    }
    return html;
  }
}
