import type { BusEvent } from '../../src/shared/bus/bus-event';

/** The bus as an outbox relay sees it: records deliveries, and fails while told to. */
export class RecordingBus {
  readonly delivered: BusEvent[] = [];
  failuresLeft = 0;

  publish(event: BusEvent): Promise<void> {
    if (this.failuresLeft > 0) {
      this.failuresLeft -= 1;
      return Promise.reject(new Error('handler failed'));
    }
    this.delivered.push(event);
    return Promise.resolve();
  }
}
