import { Inject, Injectable, Logger } from '@nestjs/common';
import { performance } from 'node:perf_hooks';
import { BUS_CONFIG, type BusConfig } from '../config/app-config';
import { DomainError, ErrorKind, isUnavailable, ServiceUnavailable } from '../kernel/domain-error';
import { currentHeaders, sendTraced } from '../observability/bus-context';
import { Metrics } from '../observability/metrics';
import { Breakers } from '../resilience/breakers';
import { BusEvent, isBusErrorPayload } from './bus-event';
import type { WireMessage } from './bus-handler';
import type { BroadcastContract, RequestContract } from './contract';
import { isParked } from './parking';
import { attributesOf, readReply, type WireReply } from './reading';
import type { BusClient, ConsumerLag } from './transport-types';
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
  /** Who asks, in every request's `ce-source`: the modules this process runs. */
  private readonly from: string;

  constructor(
    @Inject(BUS_TRANSPORT) private readonly transport: BusTransport,
    @Inject(BUS_CONFIG) config: BusConfig,
    private readonly breakers: Breakers,
    private readonly metrics: Metrics,
  ) {
    this.client = transport.client;
    this.from = config.source;
  }

  /**
   * Sends a request to whichever module answers it, and reads the reply against the contract;
   * rejects with a DomainError. Each pattern has a circuit breaker: while the answering module
   * is failing, requests fail fast with 503. Domain answers (401, 404, 409…) are answers, not
   * failures; a reply this release cannot read (a newer or misbehaving peer) is a failure.
   */
  async request<Q, R>(contract: RequestContract<Q, R>, payload: Q): Promise<R> {
    const pattern = contract.name;
    const service = `The ${contract.owner} service`;
    const started = performance.now();
    let outcome = 'unavailable';
    try {
      const result = await this.breakers.run(
        `bus.${pattern}`,
        service,
        () =>
          sendTraced(pattern, 'request', (headers) =>
            // `headers` is this message's own: the attributes join it rather than a copy.
            this.send(
              contract,
              payload,
              Object.assign(headers, attributesOf(contract, { from: this.from })),
            ),
          ),
        isTransportFailure,
      );
      outcome = 'ok';
      return result;
    } catch (error) {
      if (!isTransportFailure(error)) outcome = 'rejected';
      throw error;
    } finally {
      this.metrics.busRequestDuration.observe(
        { pattern, outcome },
        (performance.now() - started) / 1000,
      );
    }
  }

  private async send<Q, R>(
    contract: RequestContract<Q, R>,
    payload: Q,
    headers: WireMessage['headers'],
  ): Promise<R> {
    const service = `The ${contract.owner} service`;
    let reply: WireReply;
    try {
      reply = await this.client.request(contract.name, { data: payload, headers });
    } catch (error) {
      this.logger.warn(`bus request ${contract.name} failed: ${describe(error)}`);
      throw new ServiceUnavailable(service);
    }
    if (reply.err !== undefined && reply.err !== null) {
      if (isBusErrorPayload(reply.err)) {
        throw new DomainError(reply.err.code, reply.err.kind as ErrorKind, reply.err.message);
      }
      this.logger.warn(`bus request ${contract.name} failed: ${describe(reply.err)}`);
      throw new ServiceUnavailable(service);
    }
    try {
      return readReply(contract, reply);
    } catch (error) {
      if (!isParked(error)) throw error;
      this.metrics.busParked.inc({ pattern: `${contract.name}.reply`, reason: error.reason });
      this.logger.warn(`reply to ${contract.name} set aside unread: ${error.message}`);
      throw new ServiceUnavailable(service);
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
        (headers) => this.client.event(event.type, { data: event, headers }),
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
  async broadcast<D>(contract: BroadcastContract<D>, data: D): Promise<void> {
    await this.client.broadcast(contract.name, {
      data,
      headers: { ...currentHeaders(), ...attributesOf(contract) },
    });
  }

  /**
   * Resolves true once the broadcasts under `contract` sent before this process started (and
   * kept: NATS) have reached its handlers; false on a transport that keeps none (`local`).
   */
  broadcastsReplayed(contract: BroadcastContract): Promise<boolean> {
    return this.transport.broadcastsReplayed(contract.name);
  }

  /** How far behind each durable event consumer of this process is (none on `local`). */
  lag(): Promise<ConsumerLag[]> {
    return this.transport.lag();
  }

  /**
   * Resolves true once every handler of a published event is done, or false after
   * `timeoutMs`: immediately on the local transport, where publishing already waits for them.
   */
  awaitHandled(event: BusEvent, receipt: unknown, timeoutMs: number): Promise<boolean> {
    return this.transport.awaitHandled(event, receipt, timeoutMs);
  }
}

/** A failure of the path to the other module (timeout, no responder, its database down), not an answer. */
function isTransportFailure(error: unknown): boolean {
  return !(error instanceof DomainError) || isUnavailable(error);
}

function describe(error: unknown): string {
  if (error instanceof Error) return error.message;
  return typeof error === 'string' ? error : JSON.stringify(error);
}
