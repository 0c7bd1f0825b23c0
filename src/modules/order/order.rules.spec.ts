import { describe, expect, it } from '@jest/globals';
import { orderRules } from './order';

describe('order rules', () => {
  it('moves forward one step at a time and stops at delivered', () => {
    expect(orderRules.next('pending')).toBe('confirmed');
    expect(orderRules.next('confirmed')).toBe('shipped');
    expect(orderRules.next('shipped')).toBe('delivered');
    expect(orderRules.next('delivered')).toBeUndefined();
    expect(orderRules.next('cancelled')).toBeUndefined();
  });

  it('cancels only pending or confirmed orders', () => {
    expect(orderRules.canCancel('pending')).toBe(true);
    expect(orderRules.canCancel('confirmed')).toBe(true);
    expect(orderRules.canCancel('shipped')).toBe(false);
    expect(orderRules.canCancel('delivered')).toBe(false);
    expect(orderRules.canCancel('cancelled')).toBe(false);
  });

  it('totals exactly in integer cents, even past 2^32', () => {
    const items = Array.from({ length: 100 }, (_, i) => ({
      sku: `S${i}`,
      name: 'n',
      quantity: 1000,
      unitPriceCents: 100_000_000,
    }));
    expect(orderRules.total(items)).toBe(10_000_000_000_000);
    expect(orderRules.total([{ sku: 'a', name: 'a', quantity: 3, unitPriceCents: 199 }])).toBe(597);
  });
});
