import type { Express, Request, Response } from 'express';
import { z } from 'zod';
import { AppError } from '@shop/contracts';
import { parseParams, type Logger } from '@shop/kit';
import type { PaymentsApp } from '../app/payments.js';
import { demoMethods } from '../domain/demo-methods.js';
import type { SetupCapabilities, SetupClaims } from '../domain/setup-capability.js';
import type { CsrfTokens } from './routes.js';
import { demoNote, escapeHtml, page } from './pages.js';

const SetupParams = z.object({ token: z.string().regex(/^[A-Za-z0-9_-]{1,1200}\.[A-Za-z0-9_-]{43}$/, 'must be a setup link') }).strict();

interface SetupPageDeps {
  csrf: CsrfTokens;
  setup: SetupCapabilities;
  sendHtml: (res: Response, status: number, html: string) => unknown;
  refuseForgedForm: (res: Response, logger: Logger, req: Request) => void;
}

/**
 * The demo provider's setup page: the shopper picks one of the test cards (by brand and last 4; no
 * card number is ever typed) and it is saved for the account the link was made for. The account
 * comes only from the link's signed capability (payments.setup_links.create, asked by accounts for
 * the signed-in person), which expires; the form carries a CSRF token bound to that link.
 */
export function mountSetupPages(http: Express, app: PaymentsApp, logger: Logger, d: SetupPageDeps): void {
  http.get('/v1/demo/setup/:token', (req, res) => {
    const { token, claims } = setupLink(app, d.setup, req);
    if (!claims) return d.sendHtml(res, 410, expiredPage());
    const cards = demoMethods
      .map(
        (m, i) =>
          `<div class="card"><input type="radio" name="payment_method_id" id="card-${i}" value="${escapeHtml(m.id)}"${i === 0 ? ' checked' : ''}>` +
          ` <label for="card-${i}">${escapeHtml(m.label)}</label></div>`,
      )
      .join('');
    d.sendHtml(
      res,
      200,
      page(
        'Add a card',
        `<form method="post" action="/v1/demo/setup/${token}">${d.csrf.field('setup', token)}
         <fieldset><legend>Choose a test card to save to your account</legend>${cards}</fieldset>
         <button type="submit">Save card</button></form>
         <p><a href="${escapeHtml(claims.returnUrl)}">Cancel and go back to your account</a></p>${demoNote}`,
      ),
    );
  });

  http.post('/v1/demo/setup/:token', async (req, res) => {
    const { token, claims } = setupLink(app, d.setup, req);
    if (!d.csrf.valid('setup', token, req.body?.csrf)) return d.refuseForgedForm(res, logger, req);
    if (!claims) return d.sendHtml(res, 410, expiredPage());
    const chosen = typeof req.body?.payment_method_id === 'string' ? req.body.payment_method_id : '';
    const card = demoMethods.find((m) => m.id === chosen);
    if (!card) return d.sendHtml(res, 400, page('Add a card', `<p>Choose one of the test cards.</p><p><a href="/v1/demo/setup/${token}">Back</a></p>${demoNote}`));
    await app.methods.addTestCard(claims.account, card.id);
    d.sendHtml(
      res,
      200,
      page('Card saved', `<p>${escapeHtml(card.label)} is saved to your account and is now your default card.</p><p><a href="${escapeHtml(claims.returnUrl)}">Back to your account</a></p>${demoNote}`),
    );
  });
}

/** The link's token and, when this service signed it and it has not expired, what it allows. */
function setupLink(app: PaymentsApp, setup: SetupCapabilities, req: Request): { token: string; claims: SetupClaims | null } {
  // Only the demo provider has this page: Stripe's setup happens on Stripe's own Checkout page.
  if (app.provider.name !== 'demo') throw new AppError('NOT_FOUND', 'No such page.');
  const { token } = parseParams(SetupParams, req);
  return { token, claims: setup.verify(token) };
}

function expiredPage(): string {
  return page('Link expired', `<p>This link to add a card has expired or is not valid. Start again from your account page.</p>${demoNote}`);
}
