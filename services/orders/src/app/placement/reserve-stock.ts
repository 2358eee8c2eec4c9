import { AppError, catalogApi } from '@shop/contracts';
import type { OrdersConfig } from '../../config.js';
import { orderLines } from '../../db/orders.js';
import type { WorkflowContext } from '../context.js';
import type { PlacementStep } from './step.js';

/**
 * Reserves every frozen line, all or nothing, under the order id, for as long as `holdFor` says
 * (a link order's stock outlives its link). The catalog's OUT_OF_STOCK already names each short
 * item and how many are available, and is the placement's answer.
 */
export function reserveStock(holdFor: (config: OrdersConfig) => number): PlacementStep {
  return {
    name: 'reserve-stock',
    from: 'coupon_reserved',
    to: 'reserved',
    recovery: 'abandon',
    async invoke(ctx, order) {
      const lines = await orderLines(ctx.pool, order.id);
      try {
        await ctx.bus.call(catalogApi.reserve, { order_id: order.id, lines, ttl_seconds: holdFor(ctx.config) });
        return { kind: 'done', detail: { lines: lines.length } };
      } catch (e) {
        return { kind: 'refuse', error: e };
      }
    },
    compensate: returnStock,
  };
}

/**
 * Gives the order's stock back: restock releases a reservation still held and puts back one already
 * committed (a paid order cancelled after its commit).
 */
export async function returnStock(ctx: WorkflowContext, order: { id: string }): Promise<void> {
  await ctx.bus.call(catalogApi.restock, { order_id: order.id }).catch((e) => {
    // Nothing was reserved (the reservation was refused): nothing to undo.
    if (e instanceof AppError && e.code === 'RESERVATION_NOT_FOUND') return;
    throw e;
  });
}
