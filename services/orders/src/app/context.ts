import type pg from 'pg';
import type { BusClient, Logger, OutboxRelay } from '@shop/kit';
import { AppError, type Caller } from '@shop/contracts';
import type { OrdersConfig } from '../config.js';
import type { SagaStep } from '../domain/saga.js';
import { isVisible, type OrderRow } from '../db/orders.js';

/** What the workflows share: one pool, one bus client, the relay to kick after events. */
export interface WorkflowContext {
  pool: pg.Pool;
  bus: BusClient;
  relay: OutboxRelay;
  logger: Logger;
  config: OrdersConfig;
  /** Called after a saga step is persisted (the test-only crash hook). */
  afterStep: (orderId: string, step: SagaStep) => void;
}

/** An order belongs to its owner subject; an anonymous order to its conversation. */
export function ownedBy(row: OrderRow, caller: Caller): boolean {
  if (row.owner_subject) return caller.subject === row.owner_subject;
  return Boolean(row.conversation) && caller.conversation === row.conversation;
}

/** The order as the shopper may see it; someone else's order does not exist for them. */
export function visibleTo(row: OrderRow | null, caller: Caller | undefined, ref: string): OrderRow {
  if (!row || !isVisible(row) || (caller && !ownedBy(row, caller))) throw new AppError('ORDER_NOT_FOUND', `No order ${ref} was found`, { order_id: ref });
  return row;
}

export function isTransient(e: unknown): boolean {
  return e instanceof AppError && (e.code === 'TIMEOUT' || e.code === 'UNAVAILABLE');
}
