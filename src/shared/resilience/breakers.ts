import { Global, Inject, Injectable, Logger, Module, OnApplicationShutdown } from '@nestjs/common';
import CircuitBreaker from 'opossum';
import { Counter, Gauge } from 'prom-client';
import { BREAKERS_CONFIG, type BreakersConfig } from '../config/app-config';
import { ServiceUnavailable } from '../kernel/domain-error';
import { Metrics } from '../observability/metrics';

type Work = () => Promise<unknown>;

/** `circuit_breaker_state`: 0 closed, 1 half-open (one trial call), 2 open (failing fast). */
const STATE = { closed: 0, halfOpen: 1, open: 2 } as const;

/** What `circuit_breaker_events_total` counts (its `event` label). */
type BreakerEvent = 'success' | 'failure' | 'reject' | 'open' | 'half_open' | 'close';

/**
 * One circuit breaker (opossum) per dependency: a cross-module request pattern or a gateway
 * upstream. After BREAKER_MIN_REQUESTS calls in the rolling window with BREAKER_ERROR_PERCENT
 * failing, it opens and calls fail at once with 503 for BREAKER_RESET_MS; then one trial call
 * decides whether it closes again. State and events are in `/metrics`.
 */
@Injectable()
export class Breakers implements OnApplicationShutdown {
  private readonly logger = new Logger('breaker');
  private readonly breakers = new Map<string, CircuitBreaker<[Work], unknown>>();
  /**
   * Each breaker's events so far, by name: plain numbers, counted on every call, and read by
   * `circuit_breaker_events_total` when scraped (prom-client's `inc` validates and hashes its
   * labels each time, and this runs for every call through the gateway and the bus).
   */
  private readonly counts = new Map<string, Record<BreakerEvent, number>>();
  private readonly state: Gauge<'name'>;

  constructor(
    @Inject(BREAKERS_CONFIG) private readonly config: BreakersConfig,
    metrics: Metrics,
  ) {
    this.state = new Gauge({
      name: 'circuit_breaker_state',
      help: 'Circuit breaker state: 0 closed, 1 half-open, 2 open',
      labelNames: ['name'] as const,
      registers: [metrics.registry],
    });
    const counts = this.counts;
    new Counter({
      name: 'circuit_breaker_events_total',
      help: 'Circuit breaker events: success, failure, reject (failed fast), open, half_open, close',
      labelNames: ['name', 'event'] as const,
      registers: [metrics.registry],
      collect(this: Counter<'name' | 'event'>) {
        this.reset();
        for (const [name, events] of counts) {
          for (const [event, total] of Object.entries(events)) {
            if (total > 0) this.inc({ name, event }, total);
          }
        }
      },
    });
  }

  /**
   * Runs `work` through the breaker `name`. An error for which `isFailure` is false (a valid
   * answer such as 404 or 409) passes through without counting against the dependency. An
   * open breaker rejects with ServiceUnavailable(`what`) without running `work`.
   */
  run<T>(
    name: string,
    what: string,
    work: () => Promise<T>,
    isFailure: (error: unknown) => boolean = () => true,
  ): Promise<T> {
    return (this.get(name, isFailure).fire(work) as Promise<T>).catch((error: unknown) => {
      if ((error as { code?: string } | null)?.code === 'EOPENBREAKER')
        throw new ServiceUnavailable(what);
      throw error;
    });
  }

  /** Whether calls to `name` currently fail fast. */
  isOpen(name: string): boolean {
    return this.breakers.get(name)?.opened ?? false;
  }

  /** Stops every breaker's rolling-window timers. */
  shutdown(): void {
    for (const breaker of this.breakers.values()) breaker.shutdown();
  }

  onApplicationShutdown(): void {
    this.shutdown();
  }

  private get(
    name: string,
    isFailure: (error: unknown) => boolean,
  ): CircuitBreaker<[Work], unknown> {
    let breaker = this.breakers.get(name);
    if (breaker) return breaker;
    breaker = new CircuitBreaker<[Work], unknown>((work) => work(), {
      name,
      timeout: false, // every call is bounded by its own timeout (bus, database, proxy)
      errorThresholdPercentage: this.config.errorPercent,
      volumeThreshold: this.config.minRequests,
      resetTimeout: this.config.resetMs,
      rollingCountTimeout: 10_000,
      errorFilter: (error: unknown) => !isFailure(error),
      // Neither is read. With them, opossum sorts the latency of every call in its window once a
      // second (its snapshots) and on every failure (its percentiles): with 25,000 calls in the
      // window (a gateway at 2,500 requests a second), a failed call cost 2.1 ms of CPU, 11 µs
      // without.
      enableSnapshots: false,
      rollingPercentilesEnabled: false,
    });
    const counts: Record<BreakerEvent, number> = {
      success: 0,
      failure: 0,
      reject: 0,
      open: 0,
      half_open: 0,
      close: 0,
    };
    this.counts.set(name, counts);
    this.state.set({ name }, STATE.closed);
    breaker.on('success', () => counts.success++);
    breaker.on('failure', () => counts.failure++);
    breaker.on('reject', () => counts.reject++);
    breaker.on('open', () => {
      counts.open++;
      this.state.set({ name }, STATE.open);
      this.logger.warn(`${name} opened: failing fast for ${this.config.resetMs} ms`);
    });
    breaker.on('halfOpen', () => {
      counts.half_open++;
      this.state.set({ name }, STATE.halfOpen);
    });
    breaker.on('close', () => {
      counts.close++;
      this.state.set({ name }, STATE.closed);
      this.logger.log(`${name} closed`);
    });
    this.breakers.set(name, breaker);
    return breaker;
  }
}

/** The breakers, one set for the process: the bus and the gateway run through them. */
@Global()
@Module({ providers: [Breakers], exports: [Breakers] })
export class BreakersModule {}
