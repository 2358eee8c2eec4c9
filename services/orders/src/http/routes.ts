import type { Express } from 'express';
import { z } from 'zod';
import { AppError, Caller, ConversationKey, ListOrdersResult, Order, OrderNumber, Page, PerPage, Subject, Uuid } from '@shop/contracts';
import { buildOpenApi, credentialOf, parseBody, parseParams, parseQuery, type ApiCredentials } from '@shop/kit';
import type { Lifecycle } from '../app/lifecycle.js';

const OrderPath = z.object({ id: z.union([Uuid, OrderNumber], 'must be an order id (UUID) or an order number (ORD-…)') });
/** Optional caller: when given, the order must be theirs. */
const GetOrderQuery = z.object({ subject: Subject.optional(), conversation: ConversationKey.optional() }).strict();
const ListQuery = z
  .object({ subject: Subject.optional(), conversation: ConversationKey.optional(), page: Page, per_page: PerPage })
  .strict()
  .refine((q) => q.subject || q.conversation, { message: 'subject or conversation is required', path: ['subject'] });

/** A return: the shopper whose order it is, and why. */
const RefundBody = z
  .object({ caller: Caller, reason: z.string().trim().max(500, 'must be at most 500 characters').optional() })
  .strict()
  .refine((b) => b.caller.subject || b.caller.conversation, { message: 'subject or conversation is required', path: ['caller', 'subject'] });

/**
 * Every route but the OpenAPI document needs a credential. Fulfilment (ship, deliver) needs an
 * admin one, and so does reading an order without naming its shopper: an order number is a
 * label, not the key to an order's address and owner.
 */
export function mountRoutes(app: Express, lifecycle: Lifecycle, credentials: ApiCredentials): void {
  app.get('/v1/openapi.json', (_req, res) => {
    res.json(openapi);
  });
  // Every route below needs a credential.
  app.use('/v1', credentials.requireCredential('service'));
  const admin = credentials.requireCredential('admin');

  app.get('/v1/orders', async (req, res) => {
    const q = parseQuery(ListQuery, req);
    res.json(await lifecycle.list({ caller: { subject: q.subject, conversation: q.conversation }, page: q.page, per_page: q.per_page }));
  });
  app.get('/v1/orders/:id', async (req, res) => {
    const { id } = parseParams(OrderPath, req);
    const q = parseQuery(GetOrderQuery, req);
    const owner = q.subject || q.conversation ? q : undefined;
    if (!owner && credentialOf(res).role !== 'admin') {
      throw new AppError('FORBIDDEN', 'Reading an order without its subject or conversation needs an admin credential.', { required_role: 'admin' });
    }
    res.json(await lifecycle.get(id, owner));
  });
  app.post('/v1/orders/:id/ship', admin, async (req, res) => {
    res.json(await lifecycle.ship(parseParams(OrderPath, req).id));
  });
  app.post('/v1/orders/:id/deliver', admin, async (req, res) => {
    res.json(await lifecycle.deliver(parseParams(OrderPath, req).id));
  });
  app.post('/v1/orders/:id/refund', async (req, res) => {
    const { id } = parseParams(OrderPath, req);
    const body = parseBody(RefundBody, req);
    res.json(await lifecycle.refund({ order_id: id, caller: body.caller, reason: body.reason }));
  });
}

const openapi = buildOpenApi(
  {
    title: 'Orders service',
    version: '0.1.0',
    description: 'Order status, history, fulfilment and returns. Every route needs Authorization: Bearer <token>; ship, deliver and reading an order without its shopper need an admin token.',
  },
  [
    { method: 'get', path: '/v1/orders', summary: "A shopper's orders, newest first", query: ListQuery, response: ListOrdersResult },
    { method: 'get', path: '/v1/orders/:id', summary: 'An order by id or number, with tracking and timeline', query: GetOrderQuery, response: Order },
    { method: 'post', path: '/v1/orders/:id/ship', summary: 'Ship a confirmed order (tracking number and carrier)', response: Order },
    { method: 'post', path: '/v1/orders/:id/deliver', summary: 'Mark a shipped order delivered', response: Order },
    { method: 'post', path: '/v1/orders/:id/refund', summary: 'Refund a shipped order, or a delivered one within the returns window (the order becomes refunded)', body: RefundBody, response: Order },
  ],
);
