import { createHmac, timingSafeEqual } from 'node:crypto';
import express, { type Express, type Request, type Response, type NextFunction } from 'express';
import { z } from 'zod';
import { AppError, cardDataRefused, findCardData, ListPaymentsQuery, Payment, PaymentList, Uuid } from '@shop/contracts';
import { buildOpenApi, parseParams, parseQuery, type ApiCredentials, type Logger } from '@shop/kit';
import type { PaymentsApp } from '../app/payments.js';
import { demoAuthenticationEvent, demoCheckoutCompletedEvent } from '../domain/demo-events.js';
import { demoNote, escapeHtml, money, page } from './pages.js';
import { mountSetupPages } from './setup.js';
import type { SetupCapabilities } from '../domain/setup-capability.js';

const PaymentParams = z.object({ id: Uuid }).strict();
const CheckoutParams = z.object({ id: z.string().regex(/^cs_demo_[0-9a-f]{32}$/, 'must be a demo checkout id') }).strict();
const WebhookAck = z.object({ received: z.literal(true), duplicate: z.boolean() });

/** Mounted before the JSON parser: the signature covers the exact bytes Stripe sent. */
export function mountWebhook(http: Express, app: PaymentsApp, logger: Logger): void {
  http.post('/v1/webhooks/stripe', express.raw({ type: () => true, limit: '1mb' }), async (req: Request, res: Response) => {
    const body = Buffer.isBuffer(req.body) ? req.body : Buffer.alloc(0);
    const { id, duplicate } = await app.webhooks.receive(body, req.get('stripe-signature'));
    // Acknowledge first: Stripe only needs to know the event is safely recorded.
    res.json({ received: true, duplicate });
    if (!duplicate) void app.webhooks.processEvent(id).catch((e) => logger.warn({ event_id: id, err: (e as Error).message }, 'webhook processing failed'));
  });
}

/** Refuses card data in any query or body before a route sees it; logs the field, never the value. */
export function cardDataGuard(logger: Logger) {
  return (req: Request, _res: Response, next: NextFunction) => {
    const field = findCardData({ query: req.query, body: req.body ?? {} });
    if (!field) return next();
    logger.warn({ path: req.baseUrl + req.path, field }, 'request with card data refused');
    next(cardDataRefused(field));
  };
}

// The pages run nothing and load nothing; their forms post only back here; nobody may frame them
// (clickjacking the Approve button).
const PAGE_CSP = "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'";

export const sendHtml = (res: Response, status: number, html: string) =>
  res
    .status(status)
    .type('html')
    .set('Content-Security-Policy', PAGE_CSP)
    .set('X-Frame-Options', 'DENY')
    .set('X-Content-Type-Options', 'nosniff')
    // The URL holds the checkout id (or the setup capability) and the page its CSRF token: neither is
    // cached nor sent to another site as a referrer. same-origin, not no-referrer: under no-referrer
    // Chromium posts the page's own forms with `Origin: null`, which the origin check refuses.
    .set('Cache-Control', 'no-store')
    .set('Referrer-Policy', 'same-origin')
    .send(html);

/** The demo page a token is for: a checkout, an authentication, or a card setup (bound to its link's token). */
export type CsrfPurpose = 'checkout' | 'authenticate' | 'setup';

/**
 * CSRF tokens of the demo pages: an HMAC of the link (checkout or payment id) under a server key.
 * Only a page this service rendered carries the right one, so a form posted from another site is
 * refused even if it guesses or learns the id. Bound to the id, they need no session or storage.
 */
export class CsrfTokens {
  constructor(private readonly key: Buffer) {}
  token(purpose: CsrfPurpose, id: string): string {
    return createHmac('sha256', this.key).update(`demo-${purpose}:${id}`).digest('base64url');
  }
  valid(purpose: CsrfPurpose, id: string, presented: unknown): boolean {
    if (typeof presented !== 'string') return false;
    const expected = Buffer.from(this.token(purpose, id));
    const given = Buffer.from(presented);
    return given.length === expected.length && timingSafeEqual(given, expected);
  }
  field(purpose: CsrfPurpose, id: string): string {
    return `<input type="hidden" name="csrf" value="${this.token(purpose, id)}">`;
  }
}

export function refuseForgedForm(res: Response, logger: Logger, req: Request): void {
  logger.warn({ path: req.path, origin: req.get('origin') }, 'demo page form without a valid CSRF token refused');
  sendHtml(res, 403, page('Request refused', `<p>This request did not come from the payment page, so nothing was done. Open the payment link again.</p>${demoNote}`));
}

