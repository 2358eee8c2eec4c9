import type pg from 'pg';
import { AppError, catalogApi, type Caller, type Cart, type CartMessage, type ShownCart, type VariantInfo } from '@shop/contracts';
import { withTransaction, type BusClient } from '@shop/kit';
import * as db from '../db/carts.js';
import { findCoupon, findCouponForCart } from '../db/coupons.js';
import { computeTotals, shippingOptions, type PricingRules } from '../domain/pricing.js';
import { reprice, type Repriced, type StoredLine } from '../domain/reprice.js';
import { appliedCoupon, couponRefusal, type Coupon } from '../domain/coupons.js';
import { checkoutState, emptyCheckout, type StoredCheckout } from '../domain/checkout.js';
import type { CatalogCache } from './catalog-cache.js';

interface Snapshot {
  cart: db.CartRow;
  lines: StoredLine[];
}

interface Evaluation {
  repriced: Repriced;
  coupon: Coupon | null;
  couponRefusal: string | null;
}

/** The cart row, and its lines, as the caller just read or wrote them (a committed state). */
export interface Known {
  cart: db.CartRow;
  lines?: StoredLine[];
  /** What catalog answered for the lines just now: only the variants it does not cover are looked up. */
  catalog?: Map<string, VariantInfo>;
}

/** A read retries its write-back this often when the cart keeps changing under it. */
const REPRICE_ATTEMPTS = 3;

export function storedCheckout(cart: db.CartRow): StoredCheckout {
  return {
    shipping_address: cart.shipping_address,
    shipping_method: cart.shipping_method,
    billing_same_as_shipping: cart.billing_same_as_shipping,
    billing_address: cart.billing_address,
    payment_method_id: cart.payment_method_id,
    terms_accepted: cart.terms_accepted,
    terms_version: cart.terms_version,
    started: cart.checkout_started_at !== null,
    preferred_delivery_date: cart.preferred_delivery_date,
    delivery_instructions: cart.delivery_instructions,
    save_payment_method: cart.save_payment_method,
  };
}

/**
 * The cart as the shopper sees it: lines re-priced against the catalog, the coupon judged, totals
 * and shipping options computed. Every use case answers with it.
 */
export class CartView {
  constructor(
    private readonly pool: pg.Pool,
    private readonly bus: BusClient,
    private readonly rules: PricingRules,
    private readonly now: () => Date,
    private readonly cache: CatalogCache,
  ) {}

  /** What a new cart of this caller would show, as the row insertCart would write it. */
  emptyCart(caller: Caller): ShownCart {
    const now = this.now();
    const { started: _notStarted, ...checkout } = emptyCheckout();
    const row: db.CartRow = {
      id: '',
      status: 'active',
      owner_subject: caller.subject ?? null,
      conversation: caller.conversation ?? null,
      currency: 'USD',
      coupon_code: null,
      ...checkout,
      checkout_started_at: null,
      order_id: null,
      version: 0,
      created_at: now,
      updated_at: now,
    };
    const nothing: Evaluation = { repriced: { lines: [], changes: [], messages: [], purchasable: false }, coupon: null, couponRefusal: null };
    return { ...this.compose(row, nothing, [], false), id: null };
  }

  /**
   * The catalog's word on the lines' variants; `known`: what is already at hand (not asked again).
   * `fresh`: ask catalog for every one, not the cache (placement's check).
   */
  async lookup(lines: readonly StoredLine[], known?: Map<string, VariantInfo>, fresh = false): Promise<Map<string, VariantInfo>> {
    const found = new Map(known);
    let ids = [...new Set(lines.map((l) => l.variant_id))].filter((id) => !found.has(id));
    if (!fresh) {
      for (const [id, v] of this.cache.variantInfos(ids)) found.set(id, v);
      ids = ids.filter((id) => !found.has(id));
    }
    if (ids.length === 0) return found;
    const mark = this.cache.mark();
    const { variants } = await this.bus.call(catalogApi.lookupVariants, { variant_ids: ids });
    this.cache.storeVariants(variants, mark);
    for (const v of variants) found.set(v.variant_id, v);
    return found;
  }

  /** The cart and its lines; what the caller just read or wrote is used instead of reading it again. */
  private async snapshot(cartId: string, known?: Known): Promise<Snapshot> {
    const [cart, lines] = await Promise.all([known?.cart ?? db.findCart(this.pool, cartId), known?.lines ?? db.findLines(this.pool, cartId)]);
    if (!cart) throw new AppError('CART_NOT_FOUND', 'That cart does not exist.', { cart_id: cartId });
    return { cart, lines };
  }

