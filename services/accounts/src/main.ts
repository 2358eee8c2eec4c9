import { createHmac, randomBytes } from 'node:crypto';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { apiCredentials, bootRuntime, closeServer, createHttpApp, finishHttpApp, hostCheck, httpSecurity, originCheck, readSecret, runMain, serveEndpoints, type ServiceRuntime } from '@shop/kit';
import { AccountsApp } from './app/accounts.js';
import { loadSigningKeys } from './app/keys.js';
import { createMailer } from './app/mailer.js';
import { createOAuthServer, isOAuthPath } from './app/oauth.js';
import { accountHandlers } from './bus/handlers.js';
import { loadAccountsConfig } from './config.js';
import { errorView } from './http/views.js';
import { mountPages } from './http/pages.js';
import { mountApi } from './http/routes.js';
import { Csrf } from './http/web.js';
import { startSweeper } from './jobs/sweep.js';

const migrationsDir = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../migrations');

export interface RunningAccounts {
  stop(): Promise<void>;
  /** Where this process listens. */
  httpUrl: string;
  /** The OAuth issuer (PUBLIC_URL, else httpUrl). */
  issuer: string;
  runtime: ServiceRuntime;
  app: AccountsApp;
}

export interface StartOptions {
  /** How client metadata documents are fetched (tests serve them from a loopback server). */
  fetch?: typeof globalThis.fetch;
}

export async function start(env: Record<string, string | undefined> = process.env, options: StartOptions = {}): Promise<RunningAccounts> {
  const config = loadAccountsConfig(env);
  // Without a configured secret (development, tests) sessions and codes last only as long as this process.
  const secret = readSecret(env, 'ACCOUNTS_COOKIE_SECRET') ?? randomBytes(32).toString('hex');
  const configuredKeys = readSecret(env, 'ACCOUNTS_SIGNING_KEYS');
  // One secret, separate keys per use, so a CSRF token can never pass as a code hash.
  const derive = (use: string) => createHmac('sha256', secret).update(use).digest();
  const runtime = await bootRuntime('accounts', config, migrationsDir);
  try {
    const signing = await loadSigningKeys(configuredKeys, config.ACCOUNTS_KEY_DIR);
    // The issuer is known only once the server listens (port 0 in tests): listen first, then answer.
    const server = createServer();
    server.keepAliveTimeout = 65_000;
    await new Promise<void>((resolve, reject) => server.once('error', reject).listen(config.HTTP_PORT, config.HTTP_HOST, () => resolve()));
    runtime.onStop(() => closeServer(server));
    const port = (server.address() as AddressInfo).port;
    const httpUrl = `http://${config.HTTP_HOST}:${port}`;
    const issuer = (config.PUBLIC_URL ?? `http://127.0.0.1:${port}`).replace(/\/$/, '');
    const cookie = { secure: issuer.startsWith('https:') };

    const app = new AccountsApp({
      pool: runtime.pool,
      logger: runtime.logger,
      mailer: createMailer({ smtpUrl: config.SMTP_URL, mailDir: config.MAIL_DIR, from: config.MAIL_FROM }),
      secret: derive('sign-in-codes'),
      settings: {
        codeTtlSeconds: config.SIGN_IN_CODE_TTL_SECONDS,
        codeMaxAttempts: config.SIGN_IN_CODE_MAX_ATTEMPTS,
        codesPerWindow: config.SIGN_IN_CODES_PER_WINDOW,
        passwordMaxFailures: config.PASSWORD_MAX_FAILURES,
        sessionTtlSeconds: config.ACCOUNT_SESSION_TTL_SECONDS,
      },
    });
    const provider = createOAuthServer({
      issuer,
      resource: config.GATEWAY_RESOURCE,
      pool: runtime.pool,
      logger: runtime.logger,
      signingKeys: signing.keys,
      cookieKeys: [derive('oauth-cookies').toString('base64url')],
      accessTokenTtl: config.ACCESS_TOKEN_TTL_SECONDS,
      refreshTokenTtl: config.REFRESH_TOKEN_TTL_SECONDS,
      trustProxy: config.TRUST_PROXY,
      fetch: options.fetch,
      renderError: errorView,
    });

    const security = httpSecurity(config, runtime.name, { hosts: [new URL(issuer).hostname], origins: [issuer] });
    const oauth = provider.callback();
    const origins = originCheck(security.allowedOrigins);
    const credentials = apiCredentials(config.API_TOKENS, runtime.name);
    const http = createHttpApp({
      logger: runtime.logger,
      readiness: runtime.readiness,
      metrics: credentials,
      beforeJson: (h) => {
        if (config.TRUST_PROXY) h.set('trust proxy', true);
        h.use(hostCheck(security.allowedHosts));
        // The OAuth endpoints answer other origins' clients (CORS by client, PKCE, client auth); the
        // pages' forms must come from here.
        h.use((req, res, next) => (isOAuthPath(req.path) ? next() : origins(req, res, next)));
        // oidc-provider reads its own bodies, so it goes before the JSON parser.
        h.use((req, res, next) => (isOAuthPath(req.path) ? oauth(req, res) : next()));
      },
    });
    http.get('/', (_req, res) => res.redirect(303, '/account'));
    mountPages(http, { app, provider, bus: runtime.bus, logger: runtime.logger, csrf: new Csrf(derive('csrf'), cookie), cookie, signInPostsPerIp: config.SIGN_IN_POSTS_PER_IP, issuer });
    mountApi(http, app, credentials);
    finishHttpApp(http, runtime.logger);
    server.on('request', http);

    const svc = await serveEndpoints(
      runtime.nc,
      { name: 'accounts', version: '0.1.0', description: 'Accounts: customers, address books, OAuth sign-in', prefix: config.NATS_PREFIX, logger: runtime.logger },
      accountHandlers(app),
    );
    runtime.onStop(() => svc.stop());
    const sweeper = startSweeper(app, config.SWEEP_INTERVAL_MS, runtime.logger);
    runtime.onStop(() => sweeper.stop());

    runtime.logger.info({ httpUrl, issuer, resource: config.GATEWAY_RESOURCE, keys: signing.source }, 'accounts started');
    return { stop: () => runtime.stop(), httpUrl, issuer, runtime, app };
  } catch (e) {
    await runtime.stop();
    throw e;
  }
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  runMain('accounts', () => start());
}
