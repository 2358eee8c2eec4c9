import type { Express, Request } from 'express';
import { z } from 'zod';
import {
  AddLineRequest,
  AppError,
  ApplyCouponRequest,
  Cart,
  ConvertCartRequest,
  ConvertedCart,
  GetCartRequest,
  parseOrThrow,
  RemoveLineRequest,
  ResolveCartRequest,
  UpdateCheckoutRequest,
  UpdateLineRequest,
  type Caller,
} from '@shop/contracts';
import { buildOpenApi, type ApiCredentials, type OpenApiRoute } from '@shop/kit';
import type { Carts } from '../app/carts.js';

// Request bodies for the OpenAPI document: the contract minus what the path and headers carry.
const fromPathAndHeaders = { cart_id: true, caller: true } as const;
const AddLineBody = AddLineRequest.omit(fromPathAndHeaders);
const UpdateLineBody = UpdateLineRequest.omit({ ...fromPathAndHeaders, line_id: true });
const ApplyCouponBody = ApplyCouponRequest.omit(fromPathAndHeaders);
const UpdateCheckoutBody = UpdateCheckoutRequest.omit(fromPathAndHeaders);
const ResolveBody = ResolveCartRequest.omit({ caller: true });
const ConvertBody = ConvertCartRequest.omit({ cart_id: true });

const routes: OpenApiRoute[] = [
  { method: 'post', path: '/v1/carts', summary: 'Get or create the cart of the conversation (x-conversation-id), or the given cart', body: ResolveBody, response: Cart },
  { method: 'get', path: '/v1/carts/:id', summary: 'The cart, re-priced against the catalog', response: Cart },
  { method: 'post', path: '/v1/carts/:id/lines', summary: 'Add an item (same item again adds to its quantity)', body: AddLineBody, response: Cart },
  { method: 'delete', path: '/v1/carts/:id/lines', summary: 'Empty the cart', response: Cart },
  { method: 'patch', path: '/v1/carts/:id/lines/:lineId', summary: 'Change a quantity (0 removes the line)', body: UpdateLineBody, response: Cart },
  { method: 'delete', path: '/v1/carts/:id/lines/:lineId', summary: 'Remove a line', response: Cart },
  { method: 'post', path: '/v1/carts/:id/coupon', summary: 'Apply a coupon code', body: ApplyCouponBody, response: Cart },
  { method: 'delete', path: '/v1/carts/:id/coupon', summary: 'Remove the coupon', response: Cart },
  { method: 'post', path: '/v1/carts/:id/checkout', summary: 'Start checkout (the cart must be non-empty and available)', response: Cart },
  { method: 'patch', path: '/v1/carts/:id/checkout', summary: 'Set checkout details: addresses, shipping method, delivery preferences, payment method, terms', body: UpdateCheckoutBody, response: Cart },
  { method: 'post', path: '/v1/carts/:id/convert', summary: 'Mark the cart converted into an order (orders service)', body: ConvertBody, response: ConvertedCart },
];

const openApi = buildOpenApi(
  {
    title: 'Cart service',
    version: '0.1.0',
    description:
      'Every route needs Authorization: Bearer <token> (convert: an admin token). The shopper is named by the x-shopper-subject and x-conversation-id headers, which only a credential holder can set.',
  },
  routes,
);

function header(req: Request, name: string): string | undefined {
  const value = req.get(name)?.trim();
  return value ? value : undefined;
}

function callerOf(req: Request): Caller {
  const caller: Caller = {};
  const subject = header(req, 'x-shopper-subject');
  const conversation = header(req, 'x-conversation-id');
  if (subject !== undefined) caller.subject = subject;
  if (conversation !== undefined) caller.conversation = conversation;
  return caller;
}

/**
 * Builds the contract request from the path, the identity headers and the body, then parses it
 * with the same schema the NATS API uses. Path and headers win over anything the body claims.
 * Card data (a card field such as card_number, a number in any free-text field) is refused by
 * that parse as CARD_DATA_REFUSED naming the field.
 */
function request<S extends z.ZodType>(schema: S, req: Request, fromPath: Record<string, string>): z.infer<S> {
  const body = req.body && typeof req.body === 'object' && !Array.isArray(req.body) ? req.body : {};
  if ('caller' in body) throw new AppError('INVALID_INPUT', 'Invalid body.caller: the caller comes from the x-shopper-subject and x-conversation-id headers', { issues: [{ field: 'body.caller', rule: 'unrecognized_keys', message: 'not allowed in the body' }] });
  return parseOrThrow(schema, { ...body, ...fromPath, caller: callerOf(req) });
}

/**
 * Every route but the OpenAPI document needs a credential: the identity headers are trusted only
 * from a caller that proved itself. Converting a cart is what orders does over NATS once an order
 * is placed; over HTTP it is an operator's repair tool, so it needs an admin credential.
 */
export function mountCartRoutes(app: Express, carts: Carts, credentials: ApiCredentials): void {
  const id = (req: Request) => ({ cart_id: String(req.params.id) });
  app.get('/v1/openapi.json', (_req, res) => {
    res.json(openApi);
  });
  // Every route below needs a credential.
  app.use('/v1', credentials.requireCredential('service'));
  app.post('/v1/carts', async (req, res) => {
    res.json(await carts.resolve(request(ResolveCartRequest, req, {})));
  });
  app.get('/v1/carts/:id', async (req, res) => {
    res.json(await carts.get(request(GetCartRequest, req, id(req))));
  });
  app.post('/v1/carts/:id/lines', async (req, res) => {
    res.json(await carts.addLine(request(AddLineRequest, req, id(req))));
  });
  app.delete('/v1/carts/:id/lines', async (req, res) => {
    res.json(await carts.clear(request(GetCartRequest, req, id(req))));
  });
  app.patch('/v1/carts/:id/lines/:lineId', async (req, res) => {
    res.json(await carts.updateLine(request(UpdateLineRequest, req, { ...id(req), line_id: String(req.params.lineId) })));
  });
  app.delete('/v1/carts/:id/lines/:lineId', async (req, res) => {
    res.json(await carts.removeLine(request(RemoveLineRequest, req, { ...id(req), line_id: String(req.params.lineId) })));
  });
  app.post('/v1/carts/:id/coupon', async (req, res) => {
    res.json(await carts.applyCoupon(request(ApplyCouponRequest, req, id(req))));
  });
  app.delete('/v1/carts/:id/coupon', async (req, res) => {
    res.json(await carts.removeCoupon(request(GetCartRequest, req, id(req))));
  });
  app.post('/v1/carts/:id/checkout', async (req, res) => {
    res.json(await carts.startCheckout(request(GetCartRequest, req, id(req))));
  });
  app.patch('/v1/carts/:id/checkout', async (req, res) => {
    res.json(await carts.updateCheckout(request(UpdateCheckoutRequest, req, id(req))));
  });
  app.post('/v1/carts/:id/convert', credentials.requireCredential('admin'), async (req, res) => {
    const body = req.body && typeof req.body === 'object' ? req.body : {};
    res.json(await carts.convert(parseOrThrow(ConvertCartRequest, { ...body, ...id(req) })));
  });
}
