import { Inject, Injectable, Logger } from '@nestjs/common';
import { firstValueFrom, timeout, TimeoutError } from 'rxjs';
import { APP_CONFIG, type AppConfig } from '../config/config';
import { DomainError, ErrorKind, isUnavailable, ServiceUnavailable } from '../http/domain-error';
import { currentHeaders, sendTraced } from '../observability/bus-context';
import { Metrics } from '../observability/metrics';
import { Breakers } from '../resilience/breakers';
import { BusEvent, isBusErrorPayload } from './bus-event';
import type { WireMessage } from './bus-handler';
import type { BusClient } from './transport-types';
import type { BusTransport } from './transport';

/** DI token of the application's transport (`transport.ts`). */
export const BUS_TRANSPORT = Symbol('BUS_TRANSPORT');

/**
 * What modules use to talk to each other: request/reply with a timeout, and events.
 * The transport behind it (in-process or NATS) is chosen by configuration alone.
 */
@Injectable()
export class Bus {
  private readonly logger = new Logger(Bus.name);
  private readonly client: BusClient;

  constructor(
    @Inject(BUS_TRANSPORT) private readonly transport: BusTransport,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly breakers: Breakers,
    private readonly metrics: Metrics,
  ) {
    this.client = transport.client;
  }

  /**
   * Sends a request to whichever module answers `pattern`; rejects with a DomainError. Each
   * pattern has a circuit breaker: while the answering module is failing, requests fail fast
   * with 503. Domain answers (401, 404, 409…) are answers, not failures.
   */
  async request<TResult, TPayload = unknown>(pattern: string, payload: TPayload): Promise<TResult> {
    const service = `The ${pattern.split('.')[0]} service`;
    const stop = this.metrics.busRequestDuration.startTimer({ pattern });
    let outcome = 'unavailable';
    try {
      const result = await this.breakers.run(
        `bus.${pattern}`,
        service,
        () =>
          sendTraced(pattern, 'request', (headers) =>
            this.send<TResult>(pattern, payload, headers),
          ),
        isTransportFailure,
      );
      outcome = 'ok';
      return result;
    } catch (error) {
      if (!isTransportFailure(error)) outcome = 'rejected';
      throw error;
    } finally {
      stop({ outcome });
    }
  }

  private async send<TResult>(
    pattern: string,
    payload: unknown,
    headers: WireMessage['headers'],
  ): Promise<TResult> {
    try {
      return await firstValueFrom(
        this.client
          .send<TResult, WireMessage>(pattern, { data: payload, headers })
          .pipe(timeout(this.config.BUS_TIMEOUT_MS)),
      );
    } catch (error) {
      if (isBusErrorPayload(error)) {
        throw new DomainError(error.code, error.kind as ErrorKind, error.message);
      }
      if (!(error instanceof TimeoutError)) {
        this.logger.warn(`bus request ${pattern} failed: ${describe(error)}`);
      }
      throw new ServiceUnavailable(`The ${pattern.split('.')[0]} service`);
    }
  }

  /**
   * Publishes an event; resolves once the transport took it (local: every handler is done;
   * NATS: JetStream stored it), with the transport's receipt for `awaitHandled`.
   */
  async publish(event: BusEvent): Promise<unknown> {
    const stop = this.metrics.busPublishDuration.startTimer({ pattern: event.type });
    let outcome = 'error';
    try {
      const receipt = await sendTraced(
        event.type,
        'event',
        (headers) =>
          firstValueFrom(
            this.client.emit<unknown, WireMessage>(event.type, { data: event, headers }),
            {
              defaultValue: undefined,
            },
          ),
        event.context ?? {},
      );
      outcome = 'ok';
      return receipt;
    } finally {
      stop({ outcome });
    }
  }

  /**
   * Sends `data` to every process that handles `pattern` with `@EventPattern(pattern,
   * { broadcast: true })`: each replica of each module receives it, not one of a group. Not
   * stored: a process that is away misses it, so what it says must also be learnt another way.
   */
  async broadcast(pattern: string, data: unknown): Promise<void> {
    await this.client.broadcast(pattern, { data, headers: currentHeaders() });
  }

  /**
   * Resolves true once every handler of a published event is done, or false after
   * `timeoutMs`: immediately on the local transport, where publishing already waits for them.
   */
  awaitHandled(event: BusEvent, receipt: unknown, timeoutMs: number): Promise<boolean> {
    return this.transport.awaitHandled(event, receipt, timeoutMs);
  }
}

/** A failure of the path to the other module (timeout, no responder, its store down), not an answer. */
function isTransportFailure(error: unknown): boolean {
  return !(error instanceof DomainError) || isUnavailable(error);
}

function describe(error: unknown): string {
  if (error instanceof Error) return error.message;
  return typeof error === 'string' ? error : JSON.stringify(error);
}