/**
 * Public: the OpenAPI document, the shopper's pages (demo checkout and authentication, the return
 * page) and the Stripe webhook (mounted earlier, verified by its signature). The payment reads
 * need a credential.
 */
export function mountRoutes(http: Express, app: PaymentsApp, logger: Logger, opts: { credentials: ApiCredentials; csrf: CsrfTokens; setup: SetupCapabilities }): void {
  const { csrf } = opts;
  // The pages' forms post urlencoded (only the CSRF field).
  http.use('/v1/demo', express.urlencoded({ extended: false, limit: '4kb' }));
  http.use('/v1', cardDataGuard(logger));

  http.get('/v1/openapi.json', (_req, res) => {
    res.json(openApi);
  });

  http.get('/v1/return', (_req, res) => {
    sendHtml(res, 200, page('All done', '<p>You can close this page and return to the conversation.</p>'));
  });

  http.get('/v1/demo/checkout/:id', async (req, res) => {
    const link = await demoLink(app, req);
    const rows = link.line_items
      .map((i) => `<tr><td>${i.quantity} × ${escapeHtml(i.name)}</td><td class="r">${money(i.quantity * i.unit_amount, link.currency)}</td></tr>`)
      .join('');
    const open = link.status === 'open' && link.expires_at > new Date();
    const actions = open
      ? `<form method="post" action="/v1/demo/checkout/${link.id}/approve">${csrf.field('checkout', link.id)}<button type="submit">Approve payment</button></form>
         <form method="post" action="/v1/demo/checkout/${link.id}/cancel">${csrf.field('checkout', link.id)}<button type="submit">Cancel</button></form>`
      : `<p>This checkout is ${escapeHtml(link.expires_at <= new Date() && link.status === 'open' ? 'expired' : link.status)}.</p>`;
    sendHtml(
      res,
      200,
      page(
        'Demo checkout',
        `<table>${rows}<tr class="total"><td>Total charged</td><td class="r">${money(link.amount, link.currency)}</td></tr></table>${actions}${demoNote}`,
      ),
    );
  });

  http.post('/v1/demo/checkout/:id/approve', async (req, res) => {
    const link = await demoLink(app, req);
    if (!csrf.valid('checkout', link.id, req.body?.csrf)) return refuseForgedForm(res, logger, req);
    if (link.status !== 'completed' && (link.status !== 'open' || link.expires_at <= new Date())) {
      sendHtml(res, 409, page('Checkout closed', `<p>This checkout is no longer open, so nothing was charged.</p>${demoNote}`));
      return;
    }
    const event = demoCheckoutCompletedEvent(link, Math.floor(Date.now() / 1000));
    const { duplicate } = await app.webhooks.recordEvent({ id: event.id, type: event.type, payload: event });
    if (!duplicate) await app.webhooks.processEvent(event.id);
    sendHtml(res, 200, page('Payment approved', `<p>${money(link.amount, link.currency)} was paid. You can return to the conversation.</p>${demoNote}`));
  });

  http.post('/v1/demo/checkout/:id/cancel', async (req, res) => {
    const link = await demoLink(app, req);
    if (!csrf.valid('checkout', link.id, req.body?.csrf)) return refuseForgedForm(res, logger, req);
    await app.checkoutLinks.cancel(link.id);
    sendHtml(res, 200, page('Checkout cancelled', `<p>Nothing was charged. You can return to the conversation.</p>${demoNote}`));
  });

  http.get('/v1/demo/authenticate/:id', async (req, res) => {
    const payment = await demoPaymentAwaitingAction(app, req);
    const actions =
      payment.status === 'requires_action'
        ? `<p>Your bank asks you to confirm this payment of ${money(payment.amount, payment.currency)}.</p>
           <form method="post" action="/v1/demo/authenticate/${payment.id}/approve">${csrf.field('authenticate', payment.id)}<button type="submit">Complete authentication</button></form>
           <form method="post" action="/v1/demo/authenticate/${payment.id}/decline">${csrf.field('authenticate', payment.id)}<button type="submit">Fail authentication</button></form>`
        : `<p>This payment is ${escapeHtml(payment.status.replace('_', ' '))}; there is nothing to confirm.</p>`;
    sendHtml(res, 200, page('Confirm your payment', `${actions}${demoNote}`));
  });

  for (const answer of ['approve', 'decline'] as const) {
    http.post(`/v1/demo/authenticate/:id/${answer}`, async (req, res) => {
      const payment = await demoPaymentAwaitingAction(app, req);
      if (!csrf.valid('authenticate', payment.id, req.body?.csrf)) return refuseForgedForm(res, logger, req);
      if (payment.status === 'requires_action' && payment.provider_ref) {
        const event = demoAuthenticationEvent({ ...payment, provider_ref: payment.provider_ref }, answer === 'approve', Math.floor(Date.now() / 1000));
        const { duplicate } = await app.webhooks.recordEvent({ id: event.id, type: event.type, payload: event });
        if (!duplicate) await app.webhooks.processEvent(event.id);
      }
      const after = await app.charges.get(payment.id);
      const message =
        after.status === 'captured' || after.status === 'authorized'
          ? `Payment confirmed: ${money(after.amount, after.currency)}. You can return to the conversation.`
          : after.status === 'failed'
            ? escapeHtml(after.failure_message ?? 'The payment failed.')
            : `This payment is ${escapeHtml(after.status.replace('_', ' '))}.`;
      sendHtml(res, 200, page('Confirm your payment', `<p>${message}</p>${demoNote}`));
    });
  }

  mountSetupPages(http, app, logger, { csrf, setup: opts.setup, sendHtml, refuseForgedForm });

  // Every route below needs a credential (the pages above are the shopper's).
  http.use('/v1', opts.credentials.requireCredential('service'));

  http.get('/v1/payments/:id', async (req, res) => {
    const { id } = parseParams(PaymentParams, req);
    res.json(await app.charges.get(id));
  });

  http.get('/v1/payments', async (req, res) => {
    const { order_id } = parseQuery(ListPaymentsQuery, req);
    res.json({ items: await app.charges.listByOrder(order_id) });
  });
}

