// Orders' delivery window is the shared rule: the method's business days after placement.
export { deliveryEstimate as estimateDelivery } from '@shop/contracts';
