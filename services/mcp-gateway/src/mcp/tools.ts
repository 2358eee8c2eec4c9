import type { CallToolResult, ListToolsResult, McpServer, ServerContext, ToolAnnotations } from '@modelcontextprotocol/server';
import { z } from 'zod';
import {
  AppError,
  CartResult,
  CheckoutResult,
  OrderListResult,
  OrderResult,
  PolicyResult,
  ProductDetailResult,
  RefundOrderArgs,
  RETURN_WINDOW_DAYS,
  ProductListResult,
  cartApi,
  catalogApi,
  dollarsToCents,
  invalidInput,
  ordersApi,
  paymentsApi,
  toolWidgets,
  widgetUri,
  type Cart,
  type Caller,
  type Order,
  type SavedPaymentMethod,
  type SearchFilters,
  type ToolName,
} from '@shop/contracts';
import type { BusClient, Logger } from '@shop/kit';
import { toolArgs, normaliseOrderId } from './args.js';
import { callerFrom, cartResolution, paymentCustomer, type HostMeta } from '../domain/identity.js';
import { checkoutLinkKey, placeOrderKey } from '../domain/idempotency.js';
import { toolErrorResult } from '../domain/errors.js';
import {
  changedBeforePlacement,
  failedPlacement,
  presentCart,
  presentCheckout,
  presentOrder,
  presentOrderList,
  presentPolicies,
  presentProduct,
  presentSearch,
  withPolicyLinks,
  type Presented,
} from '../domain/present.js';
import { matchPolicies, policyLinks } from '../domain/policies.js';

export interface ToolDeps {
  bus: BusClient;
  logger: Logger;
  /** Placing an order runs a saga across services: it may take longer than a plain request. */
  placeOrderTimeoutMs: number;
  /** The gateway's public origin: policy links in results point at its /policies pages. */
  publicUrl: string;
  now?: () => Date;
}

/** What a tool knows about the call beyond its arguments. */
interface CallContext {
  meta: HostMeta | undefined;
  mcpSessionId: string | undefined;
  caller: Caller;
}

type ToolCallExtra = ServerContext;

interface ToolOutcome<T> {
  presented: Presented<T>;
  /** The cart this call worked on: sent as `_meta["openai/widgetSessionId"]`. */
  cartId?: string;
}

interface ToolSpec<A extends z.ZodType, O extends z.ZodType> {
  name: ToolName;
  title: string;
  description: string;
  args: A;
  output: O;
  annotations: Required<Pick<ToolAnnotations, 'readOnlyHint' | 'destructiveHint' | 'openWorldHint'>> & Pick<ToolAnnotations, 'idempotentHint'>;
  invoking: string;
  invoked: string;
  run: (args: z.infer<A>, call: CallContext) => Promise<ToolOutcome<z.infer<O>>>;
}

/** How long after an order a repeated place_order on an untouched cart counts as the same request. */
const REPEAT_WINDOW_MS = 10 * 60_000;

const readOnly = { readOnlyHint: true, destructiveHint: false, openWorldHint: false, idempotentHint: true } as const;
const write = { readOnlyHint: false, destructiveHint: false, openWorldHint: false } as const;
const idempotentWrite = { ...write, idempotentHint: true } as const;

function hasWidget(name: ToolName): name is keyof typeof toolWidgets {
  return Object.hasOwn(toolWidgets, name);
}

/**
 * The tool's `_meta`: its widget for MCP Apps hosts and ChatGPT, and the status lines the host shows.
 * A tool without a widget (toolsWithoutWidget) names no resource, so the host shows its text
 * result alone instead of an empty frame, and widgets cannot call it.
 */
export function toolMeta(name: ToolName, invoking: string, invoked: string): Record<string, unknown> {
  if (!hasWidget(name)) {
    return { 'openai/toolInvocation/invoking': invoking, 'openai/toolInvocation/invoked': invoked, 'openai/widgetAccessible': false };
  }
  const uri = widgetUri(toolWidgets[name]);
  return {
    ui: { resourceUri: uri },
    'openai/outputTemplate': uri,
    'openai/toolInvocation/invoking': invoking,
    'openai/toolInvocation/invoked': invoked,
    'openai/widgetAccessible': true,
  };
}

