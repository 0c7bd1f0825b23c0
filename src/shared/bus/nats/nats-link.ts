import { Logger, OnApplicationShutdown } from '@nestjs/common';
import {
  jetstream,
  jetstreamManager,
  type JetStreamClient,
  type JetStreamManager,
  RetentionPolicy,
  StorageType,
} from '@nats-io/jetstream';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { ServiceUnavailable } from '../../kernel/domain-error';

export interface NatsLinkOptions {
  url: string;
  /** Prefix of every subject, stream and consumer: several deployments can share one server. */
  namespace: string;
  /** The connection's name as the server shows it. */
  name: string;
  /** Bound on connecting and on every JetStream call. */
  timeoutMs: number;
}

/** Subjects, streams and consumer names of the bus on NATS, within one namespace. */
export function natsNames(namespace: string) {
  return {
    rpc: (pattern: string) => `${namespace}.rpc.${pattern}`,
    event: (type: string) => `${namespace}.events.${type}`,
    broadcast: (pattern: string) => `${namespace}.broadcast.${pattern}`,
    deadLetter: (consumer: string) => `${namespace}.deadletter.${consumer}`,
    consumer: (name: string) => `${namespace}_${name}`,
    eventStream: `${namespace}_EVENTS`,
    eventSubjects: `${namespace}.events.>`,
    deadLetterStream: `${namespace}_DEADLETTER`,
    deadLetterSubjects: `${namespace}.deadletter.>`,
  };
}
export type NatsNames = ReturnType<typeof natsNames>;

/**
 * One process's connection to NATS, shared by the bus client and server: connected once,
 * reconnecting forever in the background, and closed last on shutdown. It also makes sure the
 * two streams exist (idempotent, so every process may do it).
 */
export class NatsLink implements OnApplicationShutdown {
  private readonly logger = new Logger('nats');
  private connecting?: Promise<NatsConnection>;
  private nc?: NatsConnection;
  private js?: JetStreamClient;
  private jsm?: JetStreamManager;

  readonly names: NatsNames;

  constructor(private readonly options: NatsLinkOptions) {
    this.names = natsNames(options.namespace);
  }

  /** Connects (once) and prepares the streams. */
  connection(): Promise<NatsConnection> {
    this.connecting ??= this.open().catch((error: unknown) => {
      this.connecting = undefined;
      throw error;
    });
    return this.connecting;
  }

  async jetstream(): Promise<{ js: JetStreamClient; jsm: JetStreamManager }> {
    await this.connection();
    return { js: this.js!, jsm: this.jsm! };
  }

  private async open(): Promise<NatsConnection> {
    const nc = await connect({
      servers: this.options.url,
      name: this.options.name,
      timeout: this.options.timeoutMs,
      maxReconnectAttempts: -1,
      reconnectTimeWait: 500,
      waitOnFirstConnect: false,
      // Without this, every request and JetStream publish makes an Error up front (two, with a
      // timeout), capturing a stack in case it fails: a measured share of each relayed event's
      // CPU. Failures still say what failed; only the caller's stack is left out.
      noAsyncTraces: true,
    });
    void (async () => {
      for await (const status of nc.status()) {
        if (status.type === 'disconnect' || status.type === 'reconnect')
          this.logger.warn(`nats ${status.type}`);
      }
    })();
    const jsm = await jetstreamManager(nc, { timeout: this.options.timeoutMs });
    await this.ensureStream(jsm, this.names.eventStream, [this.names.eventSubjects], 7);
    await this.ensureStream(jsm, this.names.deadLetterStream, [this.names.deadLetterSubjects], 30);
    this.nc = nc;
    this.jsm = jsm;
    this.js = jetstream(nc, { timeout: this.options.timeoutMs });
    return nc;
  }

  /** File storage, de-duplication by `Nats-Msg-Id` over two minutes, kept `days`. */
  private async ensureStream(
    jsm: JetStreamManager,
    name: string,
    subjects: string[],
    days: number,
  ): Promise<void> {
    const config = {
      name,
      subjects,
      storage: StorageType.File,
      retention: RetentionPolicy.Limits,
      duplicate_window: 120 * 1e9,
      max_age: days * 24 * 3600 * 1e9,
    };
    try {
      await jsm.streams.info(name);
      await jsm.streams.update(name, config);
    } catch {
      await jsm.streams.add(config);
    }
  }

  /** Readiness: the server answers, with JetStream. */
  async ping(): Promise<void> {
    try {
      const { jsm } = await this.jetstream();
      await jsm.getAccountInfo();
    } catch {
      throw new ServiceUnavailable('NATS');
    }
  }

  async onApplicationShutdown(): Promise<void> {
    const nc = this.nc;
    this.nc = undefined;
    this.connecting = undefined;
    if (!nc || nc.isClosed()) return;
    try {
      await nc.drain();
    } catch (error) {
      this.logger.warn(`closing failed: ${String(error)}`);
    }
  }
}
