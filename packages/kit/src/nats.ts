import { readFileSync } from 'node:fs';
import { connect, nuid, type Msg, type MsgHdrs, type NatsConnection } from '@nats-io/transport-node';
import { Svcm, type Service, type ServiceMsg } from '@nats-io/services';
import type { z } from 'zod';
import { AppError, ErrorBody, parseOrThrow, type Endpoint } from '@shop/contracts';
import { toServiceError } from './db.js';
import type { Logger } from './logger.js';
import { contextFromHeaders, endSpan, errorCode, inTrace, metrics, otelContext, secondsSince, SpanKind, traceHeaders, tracer, withSpan } from './telemetry.js';

export type { NatsConnection };

const encoder = new TextEncoder();
const decoder = new TextDecoder();

/** The name each connection was opened under (connectNats): its spans are that service's. */
const connectionNames = new WeakMap<NatsConnection, string>();
export function connectionName(nc: NatsConnection): string {
  return connectionNames.get(nc) ?? 'shop';
}
/** The inbox prefix each connectNats connection replies under (its NATS user may subscribe there). */
const inboxPrefixes = new WeakMap<NatsConnection, string>();
const replyMuxes = new WeakMap<NatsConnection, ReplyMux>();

/**
 * Every BusClient request on a connection shares one inbox subscription (`<prefix>.<nuid>.*`) and
 * a map of pending replies. nats.js's own request() does the same multiplexing but builds a
 * RequestError (a stack trace) for every request as it completes, plus a deferred and a timer
 * object: about 5 % of a request's CPU in a profile. Timeouts and "no responders" (the server's
 * 503 status reply) are reported as errors whose messages say so, as request() does; a closed or
 * draining connection fails the call at once.
 */
class ReplyMux {
  private readonly pending = new Map<string, { resolve: (m: Msg) => void; reject: (e: Error) => void; timer: NodeJS.Timeout }>();
  private readonly base: string;
  private seq = 0;

  constructor(
    private readonly nc: NatsConnection,
    inboxPrefix: string,
  ) {
    this.base = `${inboxPrefix}.${nuid.next()}`;
    nc.subscribe(`${this.base}.*`, { callback: (err, msg) => (err ? this.failAll(err) : this.dispatch(msg)) });
    void nc.closed().then(() => this.failAll(new Error('connection closed')));
  }

  request(subject: string, data: Uint8Array, timeoutMs: number, headers: MsgHdrs | undefined): Promise<Msg> {
    const token = (++this.seq).toString(36);
    return new Promise<Msg>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(token);
        reject(new Error(`request timeout after ${timeoutMs} ms`));
      }, timeoutMs);
      this.pending.set(token, { resolve, reject, timer });
      try {
        this.nc.publish(subject, data, headers ? { reply: `${this.base}.${token}`, headers } : { reply: `${this.base}.${token}` });
      } catch (e) {
        clearTimeout(timer);
        this.pending.delete(token);
        reject(e as Error);
      }
    });
  }

  private dispatch(msg: Msg): void {
    const token = msg.subject.slice(this.base.length + 1);
    const waiting = this.pending.get(token);
    // A reply that arrives after its request timed out has no one waiting for it.
    if (!waiting) return;
    this.pending.delete(token);
    clearTimeout(waiting.timer);
    if (msg.data.length === 0 && msg.headers?.code === 503) waiting.reject(new Error('no responders'));
    else waiting.resolve(msg);
  }

  private failAll(err: Error): void {
    for (const [token, waiting] of this.pending) {
      this.pending.delete(token);
      clearTimeout(waiting.timer);
      waiting.reject(err);
    }
  }
}

function requestOverMux(nc: NatsConnection, subject: string, data: Uint8Array, timeout: number, headers: MsgHdrs | undefined): Promise<Msg> {
  const prefix = inboxPrefixes.get(nc);
  // A connection made elsewhere (its inbox permissions unknown here) keeps nats.js's request().
  if (prefix === undefined) return nc.request(subject, data, headers ? { timeout, headers } : { timeout });
  let mux = replyMuxes.get(nc);
  if (!mux) replyMuxes.set(nc, (mux = new ReplyMux(nc, prefix)));
  return mux.request(subject, data, timeout, headers);
}

/** Replies to a user's requests arrive under its own inbox prefix, so its NATS permissions can keep others from reading them. */
export function natsInboxPrefix(user: string): string {
  return `_INBOX.${user}`;
}

/** Where and as whom to connect: the NATS_* settings of BaseConfig. */
export interface NatsSettings {
  NATS_URL: string;
  NATS_USER?: string | undefined;
  NATS_PASSWORD?: string | undefined;
  NATS_PASSWORD_FILE?: string | undefined;
}