export function defineTools(deps: ToolDeps) {
  const { bus } = deps;
  const now = deps.now ?? (() => new Date());

  /** The caller's cart, found or created (ARCHITECTURE.md order: conversation, explicit id, MCP session). */
  const resolveCart = (sessionId: string | undefined, call: CallContext): Promise<Cart> => bus.call(cartApi.resolve, cartResolution(call.meta, sessionId, call.mcpSessionId));

  /** An explicit cart id is used directly (the cart service checks ownership on every operation); otherwise resolve. */
  const cartIdFor = async (sessionId: string | undefined, call: CallContext): Promise<string> => sessionId ?? (await resolveCart(undefined, call)).id;

  const savedMethods = async (cart: Cart): Promise<SavedPaymentMethod[]> => (await bus.call(paymentsApi.listMethods, { customer: paymentCustomer(cart) })).methods;

  const checkoutOutcome = async (cart: Cart, notice?: string): Promise<ToolOutcome<CheckoutResult>> => ({
    presented: presentCheckout(cart, await savedMethods(cart), null, now(), notice),
    cartId: cart.id,
  });

  /** The caller's order placed from this cart; newest orders first, so a recent placement is found at once. */
  const orderOfCart = async (cartId: string, caller: Caller): Promise<Order | null> => {
    const recent = await bus.call(ordersApi.list, { caller, page: 1, per_page: 10 });
    for (const summary of recent.items) {
      if (summary.status === 'payment_failed') continue;
      const order = await bus.call(ordersApi.get, { order_id: summary.id, caller });
      if (order.cart_id === cartId) return order;
    }
    return null;
  };

  /** The conversation's latest order, when it was placed within the repeat window and before this cart existed. */
  const orderJustBefore = async (cart: Cart, caller: Caller): Promise<Order | null> => {
    if (!caller.conversation) return null;
    const [latest] = (await bus.call(ordersApi.list, { caller, page: 1, per_page: 1 })).items;
    if (!latest || latest.status === 'payment_failed') return null;
    const placedAt = Date.parse(latest.created_at);
    if (now().getTime() - placedAt > REPEAT_WINDOW_MS || placedAt > Date.parse(cart.created_at)) return null;
    const order = await bus.call(ordersApi.get, { order_id: latest.id, caller });
    return order.conversation === caller.conversation ? order : null;
  };

  const cartOutcome = (cart: Cart, extras?: Parameters<typeof presentCart>[1]): ToolOutcome<CartResult> => ({ presented: presentCart(cart, extras), cartId: cart.id });

  const tools = [
    spec({
      name: 'search_products',
      title: 'Search products',
      description:
        'Use this when the shopper wants to find or browse products: free text plus optional filters (category, price range in dollars, brands, sizes, colors, in-stock only), sorting and pages. Returns matching products with prices, stock and facets.',
      args: toolArgs.search_products,
      output: ProductListResult,
      annotations: readOnly,
      invoking: 'Searching the catalog…',
      invoked: 'Found products',
      run: async (a) => {
        const filters: SearchFilters = { in_stock_only: a.in_stock_only ?? true, sort_by: a.sort_by ?? 'relevance' };
        if (a.category !== undefined) filters.category = a.category;
        if (a.min_price !== undefined) filters.min_price = dollarsToCents(a.min_price);
        if (a.max_price !== undefined) filters.max_price = dollarsToCents(a.max_price);
        if (a.brands?.length) filters.brands = a.brands;
        if (a.sizes?.length) filters.sizes = a.sizes;
        if (a.colors?.length) filters.colors = a.colors;
        const result = await bus.call(catalogApi.search, { ...filters, query: a.query || undefined, page: a.page, per_page: a.per_page });
        return { presented: presentSearch(result, filters) };
      },
    }),
    spec({
      name: 'get_product_details',
      title: 'Get product details',
      description: 'Use this when the shopper asks about one product: full description, sizes, colors, per-variant price and stock, rating and related products.',
      args: toolArgs.get_product_details,
      output: ProductDetailResult,
      annotations: readOnly,
      invoking: 'Looking up the product…',
      invoked: 'Product details ready',
      run: async (a) => ({ presented: presentProduct(await bus.call(catalogApi.get, { product_id: a.product_id })) }),
    }),
    spec({
      name: 'add_to_cart',
      title: 'Add to cart',
      description: 'Use this when the shopper wants to add a product to their cart, with a size and/or color when the product has them, and a quantity (default 1).',
      args: toolArgs.add_to_cart,
      output: CartResult,
      annotations: write,
      invoking: 'Adding to your cart…',
      invoked: 'Added to cart',
      run: async (a, call) => {
        // One request: the cart service resolves the caller's cart (as resolveCart would) and adds to it.
        const { cart_id, caller } = cartResolution(call.meta, a.session_id, call.mcpSessionId);
        const cart = await bus.call(cartApi.addToResolved, { cart_id, caller, product_id: a.product_id, quantity: a.quantity ?? 1, size: a.size, color: a.color });
        const line = addedLine(cart, a);
        return cartOutcome(cart, { lastAddedLineId: line?.id, notice: line ? `Added ${a.quantity ?? 1} × ${line.name}${variantText(line)}.` : undefined });
      },
    }),
    spec({
      name: 'view_cart',
      title: 'View cart',
      description: 'Use this when the shopper wants to see their cart: items, quantities, coupon and totals (subtotal, discount, shipping, tax, total).',
      args: toolArgs.view_cart,
      output: CartResult,
      annotations: readOnly,
      invoking: 'Opening your cart…',
      invoked: 'Cart ready',
      run: async (a, call) => cartOutcome(await resolveCart(a.session_id, call)),
    }),
    spec({
      name: 'update_cart_item',
      title: 'Change quantity',
      description: 'Use this when the shopper wants to change the quantity of an item already in the cart (0 removes it). Needs the item_id from the cart.',
      args: toolArgs.update_cart_item,
      output: CartResult,
      annotations: idempotentWrite,
      invoking: 'Updating your cart…',
      invoked: 'Cart updated',
      run: async (a, call) => {
        const cart = await bus.call(cartApi.updateLine, { cart_id: await cartIdFor(a.session_id, call), caller: call.caller, line_id: a.item_id, quantity: a.quantity });
        return cartOutcome(cart);
      },
    }),
    spec({
      name: 'remove_from_cart',
      title: 'Remove from cart',
      description: 'Use this when the shopper wants to take an item out of the cart. Needs the item_id from the cart.',
      args: toolArgs.remove_from_cart,
      output: CartResult,
      annotations: idempotentWrite,
      invoking: 'Removing the item…',
      invoked: 'Item removed',
      run: async (a, call) => cartOutcome(await bus.call(cartApi.removeLine, { cart_id: await cartIdFor(a.session_id, call), caller: call.caller, line_id: a.item_id })),
    }),
    spec({
      name: 'apply_coupon',
      title: 'Apply coupon',
      description: 'Use this when the shopper gives a coupon or promo code to apply to the cart.',
      args: toolArgs.apply_coupon,
      output: CartResult,
      annotations: idempotentWrite,
      invoking: 'Applying the coupon…',
      invoked: 'Coupon applied',
      run: async (a, call) => {
        const cart = await bus.call(cartApi.applyCoupon, { cart_id: await cartIdFor(a.session_id, call), caller: call.caller, code: a.code });
        return cartOutcome(cart, { notice: cart.coupon ? `Coupon ${cart.coupon.code} applied: ${cart.coupon.description}.` : undefined });
      },
    }),
    spec({
      name: 'remove_coupon',
      title: 'Remove coupon',
      description: 'Use this when the shopper wants to remove the coupon from the cart.',
      args: toolArgs.remove_coupon,
      output: CartResult,
      annotations: idempotentWrite,
      invoking: 'Removing the coupon…',
      invoked: 'Coupon removed',
      run: async (a, call) => cartOutcome(await bus.call(cartApi.removeCoupon, { cart_id: await cartIdFor(a.session_id, call), caller: call.caller }), { notice: 'Coupon removed.' }),
    }),
    spec({
      name: 'start_checkout',
      title: 'Start checkout',
      description: 'Use this when the shopper is ready to check out: shows what is still needed (address, shipping method, payment method, terms), the shipping options and saved payment methods.',
      args: toolArgs.start_checkout,
      output: CheckoutResult,
      annotations: idempotentWrite,
      invoking: 'Starting checkout…',
      invoked: 'Checkout started',
      run: async (a, call) => checkoutOutcome(await bus.call(cartApi.startCheckout, { cart_id: await cartIdFor(a.session_id, call), caller: call.caller })),
    }),
    spec({
      name: 'update_checkout',
      title: 'Update checkout details',
      description:
        'Use this when the shopper gives checkout details: shipping address, shipping method (standard or express), billing address or billing same as shipping, a saved payment method id, accepting the terms, or saving the payment method for next time.',
      args: toolArgs.update_checkout,
      output: CheckoutResult,
      annotations: idempotentWrite,
      invoking: 'Saving checkout details…',
      invoked: 'Checkout updated',
      run: async (a, call) => {
        const { session_id, ...details } = a;
        const cart = await bus.call(cartApi.updateCheckout, { cart_id: await cartIdFor(session_id, call), caller: call.caller, ...details });
        return checkoutOutcome(cart, saveMethodNotice(a.save_payment_method, cart));
      },
    }),
    spec({
      name: 'list_payment_methods',
      title: 'List payment methods',
      description: 'Use this when the shopper asks how they can pay or which saved payment methods they have; shows the checkout with the saved methods.',
      args: toolArgs.list_payment_methods,
      output: CheckoutResult,
      annotations: readOnly,
      invoking: 'Fetching payment methods…',
      invoked: 'Payment methods ready',
      run: async (a, call) => checkoutOutcome(await resolveCart(a.session_id, call)),
    }),
    spec({
      name: 'create_checkout_link',
      title: 'Create checkout link',
      description: 'Use this when the shopper prefers to pay on a secure external checkout page: creates a payment link for the current cart total.',
      args: toolArgs.create_checkout_link,
      output: CheckoutResult,
      annotations: { readOnlyHint: false, destructiveHint: false, openWorldHint: true, idempotentHint: true },
      invoking: 'Creating a checkout link…',
      invoked: 'Checkout link ready',
      run: async (a, call) => {
        const cart = await resolveCart(a.session_id, call);
        if (cart.lines.length === 0) throw new AppError('CART_EMPTY', 'Your cart is empty: add something before checking out.');
        const changed = changedBeforePlacement(cart);
        if (changed) throw changed;
        // The link pays an order: orders places it (stock held, pending) and confirms it once the link is paid.
        const { order, checkout_link: link } = await bus.call(
          ordersApi.placeExternal,
          { cart_id: cart.id, caller: call.caller, idempotency_key: checkoutLinkKey(cart.id, cart.version), expected_total: cart.totals.total },
          { timeoutMs: deps.placeOrderTimeoutMs },
        );
        const notice =
          link.status === 'open'
            ? `Order ${order.number} is reserved and will be confirmed once it is paid through the link (open until ${link.expires_at}).`
            : `Order ${order.number} is ${order.status.replace(/_/g, ' ')}.`;
        return {
          presented: presentCheckout(cart, await savedMethods(cart), { url: link.url, expires_at: link.expires_at, order_number: order.number }, now(), notice),
          cartId: cart.id,
        };
      },
    }),
    spec({
      name: 'place_order',
      title: 'Place order',
      description:
        'Use this when the shopper explicitly confirms they want to buy: places the order for the cart and charges the chosen saved payment method. This charges real money and is irreversible; confirm the total with the shopper first.',
      args: toolArgs.place_order,
      output: OrderResult,
      annotations: { readOnlyHint: false, destructiveHint: true, openWorldHint: false },
      invoking: 'Placing your order…',
      invoked: 'Order placed',
      run: async (a, call) => {
        const cart = await resolveCart(a.session_id, call);
        if (cart.status === 'converted') {
          // Converting the cart bumps its version, so a repeated "place it" would derive a new key:
          // answer with the order the cart became instead of asking orders to place it again.
          const existing = await orderOfCart(cart.id, call.caller);
          if (existing) return { presented: presentOrder(existing, 'This order was already placed; nothing was charged again.'), cartId: cart.id };
        }
        if (!a.session_id && cart.version === 0 && cart.lines.length === 0) {
          // The conversation's cart is brand new and untouched: if this conversation's order was
          // placed just before it, this call repeats that "place it" and gets that order back.
          const previous = await orderJustBefore(cart, call.caller);
          if (previous) return { presented: presentOrder(previous, 'This order was already placed; nothing was charged again.'), cartId: cart.id };
        }
        const changed = changedBeforePlacement(cart);
        if (changed) throw changed;
        const order = await bus.call(
          ordersApi.place,
          {
            cart_id: cart.id,
            caller: call.caller,
            idempotency_key: a.idempotency_key ?? placeOrderKey(cart.id, cart.version),
            payment_method_id: a.payment_method_id,
            // Orders re-validates the cart; a total other than this one (what the shopper saw) is refused with CART_CHANGED.
            expected_total: cart.totals.total,
          },
          { timeoutMs: deps.placeOrderTimeoutMs },
        );
        const failure = failedPlacement(order);
        if (failure) throw failure;
        return { presented: presentOrder(order, 'Order placed.'), cartId: cart.id };
      },
    }),
    spec({
      name: 'get_order_status',
      title: 'Order status',
      description: 'Use this when the shopper asks about an order: status, items, totals, delivery estimate and tracking. Accepts the order id or its number (ORD-…).',
      args: toolArgs.get_order_status,
      output: OrderResult,
      annotations: readOnly,
      invoking: 'Checking the order…',
      invoked: 'Order status ready',
      run: async (a, call) => ({ presented: presentOrder(await bus.call(ordersApi.get, { order_id: normaliseOrderId(a.order_id), caller: call.caller })) }),
    }),
    spec({
      name: 'list_orders',
      title: 'List orders',
      description: 'Use this when the shopper asks about their past or recent orders.',
      args: toolArgs.list_orders,
      output: OrderListResult,
      annotations: readOnly,
      invoking: 'Fetching your orders…',
      invoked: 'Orders ready',
      run: async (a, call) => ({ presented: presentOrderList(await bus.call(ordersApi.list, { caller: call.caller, page: a.page ?? 1, per_page: 10 })) }),
    }),
    spec({
      name: 'cancel_order',
      title: 'Cancel order',
      description: 'Use this when the shopper explicitly asks to cancel an order that has not shipped yet; the payment is refunded. This cannot be undone.',
      args: toolArgs.cancel_order,
      output: OrderResult,
      annotations: { readOnlyHint: false, destructiveHint: true, openWorldHint: false },
      invoking: 'Cancelling the order…',
      invoked: 'Order cancelled',
      run: async (a, call) => {
        const order = await bus.call(ordersApi.cancel, { order_id: normaliseOrderId(a.order_id), caller: call.caller, reason: a.reason || undefined }, { timeoutMs: deps.placeOrderTimeoutMs });
        return { presented: presentOrder(order, 'Cancelled.') };
      },
    }),
    spec({
      name: 'refund_order',
      title: 'Refund order',
      description:
        `Use this when the shopper explicitly asks to return an order that has already shipped or been delivered and get their money back, within the returns window of the store policy (${RETURN_WINDOW_DAYS} days after delivery); the full amount paid is refunded to the original payment method and the order becomes refunded. For an order that has not shipped, use cancel_order instead. This cannot be undone.`,
      args: RefundOrderArgs,
      output: OrderResult,
      annotations: { readOnlyHint: false, destructiveHint: true, openWorldHint: false },
      invoking: 'Refunding the order…',
      invoked: 'Order refunded',
      run: async (a, call) => {
        const order = await bus.call(ordersApi.refund, { order_id: normaliseOrderId(a.order_id), caller: call.caller, reason: a.reason || undefined }, { timeoutMs: deps.placeOrderTimeoutMs });
        return { presented: presentOrder(order, 'Refunded.') };
      },
    }),
    spec({
      name: 'reorder',
      title: 'Reorder',
      description: 'Use this when the shopper wants to buy the items of a previous order again: adds them to the cart at current prices and reports anything unavailable.',
      args: toolArgs.reorder,
      output: CartResult,
      annotations: write,
      invoking: 'Adding the order again…',
      invoked: 'Items added to cart',
      run: async (a, call) => {
        const cartId = await cartIdFor(a.session_id, call);
        const result = await bus.call(ordersApi.reorder, { order_id: normaliseOrderId(a.order_id), caller: call.caller, cart_id: cartId });
        return cartOutcome(result.cart, { reorder: { added: result.added, not_added: result.not_added } });
      },
    }),
    spec({
      name: 'get_store_policies',
      title: 'Store policies',
      description:
        "Use this when the shopper asks about the store's policies: returns and refunds, shipping methods, prices and delivery times, cancellations, privacy and their data, saved payment methods, or the terms of service. Returns the policy text (or the sections matching the topic) in the store's own words, with a link to each policy page; answer from it rather than from general knowledge.",
      args: toolArgs.get_store_policies,
      output: PolicyResult,
      annotations: readOnly,
      invoking: 'Reading the store policies…',
      invoked: 'Store policies ready',
      run: async (a) => ({ presented: presentPolicies(matchPolicies(a.topic), a.topic, deps.publicUrl) }),
    }),
  ];

  return tools;
}

