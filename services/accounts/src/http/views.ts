import type { z } from 'zod';
import type { Customer, ListMethodsResult, ListOrdersResult, SavedAddress } from '@shop/contracts';
import { formatMoney, type Currency } from '@shop/contracts';
import { describeScope } from '../domain/scopes.js';
import { esc, field, page } from './html.js';

/** Where a sign-in form posts: inside an OAuth interaction, or the account pages' own sign-in. */
export interface FlowBase {
  /** e.g. /interaction/abc or /signin */
  base: string;
  csrf: string;
}

export function signInView(f: FlowBase, opts: { email?: string; error?: string; appName?: string; signedInAs?: string } = {}): string {
  const forApp = opts.appName ? `<p><strong>${esc(opts.appName)}</strong> wants to connect to your shop account. Sign in first.</p>` : '';
  const continueAs = opts.signedInAs
    ? `<form method="post" action="${f.base}/continue">${f.csrf}<p>You are signed in as <strong>${esc(opts.signedInAs)}</strong>.</p><button type="submit">Continue as ${esc(opts.signedInAs)}</button></form><h2>Or use another account</h2>`
    : '';
  return page(
    'Sign in',
    `${forApp}${continueAs}
<form method="post" action="${f.base}/code-request">${f.csrf}<input type="hidden" name="purpose" value="sign_in">
${field('email', 'E-mail address', { type: 'email', value: opts.email, autocomplete: 'email', required: true, autofocus: !opts.signedInAs })}
<button type="submit">E-mail me a sign-in code</button></form>
<details><summary>Sign in with a password instead</summary>
<form method="post" action="${f.base}/password">${f.csrf}
${field('email', 'E-mail address', { idPrefix: 'pw', type: 'email', value: opts.email, autocomplete: 'username', required: true })}
${field('password', 'Password', { idPrefix: 'pw', type: 'password', autocomplete: 'current-password', required: true })}
<button type="submit">Sign in</button></form></details>
<p>No account yet? <a href="${f.base}/signup">Create an account</a></p>${f.base.startsWith('/interaction/') ? `<form method="post" action="${f.base}/abort">${f.csrf}<button type="submit" class="secondary">Cancel and go back to the app</button></form>` : ''}`,
    { error: opts.error },
  );
}

export function signUpView(f: FlowBase, opts: { email?: string; name?: string; error?: string } = {}): string {
  return page(
    'Create an account',
    `<form method="post" action="${f.base}/code-request">${f.csrf}<input type="hidden" name="purpose" value="sign_up">
${field('name', 'Your name', { value: opts.name, autocomplete: 'name', required: true, autofocus: true })}
${field('email', 'E-mail address', { type: 'email', value: opts.email, autocomplete: 'email', required: true, hint: 'We e-mail you a code to confirm it. No password needed.' })}
<button type="submit">E-mail me a code</button></form>
<p>Already have an account? <a href="${f.base}">Sign in</a></p>`,
    { error: opts.error },
  );
}

export function codeView(f: FlowBase, opts: { challengeId: string; email: string; error?: string }): string {
  return page(
    'Check your e-mail',
    `<p>If <strong>${esc(opts.email)}</strong> can sign in here, we sent it a 6-digit code. It works once, for a few minutes.</p>
<form method="post" action="${f.base}/code">${f.csrf}<input type="hidden" name="challenge" value="${esc(opts.challengeId)}"><input type="hidden" name="email" value="${esc(opts.email)}">
${field('code', 'Code from the e-mail', { inputmode: 'numeric', autocomplete: 'one-time-code', required: true, autofocus: true })}
<button type="submit">Continue</button></form>
<p><a href="${f.base}">Use another e-mail address or ask for a new code</a></p>`,
    { error: opts.error },
  );
}

export interface ConsentInfo {
  appName: string;
  appHost: string;
  redirectHost: string;
  accountEmail: string;
  scopes: string[];
}

