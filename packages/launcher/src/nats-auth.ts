import { accountsApi, cartApi, catalogApi, orderEvents, ordersApi, paymentEvents, paymentsApi } from '@shop/contracts';
import { durableName, eventStreamName, natsInboxPrefix } from '@shop/kit';

/**
 * The NATS trust boundary, in one table: which user may serve, request, publish and consume what.
 * The launcher turns it into nats-server's `authorization` block (`natsServerConfig`); compose uses
 * the same generator (`nats-conf` CLI). Subjects come from the contracts, so a renamed endpoint
 * renames its permission. Anything not listed is refused by the server (Permissions Violation).
 */
export interface NatsUser {
  user: string;
  /** The service whose `<service>.>` subjects this user serves in queue group `<service>`; it replies through publish permissions on its callers' inboxes. */
  serves: string | null;
  /** Endpoints it requests from other services (unprefixed subjects). */
  requests: string[];
  /** Event subjects (patterns, unprefixed) its outbox relay publishes to JetStream. */
  publishes: string[];
  /** Its durable consumers: base name and event subjects, as passed to consumeEvents. */
  consumes: Array<{ durable: string; subjects: string[] }>;
  /** Event subjects (patterns, unprefixed) it hears on core NATS, at most once (cache invalidation). */
  hears?: string[];
  /** Whether it touches JetStream at all (stream info/create at boot, publish acks). */
  jetstream: boolean;
}

export const NATS_ADMIN_USER = 'admin';

const subjects = (...eps: Array<{ subject: string }>) => eps.map((e) => e.subject);

export const natsUsers: NatsUser[] = [
  {
    user: 'catalog',
    serves: 'catalog',
    requests: [],
    publishes: ['evt.inventory.>'],
    consumes: [],
    jetstream: true,
  },
  {
    user: 'cart',
    serves: 'cart',
    requests: subjects(catalogApi.variants, catalogApi.lookupVariants),
    publishes: ['evt.cart.>'],
    consumes: [{ durable: 'cart', subjects: [orderEvents.confirmed] }],
    // Its catalogue cache drops what catalog's inventory events name.
    hears: ['evt.inventory.>'],
    jetstream: true,
  },
  {
    user: 'payments',
    serves: 'payments',
    requests: [],
    publishes: ['evt.payment.>'],
    consumes: [],
    jetstream: true,
  },
  {
    user: 'orders',
    serves: 'orders',
    requests: subjects(
      cartApi.get,
      cartApi.addLine,
      cartApi.convert,
      // Coupon uses are held at placement and given back when an order does not complete.
      cartApi.reserveCoupon,
      cartApi.releaseCoupon,
      catalogApi.reserve,
      // Held longer while a charge is in doubt (a resumed charge-payment step).
      catalogApi.extend,
      catalogApi.commit,
      catalogApi.restock,
      paymentsApi.authorize,
      paymentsApi.void,
      paymentsApi.get,
      paymentsApi.getByOrder,
      paymentsApi.refund,
      paymentsApi.createCheckoutLink,
    ),
    publishes: ['evt.order.>'],
    consumes: [
      { durable: 'orders_payments', subjects: [paymentEvents.captured, paymentEvents.canceled, paymentEvents.refunded] },
      { durable: 'orders_notifier', subjects: [orderEvents.confirmed, orderEvents.shipped, orderEvents.delivered, orderEvents.cancelled, orderEvents.refunded] },
    ],
    jetstream: true,
  },
  {
    user: 'accounts',
    serves: 'accounts',
    // "Your account" shows the account's orders and saved payment methods, changes the default,
    // removes one, and asks for a link to add one.
    requests: subjects(ordersApi.list, paymentsApi.listMethods, paymentsApi.setDefaultMethod, paymentsApi.removeMethod, paymentsApi.createSetupLink),
    publishes: ['evt.account.>'],
    consumes: [],
    jetstream: true,
  },
  {
    user: 'mcp-gateway',
    serves: null,
    requests: subjects(
      catalogApi.search,
      catalogApi.get,
      catalogApi.getImage,
      cartApi.resolve,
      cartApi.peek,
      cartApi.get,
      cartApi.addToResolved,
      cartApi.updateLine,
      cartApi.removeLine,
      cartApi.applyCoupon,
      cartApi.removeCoupon,
      cartApi.startCheckout,
      cartApi.updateCheckout,
      ordersApi.place,
      ordersApi.placeExternal,
      ordersApi.get,
      ordersApi.placed,
      ordersApi.list,
      ordersApi.cancel,
      ordersApi.refund,
      ordersApi.reorder,
      paymentsApi.listMethods,
      // Readiness probe of payments (an empty request, answered INVALID_INPUT).
      paymentsApi.get,
      // Whether an access token's grant still stands (revocation of JWT access tokens).
      accountsApi.checkGrant,
    ),
    publishes: [],
    consumes: [],
    jetstream: false,
  },
];

/** Subjects that belong to exactly one caller, so the table can be checked (and the security suite tests them). */
export const privilegedSubjects = {
  /** Only the admin user (operators). */
  admin: [catalogApi.updateVariant.subject, ordersApi.ship.subject, ordersApi.deliver.subject],
  /** Only orders (its saga refunds; payments serves it). */
  ordersOnly: [paymentsApi.refund.subject],
};

