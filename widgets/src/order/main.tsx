import { mountWidget } from '../shared/mount';
import { CartView } from '../views/CartView';
import { CheckoutView } from '../views/CheckoutView';
import { OrderListView, OrderView } from '../views/OrderView';

// "Buy again" returns a cart, which can go on to checkout, in this frame.
mountWidget('order', { order: OrderView, order_list: OrderListView, cart: CartView, checkout: CheckoutView }, 'Your orders will appear here.');
