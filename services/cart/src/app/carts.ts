import { randomBytes, randomUUID } from 'node:crypto';
import type pg from 'pg';
import type { z } from 'zod';
import {
  AppError,
  cartApi,
  cartConversation,
  cartEvents,
  catalogApi,
  type Caller,
  type Cart,
  type VariantInfo,
  type ProductVariantsResult,
  variantInfoOf,
  type ConvertedCart,
  type CartEventData,
  type ShownCart,
  type OrderConfirmedEvent,
} from '@shop/contracts';
import { publishEvent, withTransaction, type BusClient, type OutboxRelay } from '@shop/kit';
import * as db from '../db/carts.js';
import { findCoupon } from '../db/coupons.js';
import { defaultPricingRules, type PricingRules } from '../domain/pricing.js';
import { couponRefusal, normaliseCode } from '../domain/coupons.js';
import { applyCheckoutChange } from '../domain/checkout.js';
import { assertDeliveryPreferences } from '../domain/delivery.js';
import { assertAvailable, describeItem, resolveVariant } from '../domain/variants.js';
import { planAdd } from '../domain/limits.js';
import type { StoredLine } from '../domain/reprice.js';
import { accountCart } from './cart-join.js';
import { CartView, storedCheckout } from './cart-view.js';
import { CatalogCache } from './catalog-cache.js';

type Req<K extends keyof typeof cartApi> = z.infer<(typeof cartApi)[K]['request']>;

export interface CartsDeps {
  pool: pg.Pool;
  bus: BusClient;
  relay: OutboxRelay;
  rules?: PricingRules;
  now?: () => Date;
  /** What catalog said lately (off unless given). */
  catalogCache?: CatalogCache;
}

function newCartId(): string {
  return randomBytes(16).toString('hex');
}

/** The cart's use cases: ownership, validation against the catalog, re-pricing and events. */
export class Carts {
  private readonly pool: pg.Pool;
  private readonly bus: BusClient;
  private readonly relay: OutboxRelay;
  private readonly now: () => Date;
  private readonly shown: CartView;
  private readonly catalogCache: CatalogCache;

  constructor(deps: CartsDeps) {
    this.pool = deps.pool;
    this.bus = deps.bus;
    this.relay = deps.relay;
    this.now = deps.now ?? (() => new Date());
    this.catalogCache = deps.catalogCache ?? new CatalogCache(0);
    this.shown = new CartView(deps.pool, deps.bus, deps.rules ?? defaultPricingRules, this.now, this.catalogCache);
  }

  // ---- reads ----------------------------------------------------------------------------

  async resolve(req: Req<'resolve'>): Promise<Cart> {
    // A cart that joined an account answers with the account's cart it went into (authorised as usual).
    if (req.cart_id) return this.show((await db.mergedInto(this.pool, req.cart_id)) ?? req.cart_id, req.caller, req.fresh);
    const known = await this.resolveRow(req.caller);
    return this.shown.view(known.cart.id, [], known, req.fresh);
  }

  /** The conversation's active cart, authorised for the caller, created when there is none; with its lines when the read had them. */
  private async resolveRow(caller: Caller): Promise<{ cart: db.CartRow; lines?: StoredLine[] }> {
    if (caller.subject) return { cart: (await this.accountCart({ ...caller, subject: caller.subject }, true))! };
    // A guest: the conversation's cart, or a new anonymous one.
    const { conversation } = caller;
    if (conversation) {
      const existing = await db.findActiveByConversationWithLines(this.pool, conversation);
      if (existing) return { cart: await this.authorize(existing.cart, caller), lines: existing.lines };
    }
    const created = await withTransaction(this.pool, async (tx) => {
      const id = newCartId();
      // A caller without a conversation (a client that sends none) gets a cart that is its own
      // conversation, so the orders placed from it are found by its id (cartConversation).
      const row = await db.insertCart(tx, { id, owner_subject: null, conversation: conversation ?? cartConversation(id) });
      if (row) await publishEvent(tx, { subject: cartEvents.created, data: this.eventData(row, 0) });
      return row;
    });
    if (created) {
      this.relay.kick();
      return { cart: created, lines: [] };
    }
    // Another request created this conversation's cart at the same moment: use that one.
    const winner = await db.findActiveByConversation(this.pool, conversation!);
    if (!winner) throw new AppError('UNAVAILABLE', 'The cart could not be created. Please try again.');
    return { cart: await this.authorize(winner, caller) };
  }

