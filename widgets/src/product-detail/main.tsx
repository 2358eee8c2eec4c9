import { mountWidget } from '../shared/mount';
import { ProductDetailView } from '../views/ProductDetailView';

mountWidget('product-detail', { product_detail: ProductDetailView }, 'Pick a product to see its details.');
