import { z } from 'zod';
import { Address } from './checkout.js';
import { endpoint, FreeText, IsoDateTime, Uuid } from './common.js';
import { textLimits } from './rules/index.js';

/** The OAuth scopes the accounts server grants and the gateway checks (ARCHITECTURE.md "Shopper identity"). */
export const ACCOUNT_SCOPES = {
  'shop.account': 'See your name, e-mail address and address book',
  'shop.orders': 'See your orders and cancel, refund or reorder them',
  'shop.payment_methods': 'Pay with the payment methods saved to your account',
} as const;
export const AccountScope = z.enum(Object.keys(ACCOUNT_SCOPES) as [keyof typeof ACCOUNT_SCOPES, ...Array<keyof typeof ACCOUNT_SCOPES>]);
export type AccountScope = z.infer<typeof AccountScope>;

/** An account id: the `sub` of every access token the accounts server issues. */
export const CustomerId = Uuid;

/** An e-mail address as a person types it: trimmed, lower-cased (addresses are compared that way). */
export const Email = z
  .string()
  .trim()
  .toLowerCase()
  .max(254, 'must be at most 254 characters')
  .email('must be an e-mail address');

export const PersonName = FreeText(textLimits.personName, { min: 1, minMessage: 'is required' });

/** One entry of a customer's address book. */
export const SavedAddress = z.object({
  id: Uuid,
  is_default: z.boolean(),
  address: Address,
  created_at: IsoDateTime,
});
export type SavedAddress = z.infer<typeof SavedAddress>;

export const Customer = z.object({
  id: CustomerId,
  email: z.string(),
  name: z.string(),
  has_password: z.boolean(),
  default_address: SavedAddress.nullable(),
  created_at: IsoDateTime,
});
export type Customer = z.infer<typeof Customer>;

export const CustomerRequest = z.object({ customer_id: CustomerId }).strict();
export const AddressList = z.object({ items: z.array(SavedAddress) });

/**
 * Is the grant an access token was issued under still in force? JWT access tokens are checked by
 * signature alone, so the gateway asks this to honour a disconnected app before the token expires.
 */
export const GrantCheckRequest = z
  .object({
    /** The token's `grant_id` claim. */
    grant_id: z.string().min(1).max(200),
    /** The token's `sub`: the grant must be this account's. */
    customer_id: CustomerId,
    /** The token's `client_id`: the grant must be this app's. */
    client_id: z.string().min(1).max(2000),
  })
  .strict();
export const GrantCheckResult = z.object({ active: z.boolean() });
export type GrantCheckResult = z.infer<typeof GrantCheckResult>;

export const accountsApi = {
  /** One account: name, e-mail, default address. */
  getCustomer: endpoint('accounts.customers.get', CustomerRequest, Customer),
  /** An account's address book, default first. */
  listAddresses: endpoint('accounts.addresses.list', CustomerRequest, AddressList),
  /** Whether an access token's grant still stands (the app was not disconnected, the grant not revoked). */
  checkGrant: endpoint('accounts.grants.check', GrantCheckRequest, GrantCheckResult),
};

export const accountEvents = {
  /** A person finished sign-up (their e-mail address is verified by the one-time code). */
  created: 'evt.account.created',
} as const;

export const AccountCreatedEvent = z.object({ customer_id: CustomerId });