  /** resolve for read-only calls: the caller's cart when there is one, else the empty cart (id null), with no row written. */
  async peek(req: Req<'peek'>): Promise<ShownCart> {
    if (req.cart_id) return this.show(req.cart_id, req.caller);
    if (req.caller.subject) {
      // Joining an anonymous cart is no new row: a signed-in look at the cart joins it as any call would.
      const found = await this.accountCart({ ...req.caller, subject: req.caller.subject }, false);
      return found ? this.shown.view(found.id, [], { cart: found }) : this.shown.emptyCart(req.caller);
    }
    const { conversation } = req.caller;
    const existing = conversation ? await db.findActiveByConversationWithLines(this.pool, conversation) : null;
    if (existing) return this.shown.view(existing.cart.id, [], { cart: await this.authorize(existing.cart, req.caller), lines: existing.lines });
    return this.shown.emptyCart(req.caller);
  }

  /** The cart priced by catalog itself, never from the cache: what placement checks the shopper's total against. */
  async get(req: Req<'get'>): Promise<Cart> {
    return this.show(req.cart_id, req.caller, true);
  }

  private async show(cartId: string, caller: Caller, fresh = false): Promise<Cart> {
    const row = await this.access(cartId, caller);
    return this.shown.view(cartId, [], { cart: row }, fresh);
  }

  // ---- line changes -----------------------------------------------------------------------

  async addLine(req: Req<'addLine'>): Promise<Cart> {
    return this.add(req, this.access(req.cart_id, req.caller, { change: true }).then((cart) => ({ cart })));
  }

  /** addLine on the caller's cart (resolved as resolve does) in one request instead of two. */
  async addToResolved(req: Req<'addToResolved'>): Promise<Cart> {
    if (req.cart_id) return this.addLine({ ...req, cart_id: req.cart_id });
    // resolveRow only finds or creates active carts.
    return this.add(req, this.resolveRow(req.caller));
  }

  /**
   * One call to catalog: the product's variants with the look-up of the cart's other lines, so the
   * answer is priced without asking again. The cart is checked first: its refusal wins over one of
   * the product. The line is written in one statement if the cart is still as it was read (its
   * version); if someone changed it meanwhile, the add is judged again under the cart's lock.
   */
  private async add(req: Omit<Req<'addLine'>, 'cart_id'>, cartAccess: Promise<{ cart: db.CartRow; lines?: StoredLine[] }>): Promise<Cart> {
    const { cart: read, lines: readLines } = await cartAccess;
    const cartId = read.id;
    const held = readLines ?? (await db.findLines(this.pool, cartId));
    const others = [...new Set(held.filter((l) => l.product_id !== req.product_id).map((l) => l.variant_id))];
    const product = await this.productWith(req.product_id, others);
    if (!product.active) throw new AppError('PRODUCT_NOT_FOUND', `${product.name} is no longer available.`, { product_id: product.id });
    const variant = resolveVariant(product, { variant_id: req.variant_id, size: req.size, color: req.color });
    const lineFor = (lines: readonly StoredLine[]) => {
      const plan = planAdd(lines, variant.id, req.quantity);
      assertAvailable({ name: product.name, size: variant.size, color: variant.color, variant_id: variant.id }, variant.available, plan.inCart, req.quantity);
      return {
        id: randomUUID(),
        product_id: product.id,
        variant_id: variant.id,
        name: product.name,
        brand: product.brand,
        size: variant.size,
        color: variant.color,
        image_url: product.image_url,
        unit_price: variant.price,
        quantity: req.quantity,
      };
    };
    // The lines as they are now, without reading them again: a new line sorts last (clock_timestamp).
    const withStored = (lines: StoredLine[], stored: StoredLine) =>
      lines.some((l) => l.id === stored.id) ? lines.map((l) => (l.id === stored.id ? stored : l)) : [...lines, stored];
    const written = await db.upsertLineAtVersion(this.pool, read, lineFor(held));
    const { cart, result: lines } = written
      ? { cart: written.cart, result: withStored(held, written.line) }
      : await this.change(cartId, req.caller, async (tx) => {
          const current = await db.findLines(tx, cartId);
          return withStored(current, await db.upsertLine(tx, cartId, lineFor(current)));
        });
    const catalog = new Map([...(product.with_variants ?? []), ...product.variants.map((v) => variantInfoOf(product, v))].map((v) => [v.variant_id, v]));
    return this.shown.view(cartId, [], { cart, lines, catalog });
  }

