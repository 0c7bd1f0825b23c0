import { Injectable } from '@nestjs/common';
import type { FastifyInstance } from 'fastify';
import { collectDefaultMetrics, Histogram, Registry } from 'prom-client';
import type { HandlerObserver } from '../bus/bus-handler';

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
  readonly busRequestDuration = new Histogram({
    name: 'bus_request_duration_seconds',
    help: 'Bus requests sent, by pattern and outcome (ok, rejected, unavailable)',
    labelNames: ['pattern', 'outcome'] as const,
    buckets: BUS_BUCKETS,
    registers: [this.registry],
  });
  /** Events published (by the outbox relays), by pattern and outcome (ok, error). */
  readonly busPublishDuration = new Histogram({
    name: 'bus_publish_duration_seconds',
    help: 'Events published on the bus, by pattern and outcome (ok, error)',
    labelNames: ['pattern', 'outcome'] as const,
    buckets: BUS_BUCKETS,
    registers: [this.registry],
  });
  /** Messages handled here: requests answered and events processed, by pattern and outcome. */
  readonly busHandlerDuration = new Histogram({
    name: 'bus_handler_duration_seconds',
    help: 'Bus messages handled in this process, by kind (request, event), pattern and outcome (ok, error)',
    labelNames: ['kind', 'pattern', 'outcome'] as const,
    buckets: BUS_BUCKETS,
    registers: [this.registry],
  });

  constructor() {
    collectDefaultMetrics({ register: this.registry });
  }

  /** The observer bus servers report handled messages to. */
  readonly busHandlers: HandlerObserver = {
    handled: (kind, pattern, outcome, seconds) =>
      this.busHandlerDuration.observe({ kind, pattern, outcome }, seconds),
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
