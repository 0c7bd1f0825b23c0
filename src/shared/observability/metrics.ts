import { Injectable } from '@nestjs/common';
import type { FastifyInstance } from 'fastify';
import { collectDefaultMetrics, Counter, Histogram, Registry } from 'prom-client';

export type HandlerKind = 'request' | 'event';
export type HandlerOutcome = 'ok' | 'error';

/**
 * What a bus server tells about every message it receives (the application's metrics see them
 * through `Metrics.busHandlers`); `reason` is why an unreadable message was set aside
 * (`ParkedMessage`'s reason).
 */
export interface HandlerObserver {
  handled(kind: HandlerKind, pattern: string, outcome: HandlerOutcome, seconds: number): void;
  parked(pattern: string, reason: string): void;
}

const BUS_BUCKETS = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5];

/** One registry per application instance (tests run several in one process). */
@Injectable()
export class Metrics {
  readonly registry = new Registry();
  readonly httpDuration = new Histogram({
    name: 'http_request_duration_seconds',
    help: 'HTTP request duration by route template and status',
    labelNames: ['method', 'route', 'status_code'] as const,
    buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
    registers: [this.registry],
  });

  /** Cross-module requests as the caller sees them; `outcome`: ok, rejected (a domain answer), unavailable. */
  readonly busRequestDuration = this.seconds(
    'bus_request_duration_seconds',
    'Bus requests sent, by pattern and outcome (ok, rejected, unavailable)',
    ['pattern', 'outcome'],
  );
  /** Events published (by the outbox relays), by pattern and outcome (ok, error). */
  readonly busPublishDuration = this.seconds(
    'bus_publish_duration_seconds',
    'Events published on the bus, by pattern and outcome (ok, error)',
    ['pattern', 'outcome'],
  );
  /** Messages handled here: requests answered and events processed, by pattern and outcome. */
  readonly busHandlerDuration = this.seconds(
    'bus_handler_duration_seconds',
    'Bus messages handled in this process, by kind (request, event), pattern and outcome (ok, error)',
    ['kind', 'pattern', 'outcome'],
  );

  /**
   * Messages set aside unread (not JSON, no envelope, a major version this release does not
   * know, a payload its schema refuses), by pattern (`<pattern>.reply` for replies) and reason.
   */
  readonly busParked = new Counter({
    name: 'bus_messages_parked_total',
    help: 'Bus messages set aside unread, by pattern and reason (not-json, no-envelope, unknown-version, invalid-payload)',
    labelNames: ['pattern', 'reason'] as const,
    registers: [this.registry],
  });

  constructor() {
    collectDefaultMetrics({ register: this.registry });
  }

  private seconds<L extends string>(name: string, help: string, labelNames: L[]): Histogram<L> {
    return new Histogram({
      name,
      help,
      labelNames,
      buckets: BUS_BUCKETS,
      registers: [this.registry],
    });
  }

  /** The observer bus servers report handled messages to. */
  readonly busHandlers: HandlerObserver = {
    handled: (kind, pattern, outcome, seconds) =>
      this.busHandlerDuration.observe({ kind, pattern, outcome }, seconds),
    parked: (pattern, reason) => this.busParked.inc({ pattern, reason }),
  };

  /** Times every request by its route template (never the raw path, so labels stay bounded). */
  instrument(fastify: FastifyInstance): void {
    fastify.addHook('onResponse', (request, reply, done) => {
      const route = request.routeOptions.url ?? 'unmatched';
      this.httpDuration.observe(
        { method: request.method, route, status_code: String(reply.statusCode) },
        reply.elapsedTime / 1000,
      );
      done();
    });
  }
}