  /** The product's variants and the infos of the cart's other lines: from the cache when it holds them all, else in one call to catalog. */
  private async productWith(productId: string, others: string[]): Promise<ProductVariantsResult> {
    const cached = this.catalogCache.product(productId);
    const otherInfos = this.catalogCache.variantInfos(others);
    if (cached && otherInfos.size === others.length) return { ...cached, with_variants: [...otherInfos.values()] };
    const mark = this.catalogCache.mark();
    const product = await this.bus.call(catalogApi.variants, { product_id: productId, ...(others.length ? { with_variant_ids: others } : {}) });
    const { with_variants: withVariants, ...variants } = product;
    this.catalogCache.storeProduct(variants, mark);
    this.catalogCache.storeVariants(withVariants ?? [], mark);
    return product;
  }

  async updateLine(req: Req<'updateLine'>): Promise<Cart> {
    if (req.quantity === 0) return this.removeLine({ cart_id: req.cart_id, caller: req.caller, line_id: req.line_id });
    await this.access(req.cart_id, req.caller, { change: true });
    const held = await db.findLines(this.pool, req.cart_id);
    const line = held.find((l) => l.id === req.line_id);
    if (!line) throw new AppError('LINE_NOT_FOUND', 'That item is not in your cart.', { line_id: req.line_id });
    let catalog: Map<string, VariantInfo> | undefined;
    if (req.quantity > line.quantity) {
      // Only more units need the catalog's word; fewer can always be had. The look-up covers every
      // line, so the answer is priced from it.
      catalog = await this.shown.lookup(held);
      const info = catalog.get(line.variant_id);
      if (!info || !info.active) throw new AppError('PRODUCT_NOT_FOUND', `${describeItem(line.name, line.size, line.color)} is no longer available.`, { line_id: line.id });
      assertAvailable({ ...line }, info.available, 0, req.quantity);
    }
    const { cart: changed } = await this.change(req.cart_id, req.caller, async (tx) => {
      if (!(await db.setLineQuantity(tx, req.cart_id, req.line_id, req.quantity))) {
        throw new AppError('LINE_NOT_FOUND', 'That item is not in your cart.', { line_id: req.line_id });
      }
    });
    return this.shown.view(req.cart_id, [], { cart: changed, catalog });
  }

  async removeLine(req: Req<'removeLine'>): Promise<Cart> {
    const { cart: changed } = await this.change(req.cart_id, req.caller, async (tx) => {
      if (!(await db.deleteLine(tx, req.cart_id, req.line_id))) {
        throw new AppError('LINE_NOT_FOUND', 'That item is not in your cart.', { line_id: req.line_id });
      }
    });
    return this.shown.view(req.cart_id, [], { cart: changed });
  }

  async clear(req: Req<'clear'>): Promise<Cart> {
    const { cart: changed } = await this.change(req.cart_id, req.caller, (tx) => db.deleteAllLines(tx, req.cart_id));
    return this.shown.view(req.cart_id, [], { cart: changed });
  }

  // ---- coupons ----------------------------------------------------------------------------

