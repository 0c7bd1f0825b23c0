import { Inject, Injectable, OnApplicationShutdown, OnModuleInit } from '@nestjs/common';
import { performance } from 'node:perf_hooks';
import { OBSERVABILITY_CONFIG, type ObservabilityConfig } from '../config/app-config';

const TICK_MS = 100;
/** How long a stall keeps liveness failing: long enough for a probe period to see it. */
export const STALL_WINDOW_MS = 10_000;

/**
 * Watches the event loop with a 100 ms ticker: a tick that comes late by more than the
 * threshold means the loop was blocked that long (a CPU-bound loop, a synchronous call gone
 * wrong). Liveness fails while such a stall lies within the last 10 s, or one is in progress.
 */
@Injectable()
export class EventLoopMonitor implements OnModuleInit, OnApplicationShutdown {
  private timer?: NodeJS.Timeout;
  private last = performance.now();
  private stalls: Array<{ at: number; ms: number }> = [];

  constructor(@Inject(OBSERVABILITY_CONFIG) private readonly config: ObservabilityConfig) {}

  get thresholdMs(): number {
    return this.config.maxEventLoopDelayMs;
  }

  onModuleInit(): void {
    this.last = performance.now();
    this.timer = setInterval(() => this.tick(), TICK_MS);
    this.timer.unref();
  }

  onApplicationShutdown(): void {
    clearInterval(this.timer);
  }

  private tick(): void {
    const now = performance.now();
    const late = now - this.last - TICK_MS;
    this.last = now;
    if (late > this.thresholdMs) this.stalls.push({ at: now, ms: late });
    this.stalls = this.stalls.filter((s) => now - s.at <= STALL_WINDOW_MS);
  }

  /** The longest stall beyond the threshold within the window (0: none). */
  recentStallMs(): number {
    const now = performance.now();
    const current = now - this.last - TICK_MS;
    const recent = this.stalls.filter((s) => now - s.at <= STALL_WINDOW_MS).map((s) => s.ms);
    const worst = Math.max(0, current > this.thresholdMs ? current : 0, ...recent);
    return Math.round(worst);
  }
}