/** The user and password of settings; neither for an open server. A half-configured credential is an error. */
export function natsCredentials(s: NatsSettings): { user: string; pass: string } | undefined {
  if (s.NATS_PASSWORD && s.NATS_PASSWORD_FILE) throw new Error('Configuration error: set NATS_PASSWORD or NATS_PASSWORD_FILE, not both');
  let pass = s.NATS_PASSWORD;
  if (s.NATS_PASSWORD_FILE) {
    try {
      pass = readFileSync(s.NATS_PASSWORD_FILE, 'utf8').trim();
    } catch (e) {
      throw new Error(`Configuration error: NATS_PASSWORD_FILE ${s.NATS_PASSWORD_FILE} cannot be read (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`);
    }
    if (!pass) throw new Error(`Configuration error: NATS_PASSWORD_FILE ${s.NATS_PASSWORD_FILE} is empty`);
  }
  if (!s.NATS_USER && !pass) return undefined;
  if (!s.NATS_USER) throw new Error('Configuration error: NATS_USER is required when a NATS password is set');
  if (!pass) throw new Error(`Configuration error: NATS_USER is "${s.NATS_USER}" but neither NATS_PASSWORD nor NATS_PASSWORD_FILE is set`);
  return { user: s.NATS_USER, pass };
}

/**
 * One connection per process, reconnecting forever: a NATS restart must not need a service restart.
 * A server that refuses our credentials (or demands some we lack) is a configuration error, not an
 * outage: the first connect fails with a message saying so instead of retrying.
 */
export async function connectNats(settings: string | NatsSettings, name: string, logger: Logger): Promise<NatsConnection> {
  const s = typeof settings === 'string' ? { NATS_URL: settings } : settings;
  const creds = natsCredentials(s);
  let nc: NatsConnection;
  try {
    nc = await connect({
      servers: s.NATS_URL.split(','),
      name,
      ...(creds ? { user: creds.user, pass: creds.pass, inboxPrefix: natsInboxPrefix(creds.user) } : {}),
      maxReconnectAttempts: -1,
      reconnectTimeWait: 250,
      waitOnFirstConnect: true,
      timeout: 10_000,
      // Otherwise every request builds two Error objects (stack traces) up front in case it fails;
      // a failed request is mapped to an AppError without that stack anyway.
      noAsyncTraces: true,
    });
  } catch (e) {
    if (isAuthError(e)) {
      throw new Error(
        creds
          ? `NATS at ${s.NATS_URL} rejected user "${creds.user}": wrong or rotated password (${(e as Error).message}). Check NATS_USER and NATS_PASSWORD/NATS_PASSWORD_FILE.`
          : `NATS at ${s.NATS_URL} requires credentials and none are configured (${(e as Error).message}). Set NATS_USER and NATS_PASSWORD or NATS_PASSWORD_FILE.`,
      );
    }
    throw e;
  }
  connectionNames.set(nc, name);
  inboxPrefixes.set(nc, creds ? natsInboxPrefix(creds.user) : '_INBOX');
  void (async () => {
    for await (const st of nc.status()) {
      if (st.type === 'error') logger.warn({ nats: st.type, err: (st as { error?: Error }).error?.message }, 'nats error');
      else if (st.type === 'disconnect' || st.type === 'reconnect') logger.warn({ nats: st.type }, `nats ${st.type}`);
    }
  })();
  return nc;
}

function isAuthError(e: unknown): boolean {
  const err = e as { name?: string; message?: string };
  return err?.name === 'AuthorizationError' || /authorization violation|authentication/i.test(err?.message ?? '');
}

export type Handler<E extends Endpoint<z.ZodType, z.ZodType>> = (req: z.infer<E['request']>) => Promise<z.input<E['response']>>;

export interface ServiceDefinition {
  name: string;
  version: string;
  description: string;
  prefix: string;
  logger: Logger;
}

/** A typed pairing of an endpoint contract and its handler. */
export function handle<E extends Endpoint<z.ZodType, z.ZodType>>(ep: E, handler: Handler<E>) {
  return { ep, handler: handler as (req: unknown) => Promise<unknown> };
}
export type HandlerBinding = ReturnType<typeof handle>;

/**
 * Serves endpoints through the NATS services framework in a queue group named after the
 * service, so any number of instances share the load, with PING/INFO/STATS for free.
 * Every request is parsed by its contract before the handler sees it; every reply is an envelope.
 */
export async function serveEndpoints(nc: NatsConnection, def: ServiceDefinition, bindings: HandlerBinding[]): Promise<Service> {
  const svc = await new Svcm(nc).add({ name: def.name, version: def.version, description: def.description, queue: def.name });
  for (const { ep, handler } of bindings) {
    const name = ep.subject.replace(/[^A-Za-z0-9_-]/g, '_');
    svc.addEndpoint(name, {
      subject: def.prefix + ep.subject,
      queue: def.name,
      handler: (err, msg) => {
        if (err) {
          def.logger.error({ err: err.message, subject: ep.subject }, 'endpoint subscription error');
          return;
        }
        void respond(msg, ep, handler, def);
      },
    });
  }
  return svc;
}