  async applyCoupon(req: Req<'applyCoupon'>): Promise<Cart> {
    await this.access(req.cart_id, req.caller, { change: true });
    const code = normaliseCode(req.code);
    const coupon = await findCoupon(this.pool, code);
    if (!coupon) throw new AppError('COUPON_INVALID', `${code} is not a valid coupon code.`, { code, reason: 'unknown' });
    // Judge the coupon against today's prices, not a stale snapshot.
    const current = await this.shown.view(req.cart_id);
    if (current.coupon?.code === code) return current;
    if (current.coupon) {
      throw new AppError('COUPON_INVALID', `Only one coupon per cart: remove ${current.coupon.code} before applying ${code}.`, { code, reason: 'one_per_cart' });
    }
    const refusal = couponRefusal(coupon, current.totals.subtotal, this.now());
    if (refusal) throw new AppError('COUPON_INVALID', refusal, { code, reason: 'not_applicable', min_subtotal: coupon.min_subtotal });
    const { cart: changed } = await this.change(req.cart_id, req.caller, async (tx, cart) => {
      if (cart.coupon_code !== null && cart.coupon_code !== code) {
        throw new AppError('COUPON_INVALID', `Only one coupon per cart: remove ${cart.coupon_code} before applying ${code}.`, { code, reason: 'one_per_cart' });
      }
      await db.setCoupon(tx, req.cart_id, code);
    });
    return this.shown.view(req.cart_id, [], { cart: changed });
  }

  async removeCoupon(req: Req<'removeCoupon'>): Promise<Cart> {
    const { cart: changed } = await this.change(req.cart_id, req.caller, (tx) => db.setCoupon(tx, req.cart_id, null));
    return this.shown.view(req.cart_id, [], { cart: changed });
  }

  // ---- checkout ---------------------------------------------------------------------------

  async updateCheckout(req: Req<'updateCheckout'>): Promise<Cart> {
    const { cart: changed } = await this.change(req.cart_id, req.caller, async (tx, cart) => {
      const before = storedCheckout(cart);
      const next = applyCheckoutChange(before, req);
      assertDeliveryPreferences(req, before, next, this.now());
      await db.saveCheckout(tx, req.cart_id, next);
    });
    return this.shown.view(req.cart_id, [], { cart: changed });
  }

  /** Checks the cart can be bought now and marks checkout started. Reserves nothing. */
  async startCheckout(req: Req<'startCheckout'>): Promise<Cart> {
    await this.access(req.cart_id, req.caller, { change: true });
    const current = await this.shown.view(req.cart_id);
    if (current.lines.length === 0) throw new AppError('CART_EMPTY', 'Your cart is empty.');
    const short = current.lines.find((l) => l.available < l.quantity);
    if (short) {
      const item = describeItem(short.name, short.size, short.color);
      const message = short.available === 0 ? `${item} is out of stock. Remove it to check out.` : `Only ${short.available} of ${item} available. Lower the quantity to check out.`;
      throw new AppError('OUT_OF_STOCK', message, { line_id: short.id, variant_id: short.variant_id, available: short.available, requested: short.quantity });
    }
    const { cart: changed } = await this.change(req.cart_id, req.caller, (tx) => db.markCheckoutStarted(tx, req.cart_id));
    return this.shown.view(req.cart_id, current.messages, { cart: changed });
  }

  // ---- lifecycle ----------------------------------------------------------------------------

  /** Orders marks a cart converted once its order is confirmed; repeating it is harmless. */
  async convert(req: Req<'convert'>): Promise<ConvertedCart> {
    const { emitted, version } = await withTransaction(this.pool, (tx) => this.convertIn(tx, req.cart_id, req.order_id));
    if (emitted) this.relay.kick();
    return { cart_id: req.cart_id, status: 'converted', order_id: req.order_id, version };
  }

  /** Converts the cart of a confirmed order; called once per event. */
  async onOrderConfirmed(tx: pg.PoolClient, data: Pick<OrderConfirmedEvent, 'order_id' | 'cart_id'>): Promise<void> {
    const cart = await db.lockCart(tx, data.cart_id);
    if (cart && cart.status !== 'converted') await this.convertIn(tx, data.cart_id, data.order_id);
  }

  /** Abandons carts idle longer than idleSeconds; returns how many. */
  async sweepIdle(idleSeconds: number, batch = 500): Promise<number> {
    let total = 0;
    for (;;) {
      const swept = await withTransaction(this.pool, async (tx) => {
        const carts = await db.abandonIdle(tx, idleSeconds, batch);
        for (const c of carts) await publishEvent(tx, { subject: cartEvents.abandoned, data: this.eventData(c, c.item_count) });
        return carts.length;
      });
      total += swept;
      if (swept < batch) break;
    }
    if (total) this.relay.kick();
    return total;
  }

