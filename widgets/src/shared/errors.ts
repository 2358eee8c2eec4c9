// A tool's refusal as the gateway sends it, read from its structured form rather than its words:
// `_meta['shop/error']` carries the stable code and, for INVALID_INPUT, `details.issues`, one per
// field (its dotted path, the rule it broke, a message for the shopper). The text content is for
// the model and for hosts without UI; its wording may change, the issues' shape may not.
import type { ToolCallResult } from './host';

export interface FieldIssue {
  /** The argument's path, e.g. `shipping_address.postal_code` or `preferred_delivery_date`. */
  field: string;
  rule: string;
  message: string;
}

export interface ToolError {
  code: string | null;
  issues: FieldIssue[];
}

function isIssue(value: unknown): value is FieldIssue {
  const i = value as Partial<FieldIssue> | null;
  return !!i && typeof i.field === 'string' && typeof i.message === 'string' && typeof i.rule === 'string';
}

/** The code and field issues of an error result; none when the host or an older gateway sent only text. */
export function toolError(result: ToolCallResult): ToolError {
  const raw = result._meta?.['shop/error'] as { code?: unknown; details?: { issues?: unknown } } | undefined;
  const issues = Array.isArray(raw?.details?.issues) ? raw.details.issues.filter(isIssue) : [];
  return { code: typeof raw?.code === 'string' ? raw.code : null, issues };
}

/** An issue's message as a sentence under its field. */
export function sentence(message: string): string {
  const text = message.trim();
  return /[.!?]$/.test(text) ? text : `${text}.`;
}
