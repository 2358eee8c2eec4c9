import { catalogApi, ProductDetailResult, toolArgs } from '@shop/contracts';
import { presentProduct } from '../domain/present.js';
import { appToolMeta, defineTool, readOnly } from './shared.js';

export const getProductDetails = defineTool({
  name: 'get_product_details',
  title: 'Get product details',
  description: 'Use this when the shopper asks about one product: full description, sizes, colors, per-variant price and stock, rating and related products.',
  args: toolArgs.get_product_details,
  output: ProductDetailResult,
  annotations: readOnly,
  meta: appToolMeta('product-detail', 'Looking up the product…', 'Product details ready'),
  run: async (a, call) => ({ presented: presentProduct(await call.deps.bus.call(catalogApi.get, { product_id: a.product_id })) }),
});
