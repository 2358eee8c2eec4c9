const listKeys = new Set(['brands', 'sizes', 'colors']);
const numberKeys = new Set(['min_price', 'max_price', 'page', 'per_page']);

/**
 * Turns a query string (?q=…&brands=a,b&in_stock_only=false) into the NATS SearchRequest shape.
 * Only the representation changes here; the contract schema still validates every value, and
 * an unknown parameter is left in place so the strict schema names it.
 */
export function searchFromQueryString(qs: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [rawKey, value] of Object.entries(qs)) {
    const key = rawKey === 'q' ? 'query' : rawKey;
    if (listKeys.has(key)) {
      const parts = (Array.isArray(value) ? value : [value]).flatMap((v) => (typeof v === 'string' ? v.split(',') : [v]));
      out[key] = parts.map((p) => (typeof p === 'string' ? p.trim() : p)).filter((p) => p !== '');
    } else if (key === 'in_stock_only') {
      out[key] = value === 'true' || value === '1' ? true : value === 'false' || value === '0' ? false : value;
    } else if (numberKeys.has(key)) {
      out[key] = typeof value === 'string' && /^-?\d+(\.\d+)?$/.test(value.trim()) ? Number(value) : value;
    } else {
      out[key] = value;
    }
  }
  return out;
}
