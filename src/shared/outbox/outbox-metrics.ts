import { performance } from 'node:perf_hooks';
import { Global, Injectable, Module } from '@nestjs/common';
import { Counter, Gauge } from 'prom-client';
import { Metrics } from '../observability/metrics';

export interface OutboxStats {
  pending: number;
  failed: number;
  oldestPendingSeconds: number;
}

/** A scrape reads each outbox once for its three gauges: reads this close together are one. */
const SCRAPE_MS = 1000;

/** Outbox figures for every module's relay in this process, read at scrape time. */
@Injectable()
export class OutboxMetrics {
  private readonly sources = new Map<string, () => Promise<OutboxStats>>();
  private lastRead?: { at: number; stats: Promise<Map<string, OutboxStats>> };
  readonly published: Counter<'module'>;
  readonly failures: Counter<'module'>;

  constructor(metrics: Metrics) {
    const registers = [metrics.registry];
    const gauge = (name: string, help: string, pick: (s: OutboxStats) => number) => {
      const read = () => this.read();
      return new Gauge({
        name,
        help,
        labelNames: ['module'] as const,
        registers,
        async collect() {
          for (const [module, stats] of await read()) this.set({ module }, pick(stats));
        },
      });
    };
    gauge('outbox_pending_events', 'Events in the outbox not yet published', (s) => s.pending);
    gauge(
      'outbox_failed_events',
      'Events parked as failed after too many attempts (replay: npm run outbox -- replay)',
      (s) => s.failed,
    );
    gauge(
      'outbox_oldest_pending_age_seconds',
      'Age of the oldest event not yet published',
      (s) => s.oldestPendingSeconds,
    );
    this.published = new Counter({
      name: 'outbox_published_total',
      help: 'Events published from the outbox',
      labelNames: ['module'] as const,
      registers,
    });
    this.failures = new Counter({
      name: 'outbox_publish_failures_total',
      help: 'Failed attempts to publish an outbox event',
      labelNames: ['module'] as const,
      registers,
    });
  }

  track(module: string, read: () => Promise<OutboxStats>): void {
    this.sources.set(module, read);
  }

  /**
   * Every tracked outbox's figures (one that cannot be read is left out, its gauges keeping
   * their last values), shared by the reads of one scrape.
   */
  private read(): Promise<Map<string, OutboxStats>> {
    // A monotonic clock: a wall clock set back would keep the gauges from being read again.
    const now = performance.now();
    if (this.lastRead && now - this.lastRead.at < SCRAPE_MS) return this.lastRead.stats;
    const stats = (async () => {
      const figures = new Map<string, OutboxStats>();
      for (const [module, read] of this.sources) {
        const stats = await read().catch(() => undefined);
        if (stats) figures.set(module, stats);
      }
      return figures;
    })();
    this.lastRead = { at: now, stats };
    return stats;
  }
}

/** The outbox figures, one set for the process: every module's outbox reports to it. */
@Global()
@Module({ providers: [OutboxMetrics], exports: [OutboxMetrics] })
export class OutboxMetricsModule {}
