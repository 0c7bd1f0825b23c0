import type { BusEvent } from '../../src/shared/bus/bus-event';
import type { OutboxRelayOptions } from '../../src/shared/persistence/outbox-relay';

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
  batchSize: 100,
  concurrency: 16,
  backoffBaseMs: 10,
  backoffMaxMs: 40,
  leaseMs: 1000,
  retentionMs: 0,
};
