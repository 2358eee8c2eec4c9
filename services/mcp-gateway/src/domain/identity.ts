import type { Caller } from '@shop/contracts';

/** The `_meta` a host sends with a tool call; only these keys matter for identity. */
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
 * Who is calling: the host's anonymised user becomes the owner subject; the conversation is
 * the host's conversation id, else the MCP session (ARCHITECTURE.md "Shopper identity").
 */
export function callerFrom(meta: HostMeta | undefined, mcpSessionId: string | undefined): Caller {
  const caller: Caller = {};
  const subject = hostId(meta?.['openai/subject']);
  if (subject) caller.subject = subject;
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
 * service agrees it belongs to this caller (another subject's cart answers CART_FORBIDDEN).
 */
export function cartResolution(meta: HostMeta | undefined, cartIdArg: string | undefined, mcpSessionId: string | undefined): CartResolution {
  const caller = callerFrom(meta, mcpSessionId);
  return cartIdArg ? { cart_id: cartIdArg, caller } : { caller };
}

/** Whom saved payment methods belong to: the owner subject, else the conversation, else the cart. */
export function paymentCustomer(cart: { id: string; owner_subject: string | null; conversation: string | null }): string {
  return cart.owner_subject ?? cart.conversation ?? `cart:${cart.id}`;
}