  // ---- internals ----------------------------------------------------------------------------

  /** emitted: the conversion happened now (its event written), not before for the same order. */
  private async convertIn(tx: pg.PoolClient, cartId: string, orderId: string): Promise<{ emitted: boolean; version: number }> {
    const cart = await db.lockCart(tx, cartId);
    if (!cart) throw new AppError('CART_NOT_FOUND', 'That cart does not exist.', { cart_id: cartId });
    if (cart.status === 'converted') {
      if (cart.order_id === orderId) return { emitted: false, version: cart.version };
      throw new AppError('CART_NOT_ACTIVE', 'This cart was already turned into another order.', { cart_id: cartId, order_id: cart.order_id });
    }
    const version = await db.markConverted(tx, cartId, orderId);
    const count = await db.itemCount(tx, cartId);
    await publishEvent(tx, { subject: cartEvents.converted, data: { ...this.eventData(cart, count), order_id: orderId } });
    return { emitted: true, version };
  }

  /** A signed-in caller's cart (cart-join.ts): found, joined from the conversation, or created when `create`. */
  private async accountCart(caller: Caller & { subject: string }, create: boolean): Promise<db.CartRow | null> {
    const found = await accountCart(this.pool, caller, {
      create,
      newId: newCartId,
      storedCheckout,
      onCreated: async (tx, row) => void (await publishEvent(tx, { subject: cartEvents.created, data: this.eventData(row, 0) })),
    });
    if (found?.created) this.relay.kick();
    return found?.row ?? null;
  }

  private eventData(cart: { id: string; owner_subject: string | null; conversation: string | null }, count: number): CartEventData {
    return { cart_id: cart.id, owner_subject: cart.owner_subject, conversation: cart.conversation, item_count: count };
  }

  /**
   * A cart with an owner (an account) answers only to that account's subject: never to another
   * account, never to a guest. An anonymous cart is reachable by its conversation or its cart id;
   * it joins an account only when that account resolves its conversation (cart-join.ts), never by
   * being read or changed by id.
   */
  private async authorize(cart: db.CartRow, caller: Caller): Promise<db.CartRow> {
    if (cart.owner_subject !== null && caller.subject !== cart.owner_subject) {
      throw new AppError('CART_FORBIDDEN', 'This cart belongs to another shopper.', { cart_id: cart.id });
    }
    return cart;
  }

  private async access(cartId: string, caller: Caller, opts: { change?: boolean } = {}): Promise<db.CartRow> {
    const cart = await db.findCart(this.pool, cartId);
    if (!cart) throw new AppError('CART_NOT_FOUND', 'That cart does not exist.', { cart_id: cartId });
    const allowed = await this.authorize(cart, caller);
    if (opts.change) this.assertActive(allowed);
    return allowed;
  }

  private assertActive(cart: db.CartRow): void {
    if (cart.status === 'merged') {
      throw new AppError('CART_NOT_ACTIVE', "This cart joined your account's cart when you signed in: its items are there now.", { cart_id: cart.id, status: cart.status });
    }
    if (cart.status !== 'active') {
      throw new AppError('CART_NOT_ACTIVE', `This cart is ${cart.status} and can no longer be changed. Start a new cart to keep shopping.`, {
        cart_id: cart.id,
        status: cart.status,
      });
    }
  }

  /**
   * Runs a change under the cart's row lock, so changes to one cart are serialised, then bumps its
   * version. Returns the row as the change left it, and what `fn` returned.
   */
  private async change<T>(cartId: string, caller: Caller, fn: (tx: pg.PoolClient, cart: db.CartRow) => Promise<T>): Promise<{ cart: db.CartRow; result: T }> {
    return withTransaction(this.pool, async (tx) => {
      const locked = await db.lockCart(tx, cartId);
      if (!locked) throw new AppError('CART_NOT_FOUND', 'That cart does not exist.', { cart_id: cartId });
      const cart = await this.authorize(locked, caller);
      this.assertActive(cart);
      const result = await fn(tx, cart);
      return { cart: await db.bumpVersion(tx, cartId), result };
    });
  }
}
