import type { BusEvent } from '../../src/shared/bus/bus-event';
import type { Bus } from '../../src/shared/bus/bus';
import { Metrics } from '../../src/shared/observability/metrics';
import { OutboxMetrics } from '../../src/shared/outbox/outbox-metrics';
import { OutboxRelay, type OutboxRelayOptions } from '../../src/shared/outbox/outbox-relay';
import type { OutboxRepository } from '../../src/shared/outbox/outbox-repository';

/** The bus as an outbox relay sees it: records deliveries, and fails while told to. */
export class RecordingBus {
  readonly delivered: BusEvent[] = [];
  failuresLeft = 0;
  /** Each delivery takes a random time up to this: concurrent deliveries finish in any order. */
  jitterMs = 0;

  async publish(event: BusEvent): Promise<void> {
    if (this.jitterMs > 0)
      await new Promise((resolve) => setTimeout(resolve, Math.random() * this.jitterMs));
    if (this.failuresLeft > 0) {
      this.failuresLeft -= 1;
      throw new Error('handler failed');
    }
    this.delivered.push(event);
  }

  /** Publishing here already ran the "handlers". */
  settled(): Promise<boolean> {
    return Promise.resolve(true);
  }
}

/** Relay options for tests: quick polling, quick backoff, three attempts. */
export const FAST_RELAY_OPTIONS: OutboxRelayOptions = {
  maxAttempts: 3,
  pollMs: 20,
  gatherMs: 0,
  batchSize: 100,
  maxBatchSize: 1000,
  concurrency: 16,
  backoffBaseMs: 10,
  backoffMaxMs: 40,
  leaseMs: 1000,
  retentionMs: 0,
};

/** A relay for `outbox` that publishes to `bus`, with fast test options (and metrics of its own). */
export function testRelay(
  module: string,
  outbox: OutboxRepository,
  bus: RecordingBus,
  options: Partial<OutboxRelayOptions> = {},
  metrics = new OutboxMetrics(new Metrics()),
): OutboxRelay {
  return new OutboxRelay(module, outbox, bus as unknown as Bus, metrics, {
    ...FAST_RELAY_OPTIONS,
    ...options,
  });
}
