import { defineConfig } from 'vitest/config';

/**
 * `npm run coverage`: the unit tests of the money and checkout logic and of the order and
 * payment state machines, with v8 line and branch coverage of those files. Every file must
 * reach the thresholds on its own, so a well-covered file cannot hide a poorly covered one.
 */
export default defineConfig({
  test: {
    include: ['services/cart/test/**/*.unit.test.ts', 'services/orders/test/**/*.unit.test.ts', 'services/payments/test/**/*.unit.test.ts'],
    pool: 'forks',
    coverage: {
      provider: 'v8',
      include: [
        'services/cart/src/domain/pricing.ts',
        'services/cart/src/domain/coupons.ts',
        'services/cart/src/domain/checkout.ts',
        'services/cart/src/domain/delivery.ts',
        'services/cart/src/domain/reprice.ts',
        'services/orders/src/domain/order-state.ts',
        'services/payments/src/domain/*state*.ts',
      ],
      reporter: ['text'],
      thresholds: { perFile: true, lines: 90, branches: 80 },
    },
  },
});
