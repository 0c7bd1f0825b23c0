import { describe, expect, it, jest } from '@jest/globals';
import { performance } from 'node:perf_hooks';
import { Metrics } from '../observability/metrics';
import { OutboxMetrics, type OutboxStats } from './outbox-metrics';

/** A sample's value in Prometheus text. */
function value(text: string, sample: string): number | undefined {
  const line = text.split('\n').find((l) => l.startsWith(`${sample} `));
  return line === undefined ? undefined : Number(line.slice(sample.length + 1));
}

describe('outbox metrics', () => {
  it('reads each outbox once a scrape for its three gauges, and again at the next scrape', async () => {
    const metrics = new Metrics();
    const outbox = new OutboxMetrics(metrics);
    const reads: string[] = [];
    let pending = 7;
    const stats = (module: string) => (): Promise<OutboxStats> => {
      reads.push(module);
      return Promise.resolve({ pending, failed: 2, oldestPendingSeconds: 1.5 });
    };
    outbox.track('order', stats('order'));
    outbox.track('user', stats('user'));

    const text = await metrics.registry.metrics();
    expect(reads.sort()).toEqual(['order', 'user']);
    expect(value(text, 'outbox_pending_events{module="order"}')).toBe(7);
    expect(value(text, 'outbox_failed_events{module="user"}')).toBe(2);
    expect(value(text, 'outbox_oldest_pending_age_seconds{module="order"}')).toBe(1.5);

    // A scrape a moment later (Prometheus scrapes every 15 s or more) reads the outbox again.
    const later = performance.now() + 1000;
    const now = jest.spyOn(performance, 'now').mockReturnValue(later);
    try {
      pending = 0;
      const next = await metrics.registry.metrics();
      expect(reads).toHaveLength(4);
      expect(value(next, 'outbox_pending_events{module="order"}')).toBe(0);
    } finally {
      now.mockRestore();
    }
  });

  it('keeps an outbox that cannot be read out of the scrape, and the others in it', async () => {
    const metrics = new Metrics();
    const outbox = new OutboxMetrics(metrics);
    outbox.track('order', () => Promise.reject(new Error('database down')));
    outbox.track('user', () => Promise.resolve({ pending: 3, failed: 0, oldestPendingSeconds: 0 }));
    const text = await metrics.registry.metrics();
    expect(value(text, 'outbox_pending_events{module="order"}')).toBeUndefined();
    expect(value(text, 'outbox_pending_events{module="user"}')).toBe(3);
  });
});
