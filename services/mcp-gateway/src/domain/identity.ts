import type { Caller } from '@shop/contracts';
import type { Account } from '../auth/tokens.js';

/**
 * The `_meta` a host sends with a tool call; only the conversation id is read for identity.
 * `openai/subject` authorizes nothing: anyone can send any value (OpenAI documents it for rate
 * limiting), so the gateway uses it only as a rate-limit key (http/app.ts).
 */
export interface HostMeta {
  'openai/session'?: unknown;
  'openai/subject'?: unknown;
}

const MAX_ID_LENGTH = 200;

/** A host-sent id as the gateway uses it: trimmed, or undefined when empty or over-long. */
export function hostId(value: unknown): string | undefined {
  if (typeof value !== 'string') return undefined;
  const trimmed = value.trim();
  // An over-long or empty id is ignored rather than trusted or truncated into a collision.
  return trimmed.length > 0 && trimmed.length <= MAX_ID_LENGTH ? trimmed : undefined;
}

/** Conversation key for a client without a host conversation id: its MCP session. */
export function mcpSessionConversation(mcpSessionId: string): string {
  return `mcp-session:${mcpSessionId}`;
}

/**
 * Who is calling: the subject is the verified access token's `sub` (the account) and nothing
 * else; the conversation is the host's conversation id, else the MCP session. A guest has a
 * conversation and no subject (ARCHITECTURE.md "Shopper identity").
 */
export function callerFrom(meta: HostMeta | undefined, mcpSessionId: string | undefined, account: Account | undefined): Caller {
  const caller: Caller = {};
  if (account) caller.subject = account.subject;
  const conversation = hostId(meta?.['openai/session']) ?? (mcpSessionId ? mcpSessionConversation(mcpSessionId) : undefined);
  if (conversation) caller.conversation = conversation;
  return caller;
}

export interface CartResolution {
  /** A server-issued cart id the caller named explicitly; the cart service checks it is theirs. */
  cart_id?: string;
  caller: Caller;
}

/**
 * How to find the caller's cart. The conversation (host id, else MCP session) finds or creates
 * the cart; an explicit `cart_id` names a cart directly and is honoured only when the cart
 * service agrees it belongs to this caller (an account's cart answers CART_FORBIDDEN to others).
 */
export function cartResolution(caller: Caller, cartIdArg: string | undefined): CartResolution {
  return cartIdArg ? { cart_id: cartIdArg, caller } : { caller };
}

/**
 * The account whose saved payment methods a call may list: the account, when its token grants
 * shop.payment_methods; nobody otherwise (a guest, or a token without the scope), and payments then
 * lists only the provider's test cards, offered to everyone.
 */
export function paymentAccount(account: Account | undefined): string | undefined {
  return account?.scopes.includes('shop.payment_methods') ? account.subject : undefined;
}
