import { Logger } from '@nestjs/common';
import type { WritePacket } from '@nestjs/microservices';

/** What the local server offers the local client; both sides exchange JSON text only. */
export interface LocalEndpoint {
  request(pattern: string, wire: string): Promise<WritePacket>;
  event(pattern: string, wire: string): Promise<void>;
}

/**
 * The in-process "network" between one app's LocalClient and LocalServer. One broker per
 * application instance, so several apps can live in one test process without crosstalk.
 */
export class LocalBroker {
  private readonly log = new Logger('LocalBus');
  private endpoint?: LocalEndpoint;
  private readonly inFlight = new Set<Promise<unknown>>();

  attach(endpoint: LocalEndpoint): void {
    this.endpoint = endpoint;
  }

  detach(endpoint: LocalEndpoint): void {
    if (this.endpoint === endpoint) this.endpoint = undefined;
  }

  request(pattern: string, wire: string): Promise<WritePacket> {
    if (!this.endpoint) return Promise.resolve({ err: 'The bus is not connected.' });
    return this.endpoint.request(pattern, wire);
  }

  /** Events are handed over asynchronously, as a broker would. */
  event(pattern: string, wire: string): Promise<void> {
    const endpoint = this.endpoint;
    if (!endpoint) return Promise.reject(new Error('The bus is not connected.'));
    const delivery = new Promise<void>((resolve) => setImmediate(resolve)).then(() =>
      endpoint.event(pattern, wire),
    );
    this.inFlight.add(delivery);
    delivery
      .catch((err: unknown) => this.log.error(`event ${pattern} failed: ${String(err)}`))
      .finally(() => this.inFlight.delete(delivery));
    return Promise.resolve();
  }

  /** Resolves when every event handed over so far has been handled (used on shutdown). */
  async drain(): Promise<void> {
    while (this.inFlight.size > 0) await Promise.allSettled([...this.inFlight]);
  }
}
