import { z } from 'zod';
import { isCardFieldName } from './rules/card.js';

/** Stable error codes: part of the public contract of every API (HTTP, NATS, MCP). */
export const ErrorCode = z.enum([
  'INVALID_INPUT',
  'NOT_FOUND',
  'PRODUCT_NOT_FOUND',
  'VARIANT_NOT_FOUND',
  'PROHIBITED_ITEM',
  'OUT_OF_STOCK',
  'RESERVATION_NOT_FOUND',
  'CART_NOT_FOUND',
  'CART_FORBIDDEN',
  'CART_EMPTY',
  'CART_NOT_ACTIVE',
  'CART_LIMIT',
  'LINE_NOT_FOUND',
  'COUPON_INVALID',
  /** Every use of a limited coupon is taken: refused at placement, before any charge. */
  'COUPON_LIMIT_REACHED',
  'CHECKOUT_INCOMPLETE',
  /** The cart changed (price, quantity, coupon, total) between what the shopper saw and placement. */
  'CART_CHANGED',
  'ORDER_NOT_FOUND',
  'ORDER_FORBIDDEN',
  /** Another placement of the same cart is still under way: nothing was reserved or charged for this one. */
  'ORDER_IN_PROGRESS',
  'INVALID_TRANSITION',
  'IDEMPOTENCY_CONFLICT',
  'PAYMENT_NOT_FOUND',
  'PAYMENT_DECLINED',
  'PAYMENT_REQUIRES_ACTION',
  'PAYMENT_METHOD_NOT_FOUND',
  'REFUND_EXCEEDS_CAPTURED',
  'CARD_DATA_REFUSED',
  'WEBHOOK_INVALID',
  'RATE_LIMITED',
  /** No credential, or one that could not be verified. */
  'UNAUTHENTICATED',
  /** A verified caller (or a browser origin) not allowed to do this. */
  'FORBIDDEN',
  'UNAVAILABLE',
  'TIMEOUT',
  'INTERNAL',
]);
export type ErrorCode = z.infer<typeof ErrorCode>;

const httpStatusByCode: Record<ErrorCode, number> = {
  INVALID_INPUT: 400,
  NOT_FOUND: 404,
  PRODUCT_NOT_FOUND: 404,
  VARIANT_NOT_FOUND: 422,
  PROHIBITED_ITEM: 422,
  OUT_OF_STOCK: 409,
  RESERVATION_NOT_FOUND: 404,
  CART_NOT_FOUND: 404,
  CART_FORBIDDEN: 403,
  CART_EMPTY: 422,
  CART_NOT_ACTIVE: 409,
  CART_LIMIT: 422,
  LINE_NOT_FOUND: 404,
  COUPON_INVALID: 422,
  COUPON_LIMIT_REACHED: 409,
  CHECKOUT_INCOMPLETE: 422,
  CART_CHANGED: 409,
  ORDER_NOT_FOUND: 404,
  ORDER_FORBIDDEN: 403,
  ORDER_IN_PROGRESS: 409,
  INVALID_TRANSITION: 409,
  IDEMPOTENCY_CONFLICT: 409,
  PAYMENT_NOT_FOUND: 404,
  PAYMENT_DECLINED: 402,
  PAYMENT_REQUIRES_ACTION: 402,
  PAYMENT_METHOD_NOT_FOUND: 404,
  REFUND_EXCEEDS_CAPTURED: 422,
  CARD_DATA_REFUSED: 400,
  WEBHOOK_INVALID: 400,
  RATE_LIMITED: 429,
  UNAUTHENTICATED: 401,
  FORBIDDEN: 403,
  UNAVAILABLE: 503,
  TIMEOUT: 504,
  INTERNAL: 500,
};

/** Codes a caller may retry unchanged (the cause is transient). */
export const retryableCodes: ReadonlySet<ErrorCode> = new Set(['UNAVAILABLE', 'TIMEOUT']);

