import type { Express } from 'express';
import { z } from 'zod';
import { AddressList, Customer, CustomerRequest } from '@shop/contracts';
import { buildOpenApi, parseParams, type ApiCredentials } from '@shop/kit';
import type { AccountsApp } from '../app/accounts.js';

/** The internal HTTP API (service credential), mirroring the NATS one. */
export function mountApi(http: Express, app: AccountsApp, credentials: ApiCredentials): void {
  const service = credentials.requireCredential('service');
  http.get('/v1/customers/:customer_id', service, async (req, res) => {
    const { customer_id } = parseParams(CustomerRequest, req);
    res.json(await app.getCustomer(customer_id));
  });
  http.get('/v1/customers/:customer_id/addresses', service, async (req, res) => {
    const { customer_id } = parseParams(CustomerRequest, req);
    res.json({ items: await app.listAddresses(customer_id) });
  });
  const html = z.string();
  const openapi = buildOpenApi(
    {
      title: 'accounts',
      version: '0.1.0',
      description:
        'Accounts: the OAuth 2.1 authorization server (/.well-known/oauth-authorization-server, /oauth/*), the sign-in, consent and account pages (public; forms carry a CSRF token), and internal reads (Authorization: Bearer <token>).',
    },
    [
      { method: 'get', path: '/v1/customers/:customer_id', summary: 'One account (service credential)', response: Customer },
      { method: 'get', path: '/v1/customers/:customer_id/addresses', summary: "An account's address book, default first (service credential)", response: AddressList },
      { method: 'get', path: '/signin', summary: 'Sign-in page (public)', response: html },
      { method: 'get', path: '/account', summary: 'Your account (public; needs the account session cookie)', response: html },
    ],
  );
  http.get('/v1/openapi.json', (_req, res) => {
    res.json(openapi);
  });
}