  private async evaluate(s: Snapshot, catalog: Map<string, VariantInfo>): Promise<Evaluation> {
    const repriced = reprice(s.lines, catalog);
    // Uses this cart's own orders hold do not count against it (see findCouponForCart).
    const coupon = s.cart.coupon_code ? await findCouponForCart(this.pool, s.cart.coupon_code, s.cart.id) : null;
    const subtotal = computeTotals(repriced.lines, null, null, this.rules).subtotal;
    return { repriced, coupon, couponRefusal: coupon ? couponRefusal(coupon, subtotal, this.now()) : null };
  }

  /**
   * The cart as the shopper sees it, re-priced against the catalog in one bulk call. Active
   * carts take new prices and lowered quantities into their snapshot (and drop a coupon that
   * no longer qualifies) only if nobody changed the cart meanwhile (same version); otherwise
   * the read starts over. Converted and abandoned carts are shown as they were.
   */
  async view(cartId: string, carried: CartMessage[] = [], known?: Known, fresh = false): Promise<Cart> {
    for (let attempt = 1; ; attempt++) {
      // Only the first attempt may use what the caller knows: a retry follows a change by someone else.
      const first = attempt === 1;
      const s = await this.snapshot(cartId, first ? known : undefined);
      const catalog = await this.lookup(s.lines, first ? known?.catalog : undefined, fresh);
      if (s.cart.status !== 'active') return this.compose(s.cart, await this.frozen(s, catalog), carried, false);
      const ev = await this.evaluate(s, catalog);
      const messages = [...carried, ...ev.repriced.messages];
      const needsWrite = ev.repriced.changes.length > 0 || ev.couponRefusal !== null;
      if (!needsWrite) return this.compose(s.cart, ev, messages, false);
      const written = await withTransaction(this.pool, async (tx) => {
        const locked = await db.lockCart(tx, cartId);
        if (!locked || locked.version !== s.cart.version || locked.status !== 'active') return null;
        for (const c of ev.repriced.changes) {
          if (c.unit_price !== undefined) await db.setLinePrice(tx, cartId, c.line_id, c.unit_price);
          if (c.quantity !== undefined) await db.setLineQuantity(tx, cartId, c.line_id, c.quantity);
        }
        if (ev.couponRefusal !== null) await db.setCoupon(tx, cartId, null);
        return db.bumpVersion(tx, cartId);
      });
      if (written) {
        if (ev.couponRefusal !== null) {
          messages.push({ type: 'coupon_removed', line_id: null, message: `Coupon ${s.cart.coupon_code} was removed: ${ev.couponRefusal}` });
        }
        return this.compose(written, ev, messages, ev.couponRefusal !== null);
      }
      if (attempt >= REPRICE_ATTEMPTS) return this.compose(s.cart, ev, messages, false);
    }
  }

  /** A converted or abandoned cart keeps the prices it had; only availability is current. */
  private async frozen(s: Snapshot, catalog: Map<string, VariantInfo>): Promise<Evaluation> {
    const lines = s.lines.map((l) => ({ ...l, available: catalog.get(l.variant_id)?.available ?? 0 }));
    return {
      repriced: { lines, changes: [], messages: [], purchasable: false },
      coupon: s.cart.coupon_code ? await findCoupon(this.pool, s.cart.coupon_code) : null,
      couponRefusal: null,
    };
  }

  private compose(cart: db.CartRow, ev: Evaluation, messages: CartMessage[], couponDropped: boolean): Cart {
    const coupon = couponDropped || ev.coupon === null ? null : ev.coupon;
    // A coupon that no longer qualifies gives no discount even when it could not be dropped yet.
    const effective = coupon && ev.couponRefusal === null ? coupon : null;
    const totals = computeTotals(ev.repriced.lines, effective, cart.shipping_method, this.rules);
    return {
      id: cart.id,
      status: cart.status,
      owner_subject: cart.owner_subject,
      conversation: cart.conversation,
      currency: cart.currency,
      lines: ev.repriced.lines.map((l) => ({
        id: l.id,
        product_id: l.product_id,
        variant_id: l.variant_id,
        name: l.name,
        brand: l.brand,
        size: l.size,
        color: l.color,
        image_url: l.image_url,
        unit_price: l.unit_price,
        quantity: l.quantity,
        line_subtotal: l.unit_price * l.quantity,
        available: l.available,
      })),
      coupon: effective ? appliedCoupon(effective) : null,
      totals,
      shipping_options: shippingOptions(ev.repriced.lines, effective, this.now(), this.rules),
      messages,
      checkout: checkoutState(storedCheckout(cart), ev.repriced.purchasable),
      version: cart.version,
      created_at: cart.created_at.toISOString(),
      updated_at: cart.updated_at.toISOString(),
    };
  }
}
