import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { randomBytes } from 'node:crypto';

export interface ToolOutcome<T = Record<string, any>> {
  isError: boolean;
  text: string;
  data: T;
  meta: Record<string, unknown>;
}

/**
 * A shopper in a conversation, as a host would present them: every tool call carries the
 * host's anonymised conversation id and user id in `_meta`, over the official MCP client.
 */
export class Shopper {
  private client: Client | undefined;
  readonly conversation: string;
  readonly subject: string | undefined;

  constructor(
    readonly mcpUrl: string,
    opts: { conversation?: string; subject?: string | null; name?: string } = {},
  ) {
    const tag = randomBytes(6).toString('hex');
    this.conversation = opts.conversation ?? `conv_${opts.name ?? 'shopper'}_${tag}`;
    this.subject = opts.subject === null ? undefined : (opts.subject ?? `user_${opts.name ?? 'shopper'}_${tag}`);
  }

  /** A new MCP connection for the same conversation (ChatGPT recreates widgets every turn). */
  async connect(): Promise<this> {
    await this.close();
    const client = new Client({ name: 'e2e-shopper', version: '1.0.0' });
    await client.connect(new StreamableHTTPClientTransport(new URL(this.mcpUrl)));
    this.client = client;
    return this;
  }

  sameConversation(): Shopper {
    return new Shopper(this.mcpUrl, { conversation: this.conversation, subject: this.subject ?? null });
  }

  async call<T = Record<string, any>>(name: string, args: Record<string, unknown> = {}): Promise<ToolOutcome<T>> {
    if (!this.client) await this.connect();
    const _meta: Record<string, string> = { 'openai/session': this.conversation, 'openai/locale': 'en-US' };
    if (this.subject) _meta['openai/subject'] = this.subject;
    const result = (await this.client!.callTool({ name, arguments: args, _meta })) as {
      isError?: boolean;
      content?: Array<{ type: string; text?: string }>;
      structuredContent?: T;
      _meta?: Record<string, unknown>;
    };
    return {
      isError: Boolean(result.isError),
      text: (result.content ?? []).map((c) => c.text ?? '').join('\n'),
      data: (result.structuredContent ?? {}) as T,
      meta: result._meta ?? {},
    };
  }

  /** Calls a tool that must succeed; a failure shows the shopper-facing message. */
  async ok<T = Record<string, any>>(name: string, args: Record<string, unknown> = {}): Promise<ToolOutcome<T>> {
    const out = await this.call<T>(name, args);
    if (out.isError) throw new Error(`${name} failed: ${out.text}`);
    return out;
  }

  /** Calls a tool that must fail; returns the message the shopper sees. */
  async refused(name: string, args: Record<string, unknown> = {}): Promise<string> {
    const out = await this.call(name, args);
    if (!out.isError) throw new Error(`${name} was expected to fail but returned: ${out.text}`);
    return out.text;
  }

  async close(): Promise<void> {
    const c = this.client;
    this.client = undefined;
    await c?.close().catch(() => undefined);
  }
}
