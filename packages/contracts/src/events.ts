import { z } from 'zod';
import { accountEvents, AccountCreatedEvent } from './accounts.js';
import { cartEvents, CartEventData } from './cart.js';
import { catalogEvents } from './catalog.js';
import { Uuid, IsoDateTime } from './common.js';
import { orderEvents, OrderCancelledEvent, OrderConfirmedEvent, OrderDeliveredEvent, OrderRefundedEvent, OrderShippedEvent } from './orders.js';
import { paymentEvents, CheckoutCompletedEventData, PaymentEventData } from './payments.js';

/** Data of the inventory events (evt.inventory.*): the order's reservation and its lines. */
export const InventoryEventData = z.object({
  order_id: Uuid,
  lines: z.array(z.object({ variant_id: Uuid, quantity: z.number().int().min(1) })).min(1),
  /** Set on evt.inventory.reserved: when the hold lapses unless committed. */
  expires_at: IsoDateTime.optional(),
});
export type InventoryEventData = z.infer<typeof InventoryEventData>;

/** Data of evt.inventory.variant_updated: which variant an operator changed, and what it is now. */
export const VariantUpdatedEventData = z.object({
  product_id: Uuid,
  variant_id: Uuid,
  price: z.number().int().min(0),
  stock: z.number().int().min(0),
});
export type VariantUpdatedEventData = z.infer<typeof VariantUpdatedEventData>;

/**
 * Every domain event: its subject and the one schema of its data. The producer's publish
 * validates against it in the same transaction as the state change, so a malformed event is
 * never written to the outbox; consumers parse with the same schema.
 */
export const eventSchemas = {
  [cartEvents.created]: CartEventData,
  [cartEvents.abandoned]: CartEventData,
  [cartEvents.converted]: CartEventData,
  [catalogEvents.reserved]: InventoryEventData,
  [catalogEvents.committed]: InventoryEventData,
  [catalogEvents.released]: InventoryEventData,
  [catalogEvents.expired]: InventoryEventData,
  [catalogEvents.restocked]: InventoryEventData,
  [catalogEvents.variantUpdated]: VariantUpdatedEventData,
  [orderEvents.confirmed]: OrderConfirmedEvent,
  [orderEvents.paymentFailed]: OrderCancelledEvent,
  [orderEvents.cancelled]: OrderCancelledEvent,
  [orderEvents.shipped]: OrderShippedEvent,
  [orderEvents.delivered]: OrderDeliveredEvent,
  [orderEvents.refunded]: OrderRefundedEvent,
  [paymentEvents.authorized]: PaymentEventData,
  [paymentEvents.captured]: PaymentEventData,
  [paymentEvents.failed]: PaymentEventData,
  [paymentEvents.refunded]: PaymentEventData,
  [paymentEvents.voided]: PaymentEventData,
  [paymentEvents.canceled]: PaymentEventData,
  [paymentEvents.checkoutCompleted]: CheckoutCompletedEventData,
  [accountEvents.created]: AccountCreatedEvent,
} as const satisfies Record<string, z.ZodType>;

export type EventSubject = keyof typeof eventSchemas;
export type EventData<S extends EventSubject> = z.input<(typeof eventSchemas)[S]>;
/** One event to publish, subject and data checked together. */
export type OutgoingEvent = { [S in EventSubject]: { subject: S; data: EventData<S> } }[EventSubject];
