import { addToCart } from './add_to_cart.js';
import { applyCoupon } from './apply_coupon.js';
import { cancelOrder } from './cancel_order.js';
import { createCheckoutLink } from './create_checkout_link.js';
import { getOrderStatus } from './get_order_status.js';
import { getProductDetails } from './get_product_details.js';
import { getStorePolicies } from './get_store_policies.js';
import { listOrders } from './list_orders.js';
import { listPaymentMethods } from './list_payment_methods.js';
import { placeOrder } from './place_order.js';
import { refundOrder } from './refund_order.js';
import { removeCoupon } from './remove_coupon.js';
import { removeFromCart } from './remove_from_cart.js';
import { reorder } from './reorder.js';
import { searchProducts } from './search_products.js';
import { startCheckout } from './start_checkout.js';
import { updateCartItem } from './update_cart_item.js';
import { updateCheckout } from './update_checkout.js';
import { viewCart } from './view_cart.js';
import type { ToolDefinition } from './shared.js';

/** Every tool, in the order tools/list shows them (the shopping flow's order). */
export const tools: readonly ToolDefinition[] = [
  searchProducts,
  getProductDetails,
  addToCart,
  viewCart,
  updateCartItem,
  removeFromCart,
  applyCoupon,
  removeCoupon,
  startCheckout,
  updateCheckout,
  listPaymentMethods,
  createCheckoutLink,
  placeOrder,
  getOrderStatus,
  listOrders,
  cancelOrder,
  refundOrder,
  reorder,
  getStorePolicies,
];

export type { ToolDeps } from './shared.js';