export function consentView(f: FlowBase, c: ConsentInfo): string {
  const list = c.scopes.length ? c.scopes.map((s) => `<li><strong>${esc(s)}</strong>: ${esc(describeScope(s))}</li>`).join('') : '<li>Know that you have an account here</li>';
  return page(
    `Connect ${c.appName}?`,
    `<p><strong>${esc(c.appName)}</strong> (${esc(c.appHost)}) asks to use your account <strong>${esc(c.accountEmail)}</strong>. It will be able to:</p>
<ul class="scopes">${list}</ul>
<p class="note">After you allow it, you return to ${esc(c.redirectHost)}. You can disconnect the app at any time under “Your account”.</p>
<form method="post" action="${f.base}/consent" class="inline">${f.csrf}<button type="submit">Allow</button></form>
<form method="post" action="${f.base}/abort" class="inline">${f.csrf}<button type="submit" class="secondary">Deny</button></form>`,
  );
}

export function errorView(title: string, message: string): string {
  return page(title, `<p>${esc(message)}</p><p><a href="/account">Your account</a></p>`);
}

export interface AccountView {
  customer: Customer;
  addresses: SavedAddress[];
  orders: z.infer<typeof ListOrdersResult> | { unavailable: string };
  methods: z.infer<typeof ListMethodsResult> | { unavailable: string };
  apps: Array<{ grantId: string; name: string; host: string; scopes: string[]; since: string }>;
  csrf: string;
  notice?: string;
  error?: string;
}

function addressText(a: SavedAddress['address']): string {
  return [a.name, a.line1, a.line2, [a.postal_code, a.city].filter(Boolean).join(' '), a.state, a.country].filter(Boolean).map(esc).join(', ');
}

