// What the shopper already said, from the arguments the assistant passed to the tool
// (window.openai.toolInput / the MCP Apps tool-input notification). The arguments come from a
// model, so every field is checked for its type before it is used.
import type { AddressField } from './address';
import { dollarTextToCents } from './format';
import type { CartLine, SearchFilters, SortBy } from './types';

type Input = Record<string, unknown> | null | undefined;

const sortValues: SortBy[] = ['relevance', 'price_asc', 'price_desc', 'rating', 'newest'];

function text(v: unknown): string | undefined {
  return typeof v === 'string' && v.trim() ? v.trim() : undefined;
}

function texts(v: unknown): string[] | undefined {
  if (!Array.isArray(v)) return undefined;
  const list = v.map(text).filter((s): s is string => !!s);
  return list.length ? list : undefined;
}

/** Dollars as the assistant passed them (100, 19.99 or "19.99") to cents, exactly. */
function dollars(v: unknown): number | undefined {
  if (typeof v !== 'number' && typeof v !== 'string') return undefined;
  return dollarTextToCents(String(v)) ?? undefined;
}

export interface ActiveSearch {
  query: string | null;
  filters: SearchFilters;
}

/**
 * The search as the shopper asked for it: the result's query and filters, with what the
 * assistant passed laid over them (the widget re-queries from these, so a removed chip stays removed).
 */
export function searchFromInput(input: Input, query: string | null, filters: SearchFilters): ActiveSearch {
  if (!input) return { query, filters };
  const next: SearchFilters = { ...filters };
  const min = dollars(input.min_price);
  const max = dollars(input.max_price);
  if (min !== undefined) next.min_price = min;
  if (max !== undefined) next.max_price = max;
  const brands = texts(input.brands);
  const sizes = texts(input.sizes);
  const colors = texts(input.colors);
  if (brands) next.brands = brands;
  if (sizes) next.sizes = sizes;
  if (colors) next.colors = colors;
  if (typeof input.in_stock_only === 'boolean') next.in_stock_only = input.in_stock_only;
  const category = text(input.category);
  if (category && !next.category) next.category = category;
  if (sortValues.includes(input.sort_by as SortBy)) next.sort_by = input.sort_by as SortBy;
  return { query: text(input.query) ?? query, filters: next };
}

const addressFields: AddressField[] = ['name', 'line1', 'line2', 'city', 'state', 'postal_code', 'country', 'phone'];

/** The address fields the assistant passed as `shipping_address`, as form text. */
export function addressFromInput(input: Input): Partial<Record<AddressField, string>> {
  const a = input?.shipping_address;
  if (!a || typeof a !== 'object') return {};
  const out: Partial<Record<AddressField, string>> = {};
  for (const f of addressFields) {
    const v = text((a as Record<string, unknown>)[f]);
    if (v) out[f] = v.slice(0, 200);
  }
  return out;
}

/**
 * The cart line that was just added: the result's last_added_line_id, else the line matching the
 * product (and size/colour, when given) the assistant added.
 */
export function justAddedLineId(lines: CartLine[], lastAddedLineId: string | undefined, input: Input): string | null {
  if (lastAddedLineId && lines.some((l) => l.id === lastAddedLineId)) return lastAddedLineId;
  const productId = text(input?.product_id);
  if (!productId) return null;
  const same = (a: string | null, b: string | undefined) => b === undefined || (a ?? '').toLowerCase() === b.toLowerCase();
  const size = text(input?.size);
  const color = text(input?.color);
  return lines.find((l) => l.product_id === productId && same(l.size, size) && same(l.color, color))?.id ?? null;
}
