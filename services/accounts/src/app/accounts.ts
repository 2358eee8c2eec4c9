import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { AppError, accountEvents, Address, Email, parseOrThrow, PersonName, type Customer, type SavedAddress } from '@shop/contracts';
import { publishEvent, withTransaction, type Logger, type Pool } from '@shop/kit';
import { codeHash, codeMatches, codeUsable, newCode, normaliseCode } from '../domain/codes.js';
import { DUMMY_PASSWORD_HASH, hashPassword, passwordProblem, verifyPassword } from '../domain/password.js';
import * as q from '../db/queries.js';
import { grantActive, listGrants, revokeGrant, type GrantRecord } from '../db/oidc-adapter.js';
import type { Mailer } from './mailer.js';

export interface AccountsSettings {
  codeTtlSeconds: number;
  codeMaxAttempts: number;
  codesPerWindow: number;
  passwordMaxFailures: number;
  sessionTtlSeconds: number;
}

/** At most this many addresses in one address book. */
export const MAX_ADDRESSES = 20;
const CODE_WINDOW_MS = 15 * 60_000;
const PASSWORD_LOCK_MS = 15 * 60_000;

export interface CodeChallenge {
  challengeId: string;
  email: string;
  purpose: 'sign_in' | 'sign_up';
}

/** The use cases of accounts: sign-up and sign-in, the address book, account sessions, connected apps. */
export class AccountsApp {
  constructor(
    private readonly deps: { pool: Pool; mailer: Mailer; logger: Logger; secret: Buffer; settings: AccountsSettings },
  ) {}

  private get pool() {
    return this.deps.pool;
  }

  /**
   * Mails a one-time code. Sign-in to an unknown address and sign-up of a known one are not
   * revealed: the same "check your mail" follows, and the mail itself says what happened
   * (a sign-up to an existing account signs in; a sign-in to no account mails nothing).
   */
  async requestCode(input: { email: unknown; purpose: 'sign_in' | 'sign_up'; name?: unknown }): Promise<CodeChallenge> {
    const email = parseOrThrow(Email, input.email, 'email');
    const name = input.purpose === 'sign_up' ? parseOrThrow(PersonName, input.name, 'name') : null;
    const recent = await q.countRecentCodes(this.pool, email, new Date(Date.now() - CODE_WINDOW_MS));
    if (recent >= this.deps.settings.codesPerWindow) {
      throw new AppError('RATE_LIMITED', 'Too many codes were sent to this address. Wait 15 minutes, then ask for a new one.', { field: 'email', rule: 'codes_per_15_minutes' });
    }
    const existing = await q.findCustomerByEmail(this.pool, email);
    // A sign-up of an address that has an account becomes a sign-in to it (the name is not changed).
    const purpose = existing ? 'sign_in' : input.purpose;
    const challengeId = randomUUID();
    const code = newCode();
    await q.insertCode(this.pool, {
      id: challengeId,
      email,
      purpose,
      name: purpose === 'sign_up' ? name : null,
      code_hash: codeHash(this.deps.secret, challengeId, email, code),
      expires_at: new Date(Date.now() + this.deps.settings.codeTtlSeconds * 1000),
    });
    // No account and no sign-up: nothing to mail, and the page says the same as when there was.
    if (existing || purpose === 'sign_up') await this.deps.mailer.sendCode({ to: email, code, purpose, minutes: Math.round(this.deps.settings.codeTtlSeconds / 60) });
    return { challengeId, email, purpose };
  }

