import { Injectable } from '@nestjs/common';
import { Gauge, Histogram } from 'prom-client';
import { Metrics } from '../../../shared/observability/metrics';
import { AccountView, type AccountState } from '../persistence/account-view';

/**
 * Keeps the order module's account view (see `AccountView`) from the user module's events, and
 * says in `/metrics` how far behind it is: how long an applied event took to arrive
 * (`account_view_apply_delay_seconds`) and, on NATS, how many wait
 * (`jetstream_consumer_pending_messages` of the `order-account-view-*` consumers).
 */
@Injectable()
export class RecordAccount {
  private readonly delay: Histogram<'change'>;
  private readonly newest: Gauge;
  private newestMs = 0;

  constructor(
    private readonly view: AccountView,
    metrics: Metrics,
  ) {
    const registers = [metrics.registry];
    this.delay = new Histogram({
      name: 'account_view_apply_delay_seconds',
      help: 'From a user event to the order module’s account view applying it, by change',
      labelNames: ['change'] as const,
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60],
      registers,
    });
    this.newest = new Gauge({
      name: 'account_view_newest_event_timestamp_seconds',
      help: 'When the newest user event the account view applied happened (Unix time)',
      registers,
    });
  }

  async execute(
    userId: string,
    state: AccountState,
    event: { time: string; change: 'registered' | 'deleted' | 'password-changed' },
  ): Promise<void> {
    await this.view.record(userId, state);
    const happened = Date.parse(event.time);
    if (Number.isNaN(happened)) return; // release 0.1.0's events carry no `time`
    this.delay.observe({ change: event.change }, Math.max(0, Date.now() - happened) / 1000);
    if (happened > this.newestMs) {
      this.newestMs = happened;
      this.newest.set(happened / 1000);
    }
  }
}
