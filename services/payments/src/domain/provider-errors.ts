import { AppError } from '@shop/contracts';

/** What a caller is told of a provider failure: a lost connection is a retryable UNAVAILABLE, not INTERNAL. */
export function asProviderError(e: unknown): AppError {
  if (e instanceof AppError) return e;
  return new AppError('UNAVAILABLE', 'The payment provider could not be reached. Please try again in a moment.');
}

export function notOwnMethod(paymentMethodId: string): AppError {
  return new AppError('PAYMENT_METHOD_NOT_FOUND', 'That payment method is not one of your saved methods.', { payment_method_id: paymentMethodId });
}
