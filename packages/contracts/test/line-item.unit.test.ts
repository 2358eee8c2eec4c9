import { describe, expect, it } from 'vitest';
import { CartLine, LineItem, OrderLine, VariantInfo } from '../src/index.js';

describe('one line-item shape', () => {
  it('is the base of the catalogue variant, the cart line and the order line (the same field schemas, not copies)', () => {
    for (const [name, schema] of Object.entries({ CartLine, OrderLine, VariantInfo })) {
      for (const [field, fieldSchema] of Object.entries(LineItem.shape)) expect(schema.shape[field as keyof typeof schema.shape], `${name}.${field}`).toBe(fieldSchema);
    }
  });
});