/** Keeps each spec's argument and output types tied together while the list stays heterogeneous. */
function spec<A extends z.ZodType, O extends z.ZodType>(s: ToolSpec<A, O>): ToolSpec<z.ZodType, z.ZodType> {
  return s as unknown as ToolSpec<z.ZodType, z.ZodType>;
}

/** What becomes of "save this payment method": saved methods belong to a signed-in shopper (the owner subject) only. */
function saveMethodNotice(asked: boolean | undefined, cart: Cart): string | undefined {
  if (asked === undefined) return undefined;
  if (!asked) return 'Your payment method will not be saved.';
  if (!cart.owner_subject) return 'Payment methods can only be saved for a signed-in shopper, so this one will not be saved for next time.';
  return 'Your payment method will be saved for next time once the order is paid.';
}

function variantText(line: { size: string | null; color: string | null }): string {
  const parts = [line.size && `size ${line.size}`, line.color].filter(Boolean);
  return parts.length ? ` (${parts.join(', ')})` : '';
}

/** The line an add_to_cart call landed on: same product, and the size/colour asked for when given. */
function addedLine(cart: Cart, a: { product_id: string; size?: string; color?: string }) {
  const same = (x: string | null, y: string | undefined) => y === undefined || (x ?? '').toLowerCase() === y.toLowerCase();
  return cart.lines.filter((l) => l.product_id === a.product_id && same(l.size, a.size) && same(l.color, a.color)).at(-1);
}

