// The structuredContent shapes the widgets render, from the shared contracts. Type-only
// imports keep zod out of the widget bundles.
import type {
  CartResult,
  CheckoutResult,
  OrderListResult,
  OrderResult,
  ProductDetailResult,
  ProductListResult,
} from '@shop/contracts';

export type {
  Address,
  Cart,
  CartLine,
  CartResult,
  CheckoutResult,
  Facets,
  FormattedTotals,
  Order,
  OrderListItem,
  OrderListResult,
  OrderResult,
  ProductDetailResult,
  ProductListItem,
  ProductListResult,
  ProductSummary,
  SavedPaymentMethod,
  SearchFilters,
  ShippingMethod,
  ShippingOption,
  SortBy,
  ToolArgs,
  ToolName,
} from '@shop/contracts';

export type AnyResult = ProductListResult | ProductDetailResult | CartResult | CheckoutResult | OrderResult | OrderListResult;