async function respond(msg: ServiceMsg, ep: Endpoint<z.ZodType, z.ZodType>, handler: (req: unknown) => Promise<unknown>, def: ServiceDefinition) {
  const { logger } = def;
  const started = performance.now();
  // The caller's trace, from the request headers (BusClient injects them): this span is its child.
  const parent = contextFromHeaders(msg.headers);
  const span = tracer(def.name).startSpan(`handle ${ep.subject}`, { kind: SpanKind.SERVER, attributes: { 'messaging.system': 'nats', 'messaging.destination.name': ep.subject } }, parent);
  const ctx = withSpan(parent, span);
  let outcome = 'ok';
  let failure: unknown;
  try {
    let raw: unknown;
    try {
      raw = msg.data.length ? JSON.parse(decoder.decode(msg.data)) : {};
    } catch {
      throw new AppError('INVALID_INPUT', 'The request body is not valid JSON');
    }
    const req = parseOrThrow(ep.request, raw);
    const data = await otelContext.with(ctx, () => handler(req));
    msg.respond(encoder.encode(JSON.stringify({ ok: true, data })));
    logger.debug({ subject: ep.subject, ms: Math.round(performance.now() - started) }, 'handled');
  } catch (e) {
    const appError = toServiceError(e);
    outcome = appError.code;
    failure = e;
    if (appError.code === 'INTERNAL') logger.error({ err: e, subject: ep.subject }, 'handler failed');
    else logger.debug({ code: appError.code, subject: ep.subject }, 'handler refused');
    const body = JSON.stringify({ ok: false, error: appError.toBody() });
    msg.respondError(appError.httpStatus, appError.message.slice(0, 200), encoder.encode(body));
  } finally {
    metrics.natsServer.observe(secondsSince(started), ep.subject, outcome);
    endSpan(span, outcome, failure);
  }
}

/** A typed request/reply client for the contracts in @shop/contracts. */
export class BusClient {
  constructor(
    readonly nc: NatsConnection,
    readonly prefix: string,
    private readonly defaultTimeoutMs = 5_000,
  ) {}

  /** One request/reply: a client span (its trace travels in the request headers) and the client-side latency metric. */
  async call<E extends Endpoint<z.ZodType, z.ZodType>>(ep: E, req: z.input<E['request']>, opts: { timeoutMs?: number } = {}): Promise<z.infer<E['response']>> {
    const started = performance.now();
    const parent = otelContext.active();
    const span = tracer(connectionName(this.nc)).startSpan(`call ${ep.subject}`, { kind: SpanKind.CLIENT, attributes: { 'messaging.system': 'nats', 'messaging.destination.name': ep.subject } }, parent);
    let outcome = 'ok';
    let failure: unknown;
    try {
      return await this.request(ep, req, opts.timeoutMs ?? this.defaultTimeoutMs, inTrace(span) ? traceHeaders(withSpan(parent, span)) : undefined);
    } catch (e) {
      outcome = errorCode(e);
      failure = e;
      throw e;
    } finally {
      metrics.natsClient.observe(secondsSince(started), ep.subject, outcome);
      endSpan(span, outcome, failure);
    }
  }

  private async request<E extends Endpoint<z.ZodType, z.ZodType>>(ep: E, req: z.input<E['request']>, timeout: number, headers: MsgHdrs | undefined): Promise<z.infer<E['response']>> {
    let reply;
    try {
      reply = await requestOverMux(this.nc, this.prefix + ep.subject, encoder.encode(JSON.stringify(req)), timeout, headers);
    } catch (e) {
      const text = String((e as Error)?.message ?? e);
      if (/timeout/i.test(text)) throw new AppError('TIMEOUT', 'The store took too long to answer. Please try again.', { subject: ep.subject });
      throw new AppError('UNAVAILABLE', 'Part of the store is temporarily unavailable. Please try again in a moment.', { subject: ep.subject });
    }
    let body: { ok: boolean; data?: unknown; error?: unknown };
    try {
      body = JSON.parse(decoder.decode(reply.data));
    } catch {
      throw new AppError('INTERNAL', 'Something went wrong on our side. Please try again.');
    }
    if (!body.ok) {
      const parsed = ErrorBody.safeParse(body.error);
      if (!parsed.success) throw new AppError('INTERNAL', 'Something went wrong on our side. Please try again.');
      throw AppError.fromBody(parsed.data);
    }
    const result = ep.response.safeParse(body.data) as z.ZodSafeParseResult<z.infer<E["response"]>>;
    if (!result.success) throw new AppError('INTERNAL', `Unexpected reply from ${ep.subject}`, { issues: result.error.issues.slice(0, 5) });
    return result.data;
  }
}

/** NATS liveness for /readyz: a round trip to the server within a second. */
export async function natsReady(nc: NatsConnection): Promise<boolean> {
  if (nc.isClosed()) return false;
  try {
    await Promise.race([nc.rtt(), new Promise((_, reject) => setTimeout(() => reject(new Error('rtt timeout')), 1_000).unref())]);
    return true;
  } catch {
    return false;
  }
}