/**
 * The tools/list answer, built once per process. The SDK would convert every input and output
 * schema to JSON Schema on each listing (tens of milliseconds, and stateless mode builds a server
 * per request); this is the same conversion (zod 4, JSON Schema 2020-12 as SDK v2 lists it, input/output io) done once.
 */
export function toolListing(deps: ToolDeps): ListToolsResult {
  return {
    tools: defineTools(deps).map((t) => ({
      name: t.name,
      title: t.title,
      description: t.description,
      inputSchema: z.toJSONSchema(t.args, { target: 'draft-2020-12', io: 'input' }) as ListToolsResult['tools'][number]['inputSchema'],
      annotations: { title: t.title, ...t.annotations },
      _meta: toolMeta(t.name, t.invoking, t.invoked),
      outputSchema: z.toJSONSchema(t.output, { target: 'draft-2020-12', io: 'output' }) as ListToolsResult['tools'][number]['outputSchema'],
    })),
  };
}

/**
 * Registers every tool on a server; each call is wrapped so every failure is one mapped tool error.
 * tools/call is answered here rather than by the SDK, which would check the arguments itself and
 * answer a bad one with bare text: parsed here with the same schema, a bad argument becomes the
 * contracts' INVALID_INPUT naming the field, and card data CARD_DATA_REFUSED naming the field.
 */
