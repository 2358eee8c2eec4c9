import { mountWidget } from '../shared/mount';
import { CartView } from '../views/CartView';
import { CheckoutView } from '../views/CheckoutView';
import { OrderView } from '../views/OrderView';

// "Proceed to checkout" and "Place order" continue in this frame.
mountWidget('cart', { cart: CartView, checkout: CheckoutView, order: OrderView }, 'Your cart will appear here.');
