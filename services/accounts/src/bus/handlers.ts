import { accountsApi } from '@shop/contracts';
import { handle, type HandlerBinding } from '@shop/kit';
import type { AccountsApp } from '../app/accounts.js';

/** accounts.> on NATS: internal callers (the gateway) read an account and its address book, and check a token's grant. */
export function accountHandlers(app: AccountsApp): HandlerBinding[] {
  return [
    handle(accountsApi.getCustomer, (req) => app.getCustomer(req.customer_id)),
    handle(accountsApi.listAddresses, async (req) => ({ items: await app.listAddresses(req.customer_id) })),
    handle(accountsApi.checkGrant, async (req) => ({ active: await app.grantActive(req.grant_id, req.customer_id, req.client_id) })),
  ];
}
