import type { ToolAnnotations } from '@modelcontextprotocol/server';
import type { McpUiToolMeta } from '@modelcontextprotocol/ext-apps';
import type { z } from 'zod';
import { AppError, cartApi, paymentsApi, widgetUri, type Cart, type Caller, type CartResult, type CheckoutResult, type ShownCart, type SavedPaymentMethod, type ToolName, type WidgetName } from '@shop/contracts';
import type { BusClient, Logger } from '@shop/kit';
import { cartResolution, paymentAccount, type HostMeta } from '../domain/identity.js';
import type { Account } from '../auth/tokens.js';
import { presentCart, presentCheckout, type CartExtras, type Presented } from '../domain/present.js';

/** What every tool may use: the bus to the domain services and the gateway's settings. */
export interface ToolDeps {
  bus: BusClient;
  logger: Logger;
  /** Placing an order runs a saga across services: it may take longer than a plain request. */
  placeOrderTimeoutMs: number;
  /** The gateway's public origin: policy links in results point at its /policies pages. */
  publicUrl: string;
  /** The WWW-Authenticate value a tool answer carries when signing in is the way on (auth/resource.ts). */
  signInChallenge: (scopes: readonly string[], description: string) => string;
  now?: () => Date;
}

/** One tool call: the dependencies plus what the call carries beyond its arguments. */
export interface ToolCall {
  deps: ToolDeps;
  meta: HostMeta | undefined;
  /** The 2025-era MCP session, when there is one (2026-07-28 requests have none). */
  mcpSessionId: string | undefined;
  /** The account a verified access token speaks for; undefined for a guest. */
  account: Account | undefined;
  /** The account (token `sub`) as subject, and the conversation. */
  caller: Caller;
  now: () => Date;
}

export interface ToolOutcome<T> {
  presented: Presented<T>;
}

type Hints = Required<Pick<ToolAnnotations, 'readOnlyHint' | 'destructiveHint' | 'openWorldHint'>> & Pick<ToolAnnotations, 'idempotentHint'>;

export interface ToolDefinition<A extends z.ZodType = z.ZodType, O extends z.ZodType = z.ZodType> {
  name: ToolName;
  title: string;
  /** Starts "Use this when", so the model knows when to pick it. */
  description: string;
  args: A;
  output: O;
  annotations: Hints;
  /** The tool's `_meta` for MCP Apps hosts (`ui`) and ChatGPT (`openai/*`): see appToolMeta / modelToolMeta. */
  meta: ToolMeta;
  run: (args: z.infer<A>, call: ToolCall) => Promise<ToolOutcome<z.infer<O>>>;
}

/** Keeps a definition's argument and output types tied together while the list stays heterogeneous. */
export function defineTool<A extends z.ZodType, O extends z.ZodType>(t: ToolDefinition<A, O>): ToolDefinition {
  return t as unknown as ToolDefinition;
}

export const readOnly = { readOnlyHint: true, destructiveHint: false, openWorldHint: false, idempotentHint: true } as const;
export const write = { readOnlyHint: false, destructiveHint: false, openWorldHint: false } as const;
export const idempotentWrite = { ...write, idempotentHint: true } as const;
export const destructive = { readOnlyHint: false, destructiveHint: true, openWorldHint: false } as const;

export type ToolMeta = { ui: McpUiToolMeta; [key: string]: unknown };

/**
 * A tool whose result a widget renders, callable by both the model and that widget. No tool is
 * app-only (`visibility: ["app"]`): every change a widget makes, a shopper can ask for in words.
 */
export function appToolMeta(widget: WidgetName, invoking: string, invoked: string): ToolMeta {
  const uri = widgetUri(widget);
  return {
    ui: { resourceUri: uri, visibility: ['model', 'app'] },
    'openai/outputTemplate': uri,
    'openai/toolInvocation/invoking': invoking,
    'openai/toolInvocation/invoked': invoked,
    'openai/widgetAccessible': true,
  };
}

/**
 * A tool read by the model alone: no widget resource, so the host shows its text result instead
 * of an empty frame, and no widget may call it.
 */
export function modelToolMeta(invoking: string, invoked: string): ToolMeta {
  return {
    ui: { visibility: ['model'] },
    'openai/toolInvocation/invoking': invoking,
    'openai/toolInvocation/invoked': invoked,
    'openai/widgetAccessible': false,
  };
}

export function normaliseOrderId(value: string): string {
  return /^ord-/i.test(value) ? value.toUpperCase() : value.toLowerCase();
}

/** The cart a call names: cart_id, else its deprecated alias session_id (cart_id wins). */
export function namedCart(a: { cart_id?: string; session_id?: string }): string | undefined {
  return a.cart_id ?? a.session_id;
}

/**
 * The caller's cart, found or created: an explicit cart_id first (the cart service checks it is the caller's), else the conversation (docs/DECISIONS.md "Cart resolution order").
 * `fresh`: priced by catalog itself, not the cart service's cache of it (before money moves).
 */
export function resolveCart(call: ToolCall, cartId: string | undefined, opts: { fresh?: boolean } = {}): Promise<Cart> {
  return call.deps.bus.call(cartApi.resolve, { ...cartResolution(call.caller, cartId), ...(opts.fresh ? { fresh: true } : {}) });
}

/** An explicit cart id is used directly (the cart service checks ownership on every operation); otherwise resolve. */
export async function cartIdFor(call: ToolCall, cartId: string | undefined): Promise<string> {
  return cartId ?? (await resolveCart(call, undefined)).id;
}

/** The methods this call may pay with: the account's saved ones (with shop.payment_methods) and the ones offered to everyone. */
export async function savedMethods(call: ToolCall): Promise<SavedPaymentMethod[]> {
  const account = paymentAccount(call.account);
  return (await call.deps.bus.call(paymentsApi.listMethods, account ? { account } : {})).methods;
}

/**
 * A signed-in call pays with the account's saved cards only when its token grants
 * shop.payment_methods (what the person consented to for this app); without it, only with the
 * methods offered to everyone. Payments cannot tell the two apart (it sees the account), so the
 * resource server checks. A guest is held by payments itself: a saved card answers only to its account.
 */
export async function assertMayPayWith(call: ToolCall, paymentMethodId: string | null | undefined): Promise<void> {
  if (!paymentMethodId || !call.account || paymentAccount(call.account)) return;
  if ((await savedMethods(call)).some((m) => m.id === paymentMethodId)) return;
  throw new AppError('PAYMENT_METHOD_NOT_FOUND', 'This app is not allowed to use your saved payment methods (it needs the shop.payment_methods permission).', {
    field: 'payment_method_id',
    payment_method_id: paymentMethodId,
  });
}

export function cartOutcome(cart: ShownCart, extras?: CartExtras): ToolOutcome<CartResult> {
  return { presented: presentCart(cart, extras) };
}

export async function checkoutOutcome(call: ToolCall, cart: ShownCart, notice?: string): Promise<ToolOutcome<CheckoutResult>> {
  return { presented: presentCheckout(cart, await savedMethods(call), null, notice) };
}
