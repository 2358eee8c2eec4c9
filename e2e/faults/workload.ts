import { randomUUID } from 'node:crypto';
import { FaultShopper, leaksInternals, RETRYABLE, type CallOutcome } from './client.js';
import { sleep } from './harness.js';

export const address = { name: 'Grace Hopper', line1: '1 Navy Yard', city: 'Arlington', state: 'VA', postal_code: '22202', country: 'US', phone: '+1 703 555 0100' };

/** How often a shopper asks again, unchanged, before giving up on a definitive answer. */
export const MAX_PLACE_ATTEMPTS = 30;
const MAX_STEP_ATTEMPTS = 30;
const RETRY_PAUSE_MS = 400;

/** One placement request: one idempotency key, asked until it gets a definitive answer. */
export interface PlacementRecord {
  phase: string;
  key: string;
  cartId: string;
  shopper: FaultShopper;
  attempts: number;
  outcome: 'confirmed' | 'failed' | 'undetermined';
  orderId?: string;
  code?: string;
  text?: string;
}

/** Every error answer any call got: what the shopper read. */
export interface ErrorSeen {
  phase: string;
  tool: string;
  code: string | undefined;
  text: string;
}

export class Workload {
  readonly placements: PlacementRecord[] = [];
  readonly errors: ErrorSeen[] = [];
  /** Checkouts that never reached place_order (a setup step got a definitive refusal). */
  readonly abandonedBeforePlacement: ErrorSeen[] = [];
  noAnswers = 0;

  constructor(
    private readonly mcpUrl: string,
    private readonly products: Array<{ product_id: string }>,
  ) {}

  /** Calls a tool until it gives a definitive answer (success or a non-retryable refusal). */
  private async step(phase: string, shopper: FaultShopper, tool: string, args: Record<string, unknown>, max = MAX_STEP_ATTEMPTS): Promise<{ out: CallOutcome | undefined; attempts: number }> {
    let out: CallOutcome | undefined;
    for (let attempt = 1; attempt <= max; attempt++) {
      out = await shopper.call(tool, args);
      if (out.kind === 'no_answer') this.noAnswers++;
      else if (out.isError) this.errors.push({ phase, tool, code: out.code, text: out.text });
      const retry = out.kind === 'no_answer' || (out.isError && RETRYABLE.has(out.code ?? ''));
      if (!retry) return { out, attempts: attempt };
      await sleep(RETRY_PAUSE_MS);
    }
    return { out, attempts: max };
  }

  /** add_to_cart → coupon → update_checkout → place_order with an explicit key, retried unchanged. */
  async checkout(phase: string, n: number): Promise<void> {
    const shopper = new FaultShopper(this.mcpUrl);
    try {
      const product = this.products[n % this.products.length];
      const added = await this.step(phase, shopper, 'add_to_cart', { ...product, quantity: 1 + (n % 2) });
      if (added.out?.kind !== 'result' || added.out.isError) return this.giveUp(phase, 'add_to_cart', added.out);
      const session_id = added.out.data.session_id as string;
      const couponed = await this.step(phase, shopper, 'apply_coupon', { code: 'FREESHIP', session_id });
      if (couponed.out?.kind !== 'result' || couponed.out.isError) return this.giveUp(phase, 'apply_coupon', couponed.out);
      const ready = await this.step(phase, shopper, 'update_checkout', {
        session_id,
        shipping_address: address,
        shipping_method: 'standard',
        billing_same_as_shipping: true,
        payment_method_id: 'pm_card_visa',
        accept_terms: true,
      });
      if (ready.out?.kind !== 'result' || ready.out.isError) return this.giveUp(phase, 'update_checkout', ready.out);

      const record: PlacementRecord = { phase, key: `fault-${randomUUID()}`, cartId: session_id, shopper, attempts: 0, outcome: 'undetermined' };
      this.placements.push(record);
      await this.place(record, MAX_PLACE_ATTEMPTS);
    } finally {
      await shopper.close();
    }
  }

  /** Asks place_order under the record's key until a definitive answer; updates the record. */
  async place(record: PlacementRecord, maxAttempts: number): Promise<void> {
    const { out, attempts } = await this.step(record.phase, record.shopper, 'place_order', { session_id: record.cartId, idempotency_key: record.key }, maxAttempts);
    record.attempts += attempts;
    if (out?.kind === 'result' && !out.isError) {
      record.outcome = 'confirmed';
      record.orderId = out.data.order?.id;
    } else if (out?.kind === 'result' && !RETRYABLE.has(out.code ?? '')) {
      record.outcome = 'failed';
      record.code = out.code;
      record.text = out.text;
      record.orderId = out.details?.order_id;
    } else {
      record.outcome = 'undetermined';
      record.text = out?.text;
      record.code = out?.kind === 'result' ? out.code : 'NO_ANSWER';
    }
  }

  private giveUp(phase: string, tool: string, out: CallOutcome | undefined): void {
    this.abandonedBeforePlacement.push({ phase, tool, code: out?.kind === 'result' ? out.code : 'NO_ANSWER', text: out?.text ?? '' });
  }

  /** `workers` shoppers checking out back to back until stop() is called; done resolves when all finished. */
  run(phase: string, workers: number): { stop: () => Promise<void> } {
    let stopped = false;
    let n = 0;
    const loops = Array.from({ length: workers }, async () => {
      while (!stopped) await this.checkout(phase, n++);
    });
    return {
      stop: async () => {
        stopped = true;
        await Promise.all(loops);
      },
    };
  }

  /** Error answers that leak internals (stack, driver text, a bare 500) instead of a readable message. */
  leaks(): ErrorSeen[] {
    return this.errors.filter((e) => leaksInternals(e.text));
  }
}
