import { dollarsToCents, catalogApi, ProductListResult, toolArgs, type SearchFilters } from '@shop/contracts';
import { presentSearch } from '../domain/present.js';
import { appToolMeta, defineTool, readOnly } from './shared.js';

export const searchProducts = defineTool({
  name: 'search_products',
  title: 'Search products',
  description:
    'Use this when the shopper wants to find or browse products: free text plus optional filters (category, price range in dollars, brands, sizes, colors, in-stock only), sorting and pages. Returns matching products with prices, stock and facets.',
  args: toolArgs.search_products,
  output: ProductListResult,
  annotations: readOnly,
  meta: appToolMeta('product-list', 'Searching the catalog…', 'Found products'),
  run: async (a, call) => {
    const filters: SearchFilters = { in_stock_only: a.in_stock_only ?? true, sort_by: a.sort_by ?? 'relevance' };
    if (a.category !== undefined) filters.category = a.category;
    if (a.min_price !== undefined) filters.min_price = dollarsToCents(a.min_price);
    if (a.max_price !== undefined) filters.max_price = dollarsToCents(a.max_price);
    if (a.brands?.length) filters.brands = a.brands;
    if (a.sizes?.length) filters.sizes = a.sizes;
    if (a.colors?.length) filters.colors = a.colors;
    const result = await call.deps.bus.call(catalogApi.search, { ...filters, query: a.query || undefined, page: a.page, per_page: a.per_page });
    return { presented: presentSearch(result, filters) };
  },
});
