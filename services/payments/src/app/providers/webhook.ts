import Stripe from 'stripe';
import { AppError } from '@shop/contracts';
import type { RawWebhook } from '../../domain/provider.js';

/** Stripe's default: a signature older than five minutes is stale (replay protection). */
export const WEBHOOK_TOLERANCE_SECONDS = 300;

/**
 * Verifies a Stripe signature over the exact raw bytes received. Without a signing secret no
 * webhook is trusted. The SDK's reason is not echoed back: a caller learns only that it failed.
 */
export function verifyStripeWebhook(rawBody: Buffer, signature: string | undefined, secret: string | undefined): RawWebhook {
  if (!secret) throw new AppError('WEBHOOK_INVALID', 'Webhooks are not configured (STRIPE_WEBHOOK_SECRET is not set).');
  if (!signature) throw new AppError('WEBHOOK_INVALID', 'The Stripe-Signature header is missing.');
  let event: Stripe.Event;
  try {
    event = Stripe.webhooks.constructEvent(rawBody, signature, secret, WEBHOOK_TOLERANCE_SECONDS);
  } catch {
    throw new AppError('WEBHOOK_INVALID', 'The webhook signature is invalid or too old.');
  }
  return { id: event.id, type: event.type, payload: event };
}