export function registerTools(server: McpServer, deps: ToolDeps, listing?: ListToolsResult): void {
  const links = policyLinks(deps.publicUrl);
  const tools = defineTools(deps);
  const callTool = async (t: (typeof tools)[number], rawArgs: unknown, extra: ToolCallExtra): Promise<CallToolResult> => {
    // 2026-07-28 requests have no session: the conversation comes from the host's _meta or the cart handle.
    const meta = extra.mcpReq._meta as HostMeta | undefined;
    const call: CallContext = { meta, mcpSessionId: extra.sessionId, caller: callerFrom(meta, extra.sessionId) };
    try {
      const args = t.args.safeParse(rawArgs ?? {});
      if (!args.success) throw invalidInput(args.error);
      const outcome = await t.run(args.data, call);
      // Parsing strips anything the output schema does not declare, so hosts validating it strictly accept it.
      const structured = t.output.safeParse(withPolicyLinks(outcome.presented.structured, links));
      if (!structured.success) {
        deps.logger.error({ tool: t.name, issues: structured.error.issues.slice(0, 5) }, 'tool result does not match its output schema');
        throw new AppError('INTERNAL', 'Something went wrong on our side. Please try again.');
      }
      return {
        structuredContent: structured.data as Record<string, unknown>,
        content: [{ type: 'text', text: outcome.presented.text }],
        ...(outcome.cartId ? { _meta: { 'openai/widgetSessionId': outcome.cartId } } : {}),
      };
    } catch (e) {
      const { result, error } = toolErrorResult(e);
      if (error.code === 'INTERNAL') deps.logger.error({ tool: t.name, err: e }, 'tool failed');
      else deps.logger.debug({ tool: t.name, code: error.code, field: error.details?.field }, 'tool refused');
      return result;
    }
  };
  for (const t of tools) {
    server.registerTool(
      t.name,
      {
        title: t.title,
        description: t.description,
        inputSchema: t.args,
        // The handler below already parses every result with the output schema; registered with the
        // SDK as well, it would validate the same result a second time. The cached listing advertises it.
        ...(listing ? {} : { outputSchema: t.output as z.ZodObject }),
        annotations: { title: t.title, ...t.annotations },
        _meta: toolMeta(t.name, t.invoking, t.invoked),
      },
      (args: unknown, extra) => callTool(t, args, extra),
    );
  }
  const byName = new Map(tools.map((t) => [t.name as string, t]));
  server.server.setRequestHandler('tools/call', (request, extra) => {
    const t = byName.get(request.params.name);
    if (!t) return toolErrorResult(new AppError('NOT_FOUND', `Tool ${request.params.name} not found`)).result;
    return callTool(t, request.params.arguments, extra);
  });
  if (listing) server.server.setRequestHandler('tools/list', () => listing);
}
