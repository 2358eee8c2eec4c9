import { catalogEvents, EventEnvelope, InventoryEventData, VariantUpdatedEventData } from '@shop/contracts';
import type { Logger, NatsConnection } from '@shop/kit';
import type { CatalogCache } from '../app/catalog-cache.js';

/**
 * Drops from the cart's catalogue cache whatever catalog's events say changed: every inventory
 * event names its variants, an operator's change its variant and product. Heard on core NATS (each
 * cart instance hears every event; no durable consumer, nothing to acknowledge): an event missed
 * while disconnected cannot be replayed, so a disconnect empties the cache, and the TTL bounds
 * whatever slips through.
 */
export function listenToCatalogEvents(nc: NatsConnection, prefix: string, cache: CatalogCache, logger: Logger): () => void {
  if (!cache.enabled) return () => {};
  const sub = nc.subscribe(`${prefix}evt.inventory.>`, {
    callback: (err, msg) => {
      if (err) {
        // The subscription is gone (refused, or closed): without its events the cache cannot be kept current.
        logger.error({ err: err.message }, 'catalog events cannot be heard; the catalogue cache is off');
        cache.turnOff();
        return;
      }
      const envelope = EventEnvelope.safeParse(jsonOf(msg));
      const subject = msg.subject.slice(prefix.length);
      if (!envelope.success) {
        logger.warn({ subject }, 'unreadable catalog event; the catalogue cache starts over');
        cache.clear();
        return;
      }
      if (subject === catalogEvents.variantUpdated) {
        const data = VariantUpdatedEventData.safeParse(envelope.data.data);
        if (data.success) cache.dropVariants([data.data.variant_id], [data.data.product_id]);
        else cache.clear();
        return;
      }
      // Every other inventory event (reserved, committed, released, expired, restocked) names its lines.
      const data = InventoryEventData.safeParse(envelope.data.data);
      if (data.success) cache.dropVariants(data.data.lines.map((l) => l.variant_id));
      else cache.clear();
    },
  });
  let stopped = false;
  void (async () => {
    for await (const st of nc.status()) {
      if (stopped) return;
      if (st.type === 'disconnect' || st.type === 'reconnect') cache.clear();
    }
  })();
  return () => {
    stopped = true;
    sub.unsubscribe();
  };
}

function jsonOf(msg: { json: () => unknown }): unknown {
  try {
    return msg.json();
  } catch {
    return undefined;
  }
}
