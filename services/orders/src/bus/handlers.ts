import { ordersApi } from '@shop/contracts';
import { handle } from '@shop/kit';
import type { Lifecycle } from '../app/lifecycle.js';
import type { Placement } from '../app/placement.js';

export function orderHandlers(placement: Placement, lifecycle: Lifecycle) {
  return [
    handle(ordersApi.place, (req) => placement.place(req)),
    handle(ordersApi.placeExternal, (req) => placement.placeExternal(req)),
    handle(ordersApi.get, (req) => lifecycle.get(req.order_id, req.caller)),
    handle(ordersApi.placed, (req) => placement.placed(req)),
    handle(ordersApi.list, (req) => lifecycle.list(req)),
    handle(ordersApi.cancel, (req) => lifecycle.cancel(req)),
    handle(ordersApi.refund, (req) => lifecycle.refund(req)),
    handle(ordersApi.reorder, (req) => lifecycle.reorder(req)),
    handle(ordersApi.ship, (req) => lifecycle.ship(req.order_id)),
    handle(ordersApi.deliver, (req) => lifecycle.deliver(req.order_id)),
  ];
}
