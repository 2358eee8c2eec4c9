import { describe, expect, it } from 'vitest';
import { REPEAT_WINDOW_MS, repeatedBy } from '../src/domain/repeat.js';

describe('a place_order on the conversation\'s fresh cart repeats the order just placed', () => {
  const placed = new Date('2026-03-02T10:00:00Z');
  const cartCreated = new Date('2026-03-02T10:00:01Z');
  const at = (ms: number) => new Date(placed.getTime() + ms);

  it('within the repeat window of the order, for a cart created after it', () => {
    expect(repeatedBy({ status: 'confirmed', created_at: placed }, cartCreated, at(60_000))).toBe(true);
    expect(repeatedBy({ status: 'pending', created_at: placed }, cartCreated, at(REPEAT_WINDOW_MS))).toBe(true);
  });

  it('not after the window, not for a cart older than the order, not for a failed payment', () => {
    expect(repeatedBy({ status: 'confirmed', created_at: placed }, cartCreated, at(REPEAT_WINDOW_MS + 1))).toBe(false);
    expect(repeatedBy({ status: 'confirmed', created_at: placed }, new Date(placed.getTime() - 1), at(1000))).toBe(false);
    expect(repeatedBy({ status: 'payment_failed', created_at: placed }, cartCreated, at(1000))).toBe(false);
  });
});
