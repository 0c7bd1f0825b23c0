import { Controller, Get, Res } from '@nestjs/common';
import { ApiExcludeController } from '@nestjs/swagger';
import { HealthCheckService, HealthIndicatorService } from '@nestjs/terminus';
import type { FastifyReply } from 'fastify';
import { Public } from '../security/auth.guard';
import { PROBLEM_CONTENT_TYPE, problem, problemHeaders } from '../http/problem';
import { EventLoopMonitor, STALL_WINDOW_MS } from '../observability/event-loop';
import { Readiness } from '../observability/readiness';

const CHECK_TIMEOUT_MS = 2000;

@ApiExcludeController()
@Public()
@Controller()
export class HealthController {
  constructor(
    private readonly health: HealthCheckService,
    private readonly indicators: HealthIndicatorService,
    private readonly readiness: Readiness,
    private readonly eventLoop: EventLoopMonitor,
  ) {}

  /**
   * Liveness: the process serves, and its event loop has not been blocked beyond
   * HEALTH_MAX_EVENT_LOOP_DELAY_MS within the last 10 s. Dependencies are not checked here (a
   * restart would not bring a database back); `/ready` does that.
   */
  @Get('health')
  live(@Res() reply: FastifyReply): void {
    const stalledMs = this.eventLoop.recentStallMs();
    if (stalledMs === 0) {
      void reply.status(200).send({ status: 'ok' });
      return;
    }
    void reply
      .status(503)
      .headers(problemHeaders(503, {}))
      .header('content-type', PROBLEM_CONTENT_TYPE)
      .send(
        JSON.stringify({
          ...problem(
            503,
            `The event loop was blocked for ${stalledMs} ms within the last ${STALL_WINDOW_MS / 1000} s ` +
              `(limit ${this.eventLoop.thresholdMs} ms).`,
            { requestId: reply.request.id },
          ),
          eventLoopBlockedMs: stalledMs,
        }),
      );
  }

  /** Readiness: every dependency of the modules loaded here answers. */
  @Get('ready')
  async ready(@Res() reply: FastifyReply): Promise<void> {
    if (this.readiness.isShuttingDown) {
      return this.notReady(reply, 'The process is shutting down.', {});
    }
    const checks = this.readiness.entries().map(([name, check]) => () => {
      const indicator = this.indicators.check(name);
      return withTimeout(check(), CHECK_TIMEOUT_MS).then(
        () => indicator.up(),
        () => indicator.down({ message: `${name} is unreachable` }),
      );
    });
    try {
      const result = await this.health.check(checks);
      void reply.status(200).send({ status: 'ok', checks: result.details });
    } catch (error) {
      const details =
        (
          error as { getResponse?: () => { details?: Record<string, { status: string }> } }
        ).getResponse?.().details ?? {};
      const failed = Object.entries(details)
        .filter(([, d]) => d.status !== 'up')
        .map(([name]) => name);
      return this.notReady(reply, `Not ready: ${failed.join(', ')} unreachable.`, details);
    }
  }

  private notReady(reply: FastifyReply, detail: string, checks: object): void {
    void reply
      .status(503)
      .headers(problemHeaders(503, {}))
      .header('content-type', PROBLEM_CONTENT_TYPE)
      .send(JSON.stringify({ ...problem(503, detail, { requestId: reply.request.id }), checks }));
  }
}

function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('timeout')), ms);
    promise.then(resolve, reject).finally(() => clearTimeout(timer));
  });
}