  /** Checks a typed code; on success the account (created for a sign-up) is returned. */
  async confirmCode(input: { challengeId: string; email: unknown; code: unknown }): Promise<q.CustomerRow> {
    const email = parseOrThrow(Email, input.email, 'email');
    const code = typeof input.code === 'string' ? normaliseCode(input.code) : null;
    if (!code) throw new AppError('INVALID_INPUT', 'The code is the 6 digits from the e-mail.', { field: 'code', rule: 'six_digits' });
    const wrong = () => new AppError('UNAUTHENTICATED', 'That code is not right. Check the newest e-mail, or ask for a new code.', { field: 'code', rule: 'code_mismatch' });
    return withTransaction(this.pool, async (tx) => {
      const row = /^[0-9a-f-]{36}$/.test(input.challengeId) ? await q.lockCode(tx, input.challengeId) : undefined;
      if (!row || row.email !== email) throw wrong();
      const usable = codeUsable({ expiresAt: row.expires_at, consumedAt: row.consumed_at, attempts: row.attempts }, this.deps.settings.codeMaxAttempts, new Date());
      if (usable === 'expired') throw new AppError('UNAUTHENTICATED', 'That code has expired. Ask for a new one.', { field: 'code', rule: 'code_expired' });
      if (usable === 'used') throw new AppError('UNAUTHENTICATED', 'That code was already used. Ask for a new one.', { field: 'code', rule: 'code_used' });
      if (usable === 'too_many_attempts') throw new AppError('RATE_LIMITED', 'Too many wrong codes. Ask for a new one.', { field: 'code', rule: 'code_attempts' });
      if (!codeMatches(this.deps.secret, row.id, email, code, row.code_hash)) {
        await q.countAttempt(tx, row.id);
        // The attempt must count even though this request fails: commit it, then refuse.
        return null;
      }
      await q.consumeCode(tx, row.id);
      if (row.purpose === 'sign_in') {
        const customer = await q.findCustomerByEmail(tx, email);
        if (!customer) throw wrong();
        return customer;
      }
      const { customer, created } = await q.insertCustomer(tx, email, row.name ?? email);
      if (created) await publishEvent(tx, { subject: accountEvents.created, data: { customer_id: customer.id } });
      return customer;
    }).then((c) => {
      if (!c) throw wrong();
      return c;
    });
  }

  /** Password sign-in (for accounts that set one); wrong passwords in a row pause it for 15 minutes. */
  async signInWithPassword(input: { email: unknown; password: unknown }): Promise<q.CustomerRow> {
    const email = parseOrThrow(Email, input.email, 'email');
    const password = typeof input.password === 'string' ? input.password : '';
    const refused = () => new AppError('UNAUTHENTICATED', 'The e-mail address or password is not right. You can sign in with a code by e-mail instead.', { field: 'password', rule: 'credentials_mismatch' });
    const customer = await q.findCustomerByEmail(this.pool, email);
    if (customer?.password_locked_until && customer.password_locked_until.getTime() > Date.now()) {
      throw new AppError('RATE_LIMITED', 'Too many wrong passwords. Sign in with a code by e-mail, or try the password again in 15 minutes.', { field: 'password', rule: 'password_attempts' });
    }
    // Without an account or a password the same work is done, so the answer time reveals neither.
    const ok = await verifyPassword(password, customer?.password_hash ?? DUMMY_PASSWORD_HASH);
    if (!customer || !customer.password_hash || !ok) {
      if (customer?.password_hash) await q.recordPasswordFailure(this.pool, customer.id, this.deps.settings.passwordMaxFailures, new Date(Date.now() + PASSWORD_LOCK_MS));
      throw refused();
    }
    if (customer.password_failures) await q.clearPasswordFailures(this.pool, customer.id);
    return customer;
  }

  async setPassword(customerId: string, password: unknown): Promise<void> {
    if (password === '' || password === undefined) {
      await q.setPasswordHash(this.pool, customerId, null);
      return;
    }
    const text = typeof password === 'string' ? password : '';
    const problem = passwordProblem(text);
    if (problem) throw new AppError('INVALID_INPUT', `Password ${problem}.`, { field: 'password', rule: 'password_length' });
    await q.setPasswordHash(this.pool, customerId, await hashPassword(text));
  }

