import { mountWidget } from '../shared/mount';
import { CheckoutView } from '../views/CheckoutView';
import { OrderView } from '../views/OrderView';

mountWidget('checkout', { checkout: CheckoutView, order: OrderView }, 'Checkout will appear here.');
