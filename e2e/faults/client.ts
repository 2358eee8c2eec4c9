import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { randomBytes } from 'node:crypto';

/** What one tool call came back with: a tool result, or no answer at all (connection lost, timeout). */
export type CallOutcome =
  | { kind: 'result'; isError: boolean; text: string; data: Record<string, any>; code: string | undefined; details: Record<string, any> | undefined }
  | { kind: 'no_answer'; text: string };

/**
 * A shopper whose host behaves like a real one under faults: each call has a deadline, and a call
 * that got no answer (gateway killed, request timed out) drops the MCP connection and opens a new
 * one for the next call, in the same conversation.
 */
export class FaultShopper {
  private client: Client | undefined;
  readonly conversation = `conv_fault_${randomBytes(8).toString('hex')}`;
  readonly subject = `user_fault_${randomBytes(8).toString('hex')}`;

  constructor(
    private readonly mcpUrl: string,
    private readonly timeoutMs = 20_000,
  ) {}

  async call(name: string, args: Record<string, unknown>): Promise<CallOutcome> {
    try {
      if (!this.client) {
        const client = new Client({ name: 'fault-shopper', version: '1.0.0' });
        await client.connect(new StreamableHTTPClientTransport(new URL(this.mcpUrl)), { timeout: this.timeoutMs });
        this.client = client;
      }
      const result = (await this.client.callTool(
        { name, arguments: args, _meta: { 'openai/session': this.conversation, 'openai/subject': this.subject } },
        undefined,
        { timeout: this.timeoutMs },
      )) as { isError?: boolean; content?: Array<{ text?: string }>; structuredContent?: Record<string, any>; _meta?: Record<string, any> };
      return {
        kind: 'result',
        isError: Boolean(result.isError),
        text: (result.content ?? []).map((c) => c.text ?? '').join('\n'),
        data: result.structuredContent ?? {},
        code: result._meta?.['shop/error']?.code,
        details: result._meta?.['shop/error']?.details,
      };
    } catch (e) {
      await this.close();
      return { kind: 'no_answer', text: String((e as Error)?.message ?? e) };
    }
  }

  async close(): Promise<void> {
    const c = this.client;
    this.client = undefined;
    await c?.close().catch(() => undefined);
  }
}

/** Codes a shopper (or the assistant on their behalf) retries unchanged. */
export const RETRYABLE = new Set(['UNAVAILABLE', 'TIMEOUT']);

/** A tool result text that leaks internals instead of a readable message. */
export function leaksInternals(text: string): boolean {
  return /\n\s+at\s|Error:|ECONNREFUSED|stack|Internal Server Error|\b500\b|undefined|\[object/i.test(text);
}
