import { mountWidget } from '../shared/mount';
import { ProductDetailView } from '../views/ProductDetailView';
import { ProductListView } from '../views/ProductListView';

mountWidget('product-list', { product_list: ProductListView, product_detail: ProductDetailView }, 'Search for products to see them here.');