/** Event families and their one producer. */
export const eventOwners: Record<string, string> = {
  'evt.inventory.>': 'catalog',
  'evt.cart.>': 'cart',
  'evt.payment.>': 'payments',
  'evt.order.>': 'orders',
  'evt.account.>': 'accounts',
};

export interface NatsPermissions {
  publish: string[];
  subscribe: string[];
}

/** The users that request some endpoint of `service`. */
export function callersOf(service: string): string[] {
  return natsUsers.filter((c) => c.requests.some((s) => s.startsWith(`${service}.`))).map((c) => c.user);
}

/** The publish/subscribe allow lists of one user for a stack's subject prefix. */
export function natsPermissions(u: NatsUser, prefix: string): NatsPermissions {
  const stream = eventStreamName(prefix);
  const js = `$JS.API`;
  const publish = [...u.requests.map((s) => prefix + s), ...u.publishes.map((s) => prefix + s)];
  // Replies to its own requests only (kit's connectNats sets this inbox prefix), not everyone's.
  const subscribe = [`${natsInboxPrefix(u.user)}.>`, ...(u.hears ?? []).map((s) => prefix + s)];
  if (u.serves) {
    // Replies go to its callers' inbox prefixes (and the admin's, who asks the discovery below), not
    // through allow_responses: nats-server keeps an entry per forwarded request for that grant and
    // never drops the ones answered this way, so its CPU per request grew the longer it ran
    // (docs/DECISIONS.md); and the grant is per connection, so a reply sent after a reconnect
    // would be refused.
    for (const caller of [...callersOf(u.serves), NATS_ADMIN_USER]) publish.push(`${natsInboxPrefix(caller)}.>`);
    // Queue permission ("subject queue"): it may serve its subjects only in its own queue group.
    subscribe.push(`${prefix}${u.serves}.> ${u.serves}`);
    // The services framework's discovery (PING/INFO/STATS, by all, by name, by id), asked by admin.
    subscribe.push('$SRV.*', `$SRV.*.${u.serves}`, `$SRV.*.${u.serves}.*`);
  }
  if (u.jetstream) {
    publish.push(`${js}.INFO`, `${js}.STREAM.INFO.${stream}`, `${js}.STREAM.CREATE.${stream}`);
    for (const c of u.consumes) {
      for (const subject of c.subjects) {
        const d = durableName(c.durable, subject);
        publish.push(
          // 2.9's create API carries the filter subject and the server checks it against the config,
          // so this durable can only ever read its own subject (no DURABLE.CREATE: its filter is free).
          `${js}.CONSUMER.CREATE.${stream}.${d}.${prefix}${subject}`,
          `${js}.CONSUMER.INFO.${stream}.${d}`,
          `${js}.CONSUMER.MSG.NEXT.${stream}.${d}`,
          `$JS.ACK.${stream}.${d}.>`,
        );
      }
    }
  }
  return { publish, subscribe };
}

/** How a password appears in the config: a literal, or `$VAR` (nats-server reads it from its environment). */
export type PasswordSource = (user: string) => { literal: string } | { env: string };

/** `NATS_PASSWORD_CATALOG`, `NATS_PASSWORD_MCP_GATEWAY`, `NATS_PASSWORD_ADMIN`: compose's variable names. */
export function passwordEnvName(user: string): string {
  return `NATS_PASSWORD_${user.toUpperCase().replace(/[^A-Z0-9]/g, '_')}`;
}

const q = (s: string) => JSON.stringify(s);

/** nats-server's `authorization` block: the admin user with every permission, each service with its own. */
export function natsAuthorization(prefix: string, password: PasswordSource): string {
  const pw = (user: string) => {
    const p = password(user);
    return 'literal' in p ? q(p.literal) : `$${p.env}`;
  };
  const lines = ['authorization {', '  users = [', `    { user: ${q(NATS_ADMIN_USER)}, password: ${pw(NATS_ADMIN_USER)} }`];
  for (const u of natsUsers) {
    const p = natsPermissions(u, prefix);
    lines.push(
      `    { user: ${q(u.user)}, password: ${pw(u.user)}, permissions: {`,
      `        publish: { allow: [${p.publish.map(q).join(', ')}] }`,
      `        subscribe: { allow: [${p.subscribe.map(q).join(', ')}] }`,
      '    } }',
    );
  }
  lines.push('  ]', '}');
  return lines.join('\n');
}

export interface NatsServerConfigOptions {
  listen: string;
  storeDir: string;
  prefix: string;
  password: PasswordSource;
}

/** A whole nats-server 2.9 config: listen address, JetStream store, authorization. */
export function natsServerConfig(o: NatsServerConfigOptions): string {
  return [
    '# Generated by the launcher (packages/launcher/src/nats-auth.ts); edits are overwritten.',
    `listen: ${q(o.listen)}`,
    `jetstream { store_dir: ${q(o.storeDir)} }`,
    natsAuthorization(o.prefix, o.password),
    '',
  ].join('\n');
}

/** Every user the config names: the services' and the admin's. */
export function natsUserNames(): string[] {
  return [NATS_ADMIN_USER, ...natsUsers.map((u) => u.user)];
}
