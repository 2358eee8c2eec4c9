/** Every process the system runs, in start order. The launcher and docker-compose.yml both follow this list. */
export interface ServiceSpec {
  name: string;
  /** Workspace folder; the process is `node <dir>/dist/main.js`. */
  dir: string;
  defaultPort: number;
  /** Database name, or null for a service without one (the gateway). */
  database: string | null;
  /** Service-specific environment, given the URLs of the running stack. */
  env: (stack: StackUrls) => Record<string, string>;
}

export interface StackUrls {
  gatewayUrl: string;
  publicUrl: string;
  serviceUrl: (name: string) => string;
  mailDir: string;
  /** Where accounts keeps its generated OAuth signing keys (`<dataDir>/secrets/accounts`). */
  accountsKeyDir: string;
}

export const serviceSpecs: ServiceSpec[] = [
  {
    name: 'catalog',
    dir: 'services/catalog',
    defaultPort: 4101,
    database: 'catalog',
    env: (s) => ({ IMAGE_BASE_URL: `${s.publicUrl}/images` }),
  },
  { name: 'cart', dir: 'services/cart', defaultPort: 4102, database: 'cart', env: () => ({}) },
  {
    name: 'payments',
    dir: 'services/payments',
    defaultPort: 4104,
    database: 'payments',
    env: (s) => ({ PUBLIC_URL: s.serviceUrl('payments') }),
  },
  {
    name: 'orders',
    dir: 'services/orders',
    defaultPort: 4103,
    database: 'orders',
    env: (s) => ({ MAIL_DIR: s.mailDir }),
  },
  {
    name: 'accounts',
    dir: 'services/accounts',
    defaultPort: 4105,
    database: 'accounts',
    // The issuer is this service's own URL; tokens are for the gateway's public /mcp (its PUBLIC_URL, the
    // resource the gateway checks); keys are generated into the data dir.
    env: (s) => ({ PUBLIC_URL: s.serviceUrl('accounts'), GATEWAY_RESOURCE: `${s.publicUrl}/mcp`, MAIL_DIR: s.mailDir, ACCOUNTS_KEY_DIR: s.accountsKeyDir }),
  },
  {
    name: 'mcp-gateway',
    dir: 'services/mcp-gateway',
    defaultPort: 3000,
    database: null,
    // Tokens come from accounts (its issuer URL); its JWKS is fetched where the gateway reaches it.
    env: (s) => ({ PUBLIC_URL: s.publicUrl, PAYMENTS_PUBLIC_URL: s.serviceUrl('payments'), ACCOUNTS_ISSUER: s.serviceUrl('accounts'), ACCOUNTS_JWKS_URL: `${s.serviceUrl('accounts')}/oauth/jwks` }),
  },
];

/** Variables every service receives from the launcher (and from docker-compose). */
export const commonEnv = ['NATS_URL', 'NATS_PREFIX', 'HTTP_HOST', 'HTTP_PORT', 'LOG_LEVEL'] as const;

/** Variables passed through from the launcher's own environment when set (secrets, SMTP). */
export const passThroughEnv: Record<string, string[]> = {
  payments: ['PAYMENTS_PROVIDER', 'STRIPE_SECRET_KEY', 'STRIPE_WEBHOOK_SECRET'],
  orders: ['SMTP_URL', 'MAIL_DIR'],
  accounts: ['SMTP_URL', 'MAIL_DIR', 'ACCOUNTS_SIGNING_KEYS', 'ACCOUNTS_SIGNING_KEYS_FILE', 'TRUST_PROXY'],
  'mcp-gateway': ['ALLOWED_HOSTS', 'RATE_LIMIT_PER_MINUTE'],
};

/** Trace export settings every process takes from the launcher's environment (see kit initTracing). */
export const telemetryEnv = ['OTEL_EXPORTER_OTLP_ENDPOINT', 'OTEL_EXPORTER_OTLP_TRACES_ENDPOINT', 'OTEL_EXPORTER_OTLP_HEADERS', 'OTEL_TRACES_SAMPLER', 'OTEL_TRACES_SAMPLER_ARG'];
