// What free text may hold: no control characters (line breaks only where a field is multi-line),
// no bidirectional override characters in single-line fields, and the length limits of each kind.

/** C0 controls and DEL; tab, line feed and carriage return are allowed in multi-line text only. */
const singleLineControl = /[\u0000-\u001F\u007F]/;
const multiLineControl = /[\u0000-\u0008\u000B\u000C\u000E-\u001F\u007F]/;
/** Embeddings, overrides and isolates (U+202A–U+202E, U+2066–U+2069): they reorder how text is shown. */
const bidiControl = /[\u202A-\u202E\u2066-\u2069]/;

export type TextRule = 'control_characters' | 'bidi_controls';

/** The rule a text breaks, or null. Multi-line text (instructions, reasons) may hold line breaks and bidi marks. */
export function textRuleBroken(text: string, opts: { multiline?: boolean } = {}): TextRule | null {
  if ((opts.multiline ? multiLineControl : singleLineControl).test(text)) return 'control_characters';
  if (!opts.multiline && bidiControl.test(text)) return 'bidi_controls';
  return null;
}

export const textRuleMessages: Record<TextRule, string> = {
  control_characters: 'must not contain control characters',
  bidi_controls: 'must not contain bidirectional override characters (U+202A–U+202E, U+2066–U+2069)',
};

/** Lengths of the free-text fields, in characters as JavaScript counts them. */
export const textLimits = {
  personName: 100,
  addressLine: 200,
  city: 100,
  state: 100,
  postalCode: 20,
  couponCode: 40,
  searchQuery: 200,
  category: 80,
  /** A brand, size or colour filter value. */
  filterValue: 60,
  /** A size or colour chosen for a cart line. */
  variantOption: 40,
  deliveryInstructions: 500,
  reason: 500,
  description: 500,
  policyTopic: 100,
  lineItemName: 200,
} as const;

/** Delivery instructions are at most this many characters (as JavaScript counts them). */
export const MAX_DELIVERY_INSTRUCTIONS = textLimits.deliveryInstructions;