async function demoLink(app: PaymentsApp, req: Request) {
  const { id } = parseParams(CheckoutParams, req);
  const link = await app.checkoutLinks.find(id);
  if (!link || link.provider !== 'demo') throw new AppError('NOT_FOUND', 'No such checkout.');
  return link;
}

async function demoPaymentAwaitingAction(app: PaymentsApp, req: Request) {
  const { id } = parseParams(PaymentParams, req);
  const payment = await app.charges.findPayment(id);
  if (!payment || payment.provider !== 'demo') throw new AppError('PAYMENT_NOT_FOUND', 'No such payment.');
  return payment;
}

const html = z.string().describe('text/html page');
const openApi = buildOpenApi(
  {
    title: 'payments',
    version: '0.1.0',
    description:
      'Payments: reads (Authorization: Bearer <token>), Stripe webhooks (signature) and the demo provider pages (public; their forms carry a CSRF token). Commands travel over NATS (paymentsApi).',
  },
  [
    { method: 'get', path: '/v1/payments/:id', summary: 'A payment', response: Payment },
    { method: 'get', path: '/v1/payments', summary: "An order's payments, newest first", query: ListPaymentsQuery, response: PaymentList },
    { method: 'post', path: '/v1/webhooks/stripe', summary: 'Stripe webhook (signature verified on the raw body; events de-duplicated by id)', body: z.object({ id: z.string(), type: z.string() }).passthrough(), response: WebhookAck },
    { method: 'get', path: '/v1/demo/checkout/:id', summary: 'Demo checkout page (HTML)', response: html },
    { method: 'post', path: '/v1/demo/checkout/:id/approve', summary: "Approve a demo checkout (completes it like a checkout.session.completed webhook); form field csrf from the page", response: html },
    { method: 'post', path: '/v1/demo/checkout/:id/cancel', summary: 'Cancel a demo checkout; form field csrf from the page', response: html },
    { method: 'get', path: '/v1/demo/authenticate/:id', summary: 'Demo authentication page for a payment that requires action (HTML)', response: html },
    { method: 'post', path: '/v1/demo/authenticate/:id/approve', summary: 'Complete demo authentication; form field csrf from the page', response: html },
    { method: 'post', path: '/v1/demo/authenticate/:id/decline', summary: 'Fail demo authentication; form field csrf from the page', response: html },
    { method: 'get', path: '/v1/demo/setup/:token', summary: "Demo card setup page (HTML): choose a test card to add to the account sealed into the link's signed token", response: html },
    { method: 'post', path: '/v1/demo/setup/:token', summary: 'Add the chosen test card (form fields payment_method_id and csrf from the page)', response: html },
    { method: 'get', path: '/v1/return', summary: 'Where the shopper lands after a provider redirect (HTML)', response: html },
  ],
);
