import { describe, expect, it } from 'vitest';
import { isConnectionError, toServiceError } from '../src/db.js';

describe('database outages are retryable UNAVAILABLE, however they show', () => {
  for (const code of ['ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN', 'EHOSTUNREACH']) {
    it(`${code} (e.g. a stopped database container whose name no longer resolves)`, () => {
      const e = Object.assign(new Error(`getaddrinfo ${code} postgres`), { code });
      expect(isConnectionError(e)).toBe(true);
      expect(toServiceError(e).code).toBe('UNAVAILABLE');
    });
  }

  it('a query error is not an outage', () => {
    const e = Object.assign(new Error('relation "nope" does not exist'), { code: '42P01' });
    expect(isConnectionError(e)).toBe(false);
    expect(toServiceError(e).code).toBe('INTERNAL');
  });
});
