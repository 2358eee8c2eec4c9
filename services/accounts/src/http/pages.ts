import express, { type Express, type Request, type Response } from 'express';
import { ipKeyGenerator, rateLimit } from 'express-rate-limit';
import type Provider from 'oidc-provider';
import { AppError, ordersApi, PaymentMethodId, paymentsApi, toAppError } from '@shop/contracts';
import type { BusClient, Logger } from '@shop/kit';
import type { AccountsApp } from '../app/accounts.js';
import { shopScopesOf } from '../domain/scopes.js';
import { accountView, codeView, consentView, errorView, setupLinkView, signInView, signUpView, type FlowBase } from './views.js';
import { cookies, Csrf, formText, pageCsp, pageHeaders, SESSION_COOKIE, setCookie, type CookieOptions } from './web.js';

export interface PagesDeps {
  app: AccountsApp;
  provider: Provider;
  bus: BusClient;
  logger: Logger;
  csrf: Csrf;
  cookie: CookieOptions;
  signInPostsPerIp: number;
  /** This service's public origin: where the payment provider's setup page sends the shopper back to. */
  issuer: string;
}

const UID = /^[A-Za-z0-9_-]{10,64}$/;

/** The status a refused form answers with: what the error code maps to, never 500 for bad input. */
function statusOf(e: AppError): number {
  return e.httpStatus;
}

function send(res: Response, status: number, html: string): void {
  res.status(status).type('html').send(html);
}

/**
 * The pages people see: sign in, sign up and consent inside an OAuth interaction (oidc-provider
 * hands the browser to /interaction/:uid), the same sign-in for the account pages (/signin), and
 * "your account".
 */