export const ErrorBody = z.object({
  code: ErrorCode,
  message: z.string(),
  details: z.record(z.string(), z.unknown()).optional(),
  retryable: z.boolean().optional(),
});
export type ErrorBody = z.infer<typeof ErrorBody>;

/** An error as a value: a stable code, a message a shopper can read, and details. */
export class AppError extends Error {
  readonly code: ErrorCode;
  readonly details?: Record<string, unknown>;
  constructor(code: ErrorCode, message: string, details?: Record<string, unknown>) {
    super(message);
    this.name = 'AppError';
    this.code = code;
    this.details = details;
  }
  get httpStatus(): number {
    return httpStatusFor(this.code);
  }
  toBody(): ErrorBody {
    const body: ErrorBody = { code: this.code, message: this.message };
    if (this.details !== undefined) body.details = this.details;
    if (retryableCodes.has(this.code)) body.retryable = true;
    return body;
  }
  static fromBody(body: ErrorBody): AppError {
    return new AppError(body.code, body.message, body.details);
  }
}

export function httpStatusFor(code: ErrorCode): number {
  return httpStatusByCode[code] ?? 500;
}

export function isAppError(e: unknown): e is AppError {
  return e instanceof AppError;
}

/** The zod issue param the free-text schemas set on card data (common.ts). */
export const CARD_DATA_RULE = 'card_data';

/** The refusal for a request carrying card data. It names the field, never the value. */
export function cardDataRefused(field: string): AppError {
  return new AppError(
    'CARD_DATA_REFUSED',
    `Card details cannot be sent in ${field}. Choose a saved payment method or use the secure checkout link instead.`,
    { field, rule: CARD_DATA_RULE },
  );
}

const fieldPath = (root: string, path: PropertyKey[]) => [root, ...path.map(String)].filter(Boolean).join('.') || '(root)';

/** The field of the first issue that is card data: a card-data refinement, or an unknown key such as card_number. */
function cardDataField(error: z.ZodError, root: string): string | null {
  for (const i of error.issues) {
    if (i.code === 'custom' && (i.params as { rule?: unknown } | undefined)?.rule === CARD_DATA_RULE) return fieldPath(root, i.path);
    if (i.code === 'unrecognized_keys') {
      const key = i.keys.find(isCardFieldName);
      if (key) return fieldPath(root, [...i.path, key]);
    }
  }
  return null;
}

/**
 * Turns a zod failure into INVALID_INPUT naming each field and the rule it broke; card data in
 * any field wins and becomes CARD_DATA_REFUSED naming that field. Issues never carry the value.
 */
export function invalidInput(error: z.ZodError, root = ''): AppError {
  const cardField = cardDataField(error, root);
  if (cardField) return cardDataRefused(cardField);
  const issues = error.issues.map((i) => ({
    field: fieldPath(root, i.path),
    rule: (i.code === 'custom' && typeof (i.params as { rule?: unknown } | undefined)?.rule === 'string' ? (i.params as { rule: string }).rule : i.code) as string,
    message: i.message,
  }));
  const first = issues[0];
  const message = first
    ? `Invalid ${first.field}: ${first.message}${issues.length > 1 ? ` (and ${issues.length - 1} more)` : ''}`
    : 'Invalid input';
  return new AppError('INVALID_INPUT', message, { issues });
}

/** Parses with a schema, throwing INVALID_INPUT (never a raw ZodError) on failure. */
export function parseOrThrow<S extends z.ZodType>(schema: S, value: unknown, root = ''): z.infer<S> {
  const result = schema.safeParse(value);
  if (!result.success) throw invalidInput(result.error, root);
  return result.data;
}

/** Maps anything thrown to an AppError without leaking internals (no stack, no driver text). */
export function toAppError(e: unknown): AppError {
  if (e instanceof AppError) return e;
  if (e instanceof z.ZodError) return invalidInput(e);
  return new AppError('INTERNAL', 'Something went wrong on our side. Please try again.');
}
