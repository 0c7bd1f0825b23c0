import type { WireReply } from '../reading';

/** What the local server offers the local client; both sides exchange JSON text only. */
export interface LocalEndpoint {
  request(pattern: string, wire: string): Promise<WireReply>;
  /** Resolves once every handler of the event has finished; rejects if any failed. */
  event(pattern: string, wire: string): Promise<void>;
}

/**
 * The in-process "network" between one app's LocalClient and LocalServer. One broker per
 * application instance, so several apps can live in one test process without crosstalk.
 */
export class LocalBroker {
  private endpoint?: LocalEndpoint;

  attach(endpoint: LocalEndpoint): void {
    this.endpoint = endpoint;
  }

  detach(endpoint: LocalEndpoint): void {
    if (this.endpoint === endpoint) this.endpoint = undefined;
  }

  request(pattern: string, wire: string): Promise<WireReply> {
    if (!this.endpoint) return Promise.reject(new Error('The bus is not connected.'));
    return this.endpoint.request(pattern, wire);
  }

  /**
   * Delivers an event to every handler and settles when they have: the in-process equivalent
   * of an acknowledgement, so the outbox marks an event sent only once it was handled.
   */
  event(pattern: string, wire: string): Promise<void> {
    if (!this.endpoint) return Promise.reject(new Error('The bus is not connected.'));
    return this.endpoint.event(pattern, wire);
  }
}
