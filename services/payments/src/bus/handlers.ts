import { z } from 'zod';
import { cardDataRefused, endpoint, findCardData, paymentsApi, type Endpoint } from '@shop/contracts';
import { handle, type HandlerBinding, type Logger } from '@shop/kit';
import type { PaymentsApp } from '../app/payments.js';

/**
 * The same contract, with the card-data guard in front of its schema: the kit parses requests
 * before a handler runs, and a strict schema would otherwise answer INVALID_INPUT (or let a
 * number hidden in free text through) instead of CARD_DATA_REFUSED.
 */
export function guarded<Req extends z.ZodType, Res extends z.ZodType>(ep: Endpoint<Req, Res>, logger: Logger) {
  const request = z
    .unknown()
    .transform((raw) => {
      const field = findCardData(raw);
      if (field) {
        logger.warn({ subject: ep.subject, field }, 'request with card data refused');
        throw cardDataRefused(field);
      }
      return raw;
    })
    .pipe(ep.request);
  return endpoint(ep.subject, request, ep.response) as unknown as Endpoint<Req, Res>;
}

export function paymentHandlers(app: PaymentsApp, logger: Logger): HandlerBinding[] {
  const g = <Req extends z.ZodType, Res extends z.ZodType>(ep: Endpoint<Req, Res>) => guarded(ep, logger);
  return [
    handle(g(paymentsApi.authorize), (req) => app.charges.authorize(req)),
    handle(g(paymentsApi.capture), (req) => app.charges.capture(req.payment_id)),
    handle(g(paymentsApi.void), (req) => app.charges.void(req.payment_id)),
    handle(g(paymentsApi.get), (req) => app.charges.get(req.payment_id)),
    handle(g(paymentsApi.getByOrder), (req) => app.charges.getByOrder(req.order_id)),
    handle(g(paymentsApi.refund), (req) => app.refunds.refund(req)),
    // A request in the former shape (`customer` only) names no verified account: test cards only.
    handle(g(paymentsApi.listMethods), (req) => app.methods.listMethods(req.account)),
    handle(g(paymentsApi.setDefaultMethod), (req) => app.methods.setDefaultMethod(req.account, req.payment_method_id)),
    handle(g(paymentsApi.removeMethod), (req) => app.methods.removeMethod(req.account, req.payment_method_id)),
    handle(g(paymentsApi.createSetupLink), (req) => app.methods.createSetupLink(req.account, req.return_url)),
    handle(g(paymentsApi.createCheckoutLink), (req) => app.checkoutLinks.create(req)),
  ];
}