export function accountView(v: AccountView): string {
  const addresses = v.addresses.length
    ? `<ul class="plain">${v.addresses
        .map(
          (a) => `<li>${addressText(a.address)}${a.is_default ? ' <strong>(default)</strong>' : ''}<br>
${a.is_default ? '' : `<form method="post" action="/account/addresses/${a.id}/default" class="inline">${v.csrf}<button type="submit" class="secondary" aria-label="Make ${esc(a.address.line1)} the default address">Make default</button></form>`}
<form method="post" action="/account/addresses/${a.id}/remove" class="inline">${v.csrf}<button type="submit" class="secondary" aria-label="Remove ${esc(a.address.line1)}">Remove</button></form></li>`,
        )
        .join('')}</ul>`
    : '<p>No addresses yet.</p>';
  const orders =
    'unavailable' in v.orders
      ? `<p class="note">${esc(v.orders.unavailable)}</p>`
      : v.orders.items.length
        ? `<ul class="plain">${v.orders.items.map((o) => `<li><strong>${esc(o.number)}</strong> · ${esc(o.status)} · ${esc(formatMoney(o.total, o.currency as Currency))} · ${esc(o.first_item_name)}${o.item_count > 1 ? ` and ${o.item_count - 1} more` : ''} · ${esc(o.created_at.slice(0, 10))}</li>`).join('')}</ul>`
        : '<p>No orders yet.</p>';
  const saved = 'unavailable' in v.methods ? [] : v.methods.methods.filter((m) => m.saved);
  const methods =
    'unavailable' in v.methods
      ? `<p class="note">${esc(v.methods.unavailable)}</p>`
      : saved.length
        ? `<ul class="plain">${saved
            .map(
              (m) => `<li>${esc(m.label)}${m.is_default ? ' <strong>(default)</strong>' : ''}<br>
${m.is_default ? '' : `<form method="post" action="/account/payment-methods/${esc(m.id)}/default" class="inline">${v.csrf}<button type="submit" class="secondary" aria-label="Make ${esc(m.label)} the default card">Make default</button></form>`}
<form method="post" action="/account/payment-methods/${esc(m.id)}/remove" class="inline">${v.csrf}<button type="submit" class="secondary" aria-label="Remove ${esc(m.label)}">Remove</button></form></li>`,
            )
            .join('')}</ul>`
        : '<p>No payment methods saved to your account yet. Add a card below, or save the card you pay with while signed in.</p>';
  // The card is entered on the payment provider's own page (or, in the demo, chosen among its test cards), never here.
  const addCard =
    'unavailable' in v.methods
      ? ''
      : `<form method="post" action="/account/payment-methods/setup">${v.csrf}<button type="submit">Add a card</button></form>
<p class="note">You add the card on the payment provider's page; this shop keeps only which card it is (brand and last 4 digits).</p>`;
  const apps = v.apps.length
    ? `<ul class="plain">${v.apps
        .map(
          (a) => `<li><strong>${esc(a.name)}</strong> (${esc(a.host)}), connected ${esc(a.since)}<br><span class="note">Can: ${a.scopes.map(esc).join(', ') || 'sign you in'}</span><br>
<form method="post" action="/account/apps/${esc(a.grantId)}/revoke">${v.csrf}<button type="submit" class="secondary" aria-label="Disconnect ${esc(a.name)}">Disconnect</button></form></li>`,
        )
        .join('')}</ul>`
    : '<p>No apps are connected to your account.</p>';
  return page(
    'Your account',
    `<nav aria-label="Sections"><a href="#details">Details</a><a href="#orders">Orders</a><a href="#addresses">Addresses</a><a href="#payment-methods">Payment methods</a><a href="#apps">Connected apps</a></nav>
<h2 id="details">Details</h2>
<p>${esc(v.customer.name)} · ${esc(v.customer.email)}</p>
<form method="post" action="/account/name">${v.csrf}${field('name', 'Name', { value: v.customer.name, autocomplete: 'name', required: true })}<button type="submit">Save name</button></form>
<form method="post" action="/account/password">${v.csrf}${field('password', v.customer.has_password ? 'New password (leave empty to remove it)' : 'Password (optional)', { type: 'password', autocomplete: 'new-password', hint: 'At least 10 characters. Without one you sign in with a code by e-mail.' })}<button type="submit">${v.customer.has_password ? 'Change password' : 'Set password'}</button></form>
<h2 id="orders">Orders</h2>${orders}
<h2 id="addresses">Addresses</h2>${addresses}
<details><summary>Add an address</summary>
<form method="post" action="/account/addresses">${v.csrf}
${field('name', 'Full name', { idPrefix: 'addr', autocomplete: 'name', required: true })}
${field('line1', 'Address line 1', { idPrefix: 'addr', autocomplete: 'address-line1', required: true })}
${field('line2', 'Address line 2 (optional)', { idPrefix: 'addr', autocomplete: 'address-line2' })}
${field('city', 'City', { idPrefix: 'addr', autocomplete: 'address-level2', required: true })}
${field('state', 'State or region (2 letters for the US)', { idPrefix: 'addr', autocomplete: 'address-level1' })}
${field('postal_code', 'Postal code', { idPrefix: 'addr', autocomplete: 'postal-code', required: true })}
${field('country', 'Country (2 letters, e.g. US)', { idPrefix: 'addr', autocomplete: 'country', required: true, value: 'US' })}
${field('phone', 'Phone (optional)', { idPrefix: 'addr', type: 'tel', autocomplete: 'tel' })}
<label><input type="checkbox" name="default" value="1"> Make this the default address</label>
<button type="submit">Add address</button></form></details>
<h2 id="payment-methods">Payment methods</h2>${methods}${addCard}
<h2 id="apps">Connected apps</h2>${apps}
<form method="post" action="/signout">${v.csrf}<button type="submit" class="secondary">Sign out</button></form>`,
    { notice: v.notice, error: v.error },
  );
}

/** Between "Add a card" and the provider's page: a link, as the account page's forms may post only to this site. */
export function setupLinkView(url: string, expiresAt: string): string {
  return page(
    'Add a card',
    `<p>You add the card on the payment provider's page. When you are done it sends you back to your account.</p>
<p><a class="button" href="${esc(url)}" autofocus>Continue to the card page</a></p>
<p class="note">This link works once you are signed in here and for a short time (until ${esc(expiresAt.slice(11, 16))} UTC).</p>
<p><a href="/account#payment-methods">Back to your account</a></p>`,
  );
}