export function mountPages(http: Express, d: PagesDeps): void {
  const { app, provider, csrf, logger } = d;
  const forms = express.urlencoded({ extended: false, limit: '20kb' });
  const limiter = rateLimit({
    windowMs: 15 * 60_000,
    limit: d.signInPostsPerIp,
    standardHeaders: 'draft-8',
    legacyHeaders: false,
    keyGenerator: (req) => ipKeyGenerator(req.ip ?? 'unknown'),
    handler: (_req, res) => send(res, 429, errorView('Too many attempts', 'Too many sign-in attempts from this network. Wait 15 minutes, then try again.')),
  });

  const refuseForgedForm = (req: Request, res: Response) => {
    logger.warn({ path: req.path, origin: req.get('origin') }, 'form without a valid CSRF token refused');
    send(res, 403, errorView('This form has expired', 'The page was open too long or came from somewhere else. Go back, reload the page and try again.'));
  };

  async function signIn(res: Response, customerId: string): Promise<void> {
    const session = await app.openSession(customerId);
    setCookie(res, SESSION_COOKIE, session.id, { ...d.cookie, maxAgeSeconds: session.maxAgeSeconds });
  }

  // ---- OAuth interactions -------------------------------------------------------------------

  /** The interaction of this browser, or an error page when it is unknown, expired or another browser's. */
  async function interaction(req: Request, res: Response) {
    const uid = String(req.params.uid);
    if (!UID.test(uid)) throw new AppError('NOT_FOUND', 'This sign-in link is not valid.');
    try {
      const details = await provider.interactionDetails(req, res);
      if (details.uid !== uid) throw new Error('interaction of another uid');
      const redirect = typeof details.params.redirect_uri === 'string' && URL.canParse(details.params.redirect_uri) ? new URL(details.params.redirect_uri).origin : undefined;
      res.set('Content-Security-Policy', pageCsp(redirect));
      return details;
    } catch (e) {
      if (e instanceof AppError) throw e;
      throw new AppError('NOT_FOUND', 'This sign-in has expired or was started in another browser. Go back to the app and connect again.');
    }
  }

  async function appName(clientId: unknown): Promise<{ name: string; host: string }> {
    const id = String(clientId ?? '');
    try {
      const client = await provider.Client.find(id);
      const meta = client?.metadata() as { client_name?: string; client_uri?: string; redirect_uris?: string[] } | undefined;
      const host = meta?.client_uri && URL.canParse(meta.client_uri) ? new URL(meta.client_uri).host : URL.canParse(id) ? new URL(id).host : (meta?.redirect_uris?.[0] && URL.canParse(meta.redirect_uris[0]) ? new URL(meta.redirect_uris[0]).host : 'unknown site');
      return { name: meta?.client_name ?? (URL.canParse(id) ? new URL(id).host : 'An app'), host };
    } catch {
      return { name: URL.canParse(id) ? new URL(id).host : 'An app', host: URL.canParse(id) ? new URL(id).host : 'unknown site' };
    }
  }

  const flowOf = (req: Request, res: Response, uid: string): FlowBase => ({ base: `/interaction/${uid}`, csrf: csrf.field(req, res, `interaction:${uid}`) });

  const page = (handler: (req: Request, res: Response) => Promise<void>) => async (req: Request, res: Response) => {
    try {
      await handler(req, res);
    } catch (e) {
      const err = toAppError(e);
      if (err.code === 'INTERNAL') logger.error({ err: e, path: req.path }, 'page failed');
      if (!res.headersSent) send(res, statusOf(err), errorView('Something went wrong', err.message));
    }
  };

  http.use(['/interaction', '/signin', '/signup', '/account', '/signout'], pageHeaders);
  http.post(['/interaction/:uid/code-request', '/interaction/:uid/code', '/interaction/:uid/password', '/signin/code-request', '/signin/code', '/signin/password'], limiter);

  http.get('/interaction/:uid', page(async (req, res) => {
    const details = await interaction(req, res);
    const uid = details.uid;
    if (details.prompt.name === 'login') {
      const signedIn = await app.sessionCustomer(cookies(req)[SESSION_COOKIE]);
      const who = signedIn ? await app.getCustomer(signedIn).catch(() => undefined) : undefined;
      return send(res, 200, signInView(flowOf(req, res, uid), { appName: (await appName(details.params.client_id)).name, signedInAs: who?.email }));
    }
    if (details.prompt.name === 'consent') return send(res, 200, consentView(flowOf(req, res, uid), await consentInfo(details)));
    throw new AppError('INVALID_INPUT', `This sign-in step (${details.prompt.name}) is not supported.`);
  }));

  async function consentInfo(details: Awaited<ReturnType<typeof interaction>>) {
    const app_ = await appName(details.params.client_id);
    const customer = await app.getCustomer(String(details.session?.accountId));
    const missing = details.prompt.details as { missingOIDCScope?: string[]; missingResourceScopes?: Record<string, string[]> };
    const asked = new Set<string>([...shopScopesOf(String(details.params.scope ?? '')), ...Object.values(missing.missingResourceScopes ?? {}).flat()]);
    const redirect = String(details.params.redirect_uri ?? '');
    return { appName: app_.name, appHost: app_.host, redirectHost: URL.canParse(redirect) ? new URL(redirect).host : 'the app', accountEmail: customer.email, scopes: [...asked] };
  }

  http.get('/interaction/:uid/signup', page(async (req, res) => {
    const details = await interaction(req, res);
    send(res, 200, signUpView(flowOf(req, res, details.uid)));
  }));

  /** Every POST of an interaction: its CSRF token first, then the step. */
  const interactionPost = (step: (req: Request, res: Response, details: Awaited<ReturnType<typeof interaction>>) => Promise<void>) =>
    page(async (req, res) => {
      const details = await interaction(req, res);
      if (!csrf.valid(req, `interaction:${details.uid}`)) return refuseForgedForm(req, res);
      await step(req, res, details);
    });

  http.post('/interaction/:uid/code-request', forms, interactionPost(async (req, res, details) => {
    const f = flowOf(req, res, details.uid);
    await codeRequest(req, res, f);
  }));

  http.post('/interaction/:uid/code', forms, interactionPost(async (req, res, details) => {
    const f = flowOf(req, res, details.uid);
    const customer = await codeConfirm(req, res, f);
    if (!customer) return;
    await signIn(res, customer);
    await provider.interactionFinished(req, res, { login: { accountId: customer } }, { mergeWithLastSubmission: false });
  }));

  http.post('/interaction/:uid/password', forms, interactionPost(async (req, res, details) => {
    const f = flowOf(req, res, details.uid);
    const customer = await passwordSignIn(req, res, f);
    if (!customer) return;
    await signIn(res, customer);
    await provider.interactionFinished(req, res, { login: { accountId: customer } }, { mergeWithLastSubmission: false });
  }));

  http.post('/interaction/:uid/continue', forms, interactionPost(async (req, res, details) => {
    const customer = await app.sessionCustomer(cookies(req)[SESSION_COOKIE]);
    if (!customer) return send(res, 401, signInView(flowOf(req, res, details.uid), { error: 'You are no longer signed in. Sign in again.' }));
    await provider.interactionFinished(req, res, { login: { accountId: customer } }, { mergeWithLastSubmission: false });
  }));

  http.post('/interaction/:uid/consent', forms, interactionPost(async (req, res, details) => {
    if (details.prompt.name !== 'consent' || !details.session?.accountId) throw new AppError('INVALID_INPUT', 'There is nothing to allow at this step. Go back to the app and connect again.');
    const pd = details.prompt.details as { missingOIDCScope?: string[]; missingOIDCClaims?: string[]; missingResourceScopes?: Record<string, string[]> };
    const grant = details.grantId
      ? await provider.Grant.find(details.grantId)
      : new provider.Grant({ accountId: details.session.accountId, clientId: String(details.params.client_id) });
    if (!grant) throw new AppError('NOT_FOUND', 'This connection was disconnected meanwhile. Go back to the app and connect again.');
    if (pd.missingOIDCScope) grant.addOIDCScope(pd.missingOIDCScope.join(' '));
    if (pd.missingOIDCClaims) grant.addOIDCClaims(pd.missingOIDCClaims);
    for (const [indicator, scopes] of Object.entries(pd.missingResourceScopes ?? {})) grant.addResourceScope(indicator, scopes.join(' '));
    const grantId = await grant.save();
    logger.info({ customer: details.session.accountId, client: details.params.client_id }, 'app connected');
    await provider.interactionFinished(req, res, { consent: { grantId } }, { mergeWithLastSubmission: true });
  }));

  http.post('/interaction/:uid/abort', forms, interactionPost(async (req, res) => {
    await provider.interactionFinished(req, res, { error: 'access_denied', error_description: 'The person declined to connect the app.' }, { mergeWithLastSubmission: false });
  }));

  // ---- sign-in and sign-up shared by both flows ----------------------------------------------

  async function codeRequest(req: Request, res: Response, f: FlowBase): Promise<void> {
    const purpose = formText(req, 'purpose') === 'sign_up' ? 'sign_up' : 'sign_in';
    try {
      const challenge = await app.requestCode({ email: formText(req, 'email'), purpose, name: formText(req, 'name') });
      send(res, 200, codeView(f, { challengeId: challenge.challengeId, email: challenge.email }));
    } catch (e) {
      const err = toAppError(e);
      if (err.code === 'INTERNAL') throw e;
      const view = purpose === 'sign_up' ? signUpView(f, { email: formText(req, 'email'), name: formText(req, 'name'), error: err.message }) : signInView(f, { email: formText(req, 'email'), error: err.message });
      send(res, statusOf(err), view);
    }
  }

  async function codeConfirm(req: Request, res: Response, f: FlowBase): Promise<string | undefined> {
    const email = formText(req, 'email');
    const challengeId = formText(req, 'challenge');
    try {
      return (await app.confirmCode({ challengeId, email, code: formText(req, 'code') })).id;
    } catch (e) {
      const err = toAppError(e);
      if (err.code === 'INTERNAL') throw e;
      send(res, statusOf(err), codeView(f, { challengeId, email, error: err.message }));
      return undefined;
    }
  }

  async function passwordSignIn(req: Request, res: Response, f: FlowBase): Promise<string | undefined> {
    try {
      return (await app.signInWithPassword({ email: formText(req, 'email'), password: formText(req, 'password') })).id;
    } catch (e) {
      const err = toAppError(e);
      if (err.code === 'INTERNAL') throw e;
      send(res, statusOf(err), signInView(f, { email: formText(req, 'email'), error: err.message }));
      return undefined;
    }
  }

  // ---- the account pages' own sign-in ---------------------------------------------------------

  const accountFlow = (req: Request, res: Response): FlowBase => ({ base: '/signin', csrf: csrf.field(req, res, 'signin') });
  const signinPost = (step: (req: Request, res: Response) => Promise<void>) =>
    page(async (req, res) => {
      if (!csrf.valid(req, 'signin')) return refuseForgedForm(req, res);
      await step(req, res);
    });

  http.get('/signin', page(async (req, res) => send(res, 200, signInView(accountFlow(req, res)))));
  http.get(['/signup', '/signin/signup'], page(async (req, res) => send(res, 200, signUpView(accountFlow(req, res)))));
  http.post('/signin/code-request', forms, signinPost((req, res) => codeRequest(req, res, accountFlow(req, res))));
  http.post('/signin/code', forms, signinPost(async (req, res) => {
    const customer = await codeConfirm(req, res, accountFlow(req, res));
    if (!customer) return;
    await signIn(res, customer);
    res.redirect(303, '/account');
  }));
  http.post('/signin/password', forms, signinPost(async (req, res) => {
    const customer = await passwordSignIn(req, res, accountFlow(req, res));
    if (!customer) return;
    await signIn(res, customer);
    res.redirect(303, '/account');
  }));
  http.post('/signin/continue', forms, signinPost(async (_req, res) => void res.redirect(303, '/account')));

  // ---- your account ----------------------------------------------------------------------------

  /** The signed-in customer, or a redirect to /signin. */
  async function signedIn(req: Request, res: Response): Promise<string | undefined> {
    const customer = await app.sessionCustomer(cookies(req)[SESSION_COOKIE]);
    if (!customer) res.redirect(303, '/signin');
    return customer;
  }

  async function renderAccount(req: Request, res: Response, customerId: string, status: number, msg: { notice?: string; error?: string } = {}) {
    const [customer, addresses, orders, methods, grants] = await Promise.all([
      app.getCustomer(customerId),
      app.listAddresses(customerId),
      d.bus.call(ordersApi.list, { caller: { subject: customerId }, page: 1, per_page: 20 }).catch((e) => ({ unavailable: `Your orders cannot be shown right now (${toAppError(e).message})` })),
      d.bus.call(paymentsApi.listMethods, { account: customerId }).catch((e) => ({ unavailable: `Your payment methods cannot be shown right now (${toAppError(e).message})` })),
      app.connectedApps(customerId),
    ]);
    const apps = await Promise.all(grants.map(async (g) => ({ grantId: g.grantId, ...(await appName(g.clientId)), scopes: g.scopes, since: g.createdAt.toISOString().slice(0, 10) })));
    send(res, status, accountView({ customer, addresses, orders, methods, apps, csrf: csrf.field(req, res, `account:${customerId}`), ...msg }));
  }

  http.get('/account', page(async (req, res) => {
    const customer = await signedIn(req, res);
    if (customer) await renderAccount(req, res, customer, 200, { notice: typeof req.query.done === 'string' ? doneMessages[req.query.done] : undefined });
  }));

  const doneMessages: Record<string, string> = {
    name: 'Your name is saved.',
    password: 'Your password is saved.',
    password_removed: 'Your password is removed: you sign in with a code by e-mail.',
    address_added: 'The address is added.',
    address_default: 'The default address is changed.',
    address_removed: 'The address is removed.',
    app_revoked: 'The app is disconnected: its access and refresh tokens no longer work.',
    method_default: 'The default card is changed.',
    method_removed: 'The card is removed from your account.',
  };

  /** A POST of the account page: signed in, CSRF token bound to the account, then the change; errors re-render the page. */
  const accountPost = (change: (req: Request, customerId: string) => Promise<string>) =>
    page(async (req, res) => {
      const customer = await signedIn(req, res);
      if (!customer) return;
      if (!csrf.valid(req, `account:${customer}`)) return refuseForgedForm(req, res);
      try {
        const done = await change(req, customer);
        res.redirect(303, `/account?done=${done}`);
      } catch (e) {
        const err = toAppError(e);
        if (err.code === 'INTERNAL') throw e;
        await renderAccount(req, res, customer, statusOf(err), { error: err.message });
      }
    });

  http.post('/account/name', forms, accountPost(async (req, c) => (await app.rename(c, formText(req, 'name')), 'name')));
  http.post('/account/password', forms, accountPost(async (req, c) => {
    const pw = formText(req, 'password');
    await app.setPassword(c, pw);
    return pw ? 'password' : 'password_removed';
  }));
  http.post('/account/addresses', forms, accountPost(async (req, c) => {
    const opt = (n: string) => formText(req, n).trim() || undefined;
    await app.addAddress(c, { name: formText(req, 'name'), line1: formText(req, 'line1'), line2: opt('line2'), city: formText(req, 'city'), state: opt('state'), postal_code: formText(req, 'postal_code'), country: formText(req, 'country'), phone: opt('phone') }, formText(req, 'default') === '1');
    return 'address_added';
  }));
  http.post('/account/addresses/:id/default', forms, accountPost(async (req, c) => (await app.setDefaultAddress(c, uuidParam(req)), 'address_default')));
  http.post('/account/addresses/:id/remove', forms, accountPost(async (req, c) => (await app.removeAddress(c, uuidParam(req)), 'address_removed')));
  // Saved cards live in payments, which checks each one is this account's (the account is the session's, never a form field).
  http.post('/account/payment-methods/:pm/default', forms, accountPost(async (req, c) => {
    await d.bus.call(paymentsApi.setDefaultMethod, { account: c, payment_method_id: methodParam(req) });
    return 'method_default';
  }));
  http.post('/account/payment-methods/:pm/remove', forms, accountPost(async (req, c) => {
    await d.bus.call(paymentsApi.removeMethod, { account: c, payment_method_id: methodParam(req) });
    return 'method_removed';
  }));
  // A setup link is made only when asked for (it is short-lived, and for Stripe a Checkout Session).
  http.post('/account/payment-methods/setup', forms, page(async (req, res) => {
    const customer = await signedIn(req, res);
    if (!customer) return;
    if (!csrf.valid(req, `account:${customer}`)) return refuseForgedForm(req, res);
    try {
      const link = await d.bus.call(paymentsApi.createSetupLink, { account: customer, return_url: `${d.issuer}/account#payment-methods` });
      send(res, 200, setupLinkView(link.url, link.expires_at));
    } catch (e) {
      const err = toAppError(e);
      await renderAccount(req, res, customer, err.code === 'INTERNAL' ? 503 : statusOf(err), { error: `A card cannot be added right now (${err.message})` });
    }
  }));
  http.post('/account/apps/:grant/revoke', forms, accountPost(async (req, c) => (await app.disconnectApp(c, String(req.params.grant)), 'app_revoked')));

  http.post('/signout', forms, page(async (req, res) => {
    const customer = await signedIn(req, res);
    if (!customer) return;
    if (!csrf.valid(req, `account:${customer}`)) return refuseForgedForm(req, res);
    await app.closeSession(cookies(req)[SESSION_COOKIE]);
    setCookie(res, SESSION_COOKIE, '', { ...d.cookie, maxAgeSeconds: 0 });
    res.redirect(303, '/signin');
  }));
}

function methodParam(req: Request): string {
  const parsed = PaymentMethodId.safeParse(String(req.params.pm));
  if (!parsed.success) throw new AppError('PAYMENT_METHOD_NOT_FOUND', 'That card is not saved to your account.');
  return parsed.data;
}

function uuidParam(req: Request): string {
  const id = String(req.params.id);
  if (!/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(id)) throw new AppError('NOT_FOUND', 'That address is not in your address book.');
  return id;
}