  async getCustomer(customerId: string): Promise<Customer> {
    const c = await q.findCustomer(this.pool, customerId);
    if (!c) throw new AppError('NOT_FOUND', 'There is no such account.', { customer_id: customerId });
    return q.renderCustomer(c, await q.defaultAddress(this.pool, customerId));
  }

  async rename(customerId: string, name: unknown): Promise<void> {
    await q.updateCustomerName(this.pool, customerId, parseOrThrow(PersonName, name, 'name'));
  }

  async listAddresses(customerId: string): Promise<SavedAddress[]> {
    await this.getCustomer(customerId);
    return q.listAddresses(this.pool, customerId);
  }

  /** Adds an address; the first one, or one marked so, becomes the default. */
  async addAddress(customerId: string, address: unknown, makeDefault: boolean): Promise<SavedAddress> {
    const parsed = parseOrThrow(Address, address, 'address');
    return withTransaction(this.pool, async (tx) => {
      await tx.query('select 1 from customers where id = $1 for update', [customerId]);
      const count = await q.countAddresses(tx, customerId);
      if (count >= MAX_ADDRESSES) throw new AppError('INVALID_INPUT', `An address book holds at most ${MAX_ADDRESSES} addresses. Remove one first.`, { field: 'address', rule: 'max_addresses' });
      const isDefault = makeDefault || count === 0;
      if (isDefault) await q.clearDefaultAddress(tx, customerId);
      return q.insertAddress(tx, customerId, parsed, isDefault);
    });
  }

  async setDefaultAddress(customerId: string, addressId: string): Promise<void> {
    await withTransaction(this.pool, async (tx) => {
      await q.clearDefaultAddress(tx, customerId);
      if (!(await q.markDefaultAddress(tx, customerId, addressId))) throw new AppError('NOT_FOUND', 'That address is not in your address book.', { address_id: addressId });
    });
  }

  async removeAddress(customerId: string, addressId: string): Promise<void> {
    await withTransaction(this.pool, async (tx) => {
      const { deleted, wasDefault } = await q.deleteAddress(tx, customerId, addressId);
      if (!deleted) throw new AppError('NOT_FOUND', 'That address is not in your address book.', { address_id: addressId });
      if (wasDefault) await q.promoteOldestAddress(tx, customerId);
    });
  }

  /** A new signed-in browser for the account pages; the cookie holds the id, the database its hash. */
  async openSession(customerId: string): Promise<{ id: string; maxAgeSeconds: number }> {
    const id = randomBytes(32).toString('base64url');
    const ttl = this.deps.settings.sessionTtlSeconds;
    await q.insertSession(this.pool, sessionHash(id), customerId, new Date(Date.now() + ttl * 1000));
    return { id, maxAgeSeconds: ttl };
  }

  async sessionCustomer(id: string | undefined): Promise<string | undefined> {
    if (!id || id.length > 100) return undefined;
    return (await q.findSession(this.pool, sessionHash(id)))?.customer_id;
  }

  async closeSession(id: string | undefined): Promise<void> {
    if (id) await q.deleteSession(this.pool, sessionHash(id));
  }

  connectedApps(customerId: string): Promise<GrantRecord[]> {
    return listGrants(this.pool, customerId);
  }

  /** Whether an access token's grant still stands: the resource server's revocation check. */
  grantActive(grantId: string, customerId: string, clientId: string): Promise<boolean> {
    return grantActive(this.pool, grantId, customerId, clientId);
  }

  async disconnectApp(customerId: string, grantId: string): Promise<void> {
    if (!(await revokeGrant(this.pool, customerId, grantId))) throw new AppError('NOT_FOUND', 'That app is not connected to your account.', { grant_id: grantId });
    this.deps.logger.info({ customer: customerId, grant: grantId }, 'connected app revoked');
  }

  sweep() {
    return q.sweepExpired(this.pool);
  }
}

function sessionHash(id: string): string {
  return createHash('sha256').update(id).digest('base64url');
}
