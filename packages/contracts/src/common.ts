import { z } from 'zod';
import { CARD_DATA_RULE } from './errors.js';
import { cardDataIn, containsCardNumber, textRuleBroken, textRuleMessages } from './rules/index.js';

/**
 * The checks every free-text field gets, whatever it holds: no card data (CARD_DATA_REFUSED via
 * invalidInput), no control characters (line breaks only in multi-line text), no bidi overrides
 * in single-line text. Issues carry the rule, never the value.
 */
export function textChecks(opts: { multiline?: boolean } = {}) {
  return (value: string, ctx: z.RefinementCtx) => {
    const card = cardDataIn(value);
    if (card) {
      ctx.addIssue({ code: 'custom', message: 'must not contain card details', params: { rule: CARD_DATA_RULE, kind: card } });
      return;
    }
    const rule = textRuleBroken(value, opts);
    if (rule) ctx.addIssue({ code: 'custom', message: textRuleMessages[rule], params: { rule } });
  };
}

/**
 * Free text a person typed (names, address lines, codes, queries): trimmed, at most `max`
 * characters, at least `min` when given, and the textChecks.
 */
export function FreeText(max: number, opts: { min?: number; minMessage?: string; multiline?: boolean } = {}) {
  let s = z.string().trim();
  if (opts.min) s = s.min(opts.min, opts.minMessage ?? 'must not be empty');
  return s.max(max, `must be at most ${max} characters`).superRefine(textChecks(opts));
}

/** For ids and keys in fixed formats (not free text): a card number is still refused as card data. */
export function noCardNumber(value: string, ctx: z.RefinementCtx): void {
  if (containsCardNumber(value)) ctx.addIssue({ code: 'custom', message: 'must not contain a card number', params: { rule: CARD_DATA_RULE, kind: 'card_number' } });
}

export const Uuid = z.string().uuid('must be a UUID');
/** Server-issued cart id: 128 random bits as 32 hex characters. */
export const CartId = z.string().regex(/^[0-9a-f]{32}$/, 'must be a server-issued cart id (32 hex characters)');
/** Identity values from the host (not typed by the shopper): no control characters, which no store could keep. */
const IdentityText = () =>
  z
    .string()
    .min(1)
    .max(200)
    .superRefine((value, ctx) => {
      if (textRuleBroken(value) === 'control_characters') ctx.addIssue({ code: 'custom', message: textRuleMessages.control_characters, params: { rule: 'control_characters' } });
    });
export const Subject = IdentityText();
export const ConversationKey = IdentityText();
export const IsoDateTime = z.string().datetime({ offset: true });
export const IsoDate = z.string().regex(/^\d{4}-\d{2}-\d{2}$/, 'must be a date as YYYY-MM-DD');
export const IdempotencyKey = z
  .string()
  .min(8, 'must be at least 8 characters')
  .max(200)
  .regex(/^[A-Za-z0-9._:-]+$/, 'may only contain letters, digits and . _ : -')
  .superRefine(noCardNumber);

/** Who is asking: the shopper as the gateway resolved them. */
export const Caller = z.object({
  subject: Subject.optional(),
  conversation: ConversationKey.optional(),
});
export type Caller = z.infer<typeof Caller>;

export const Page = z.coerce.number().int().min(1, 'must be 1 or more').max(10_000).default(1);
export const PerPage = z.coerce.number().int().min(1, 'must be 1 or more').max(50, 'must be at most 50').default(20);

export const PageInfo = z.object({
  page: z.number().int(),
  per_page: z.number().int(),
  total: z.number().int(),
  total_pages: z.number().int(),
  has_more: z.boolean(),
});
export type PageInfo = z.infer<typeof PageInfo>;

export function pageInfo(page: number, perPage: number, total: number): PageInfo {
  const totalPages = Math.max(1, Math.ceil(total / perPage));
  return { page, per_page: perPage, total, total_pages: totalPages, has_more: page < totalPages };
}

/** A domain event as it travels on JetStream. */
export const EventEnvelope = z.object({
  id: z.string(),
  type: z.string(),
  occurred_at: IsoDateTime,
  data: z.record(z.string(), z.unknown()),
});
export type EventEnvelope = z.infer<typeof EventEnvelope>;

/** A subject with a definition of the request and reply it carries. */
export interface Endpoint<Req extends z.ZodType, Res extends z.ZodType> {
  subject: string;
  request: Req;
  response: Res;
}
export function endpoint<Req extends z.ZodType, Res extends z.ZodType>(subject: string, request: Req, response: Res): Endpoint<Req, Res> {
  return { subject, request, response };
}
