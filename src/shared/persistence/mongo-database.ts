import { Logger, OnApplicationShutdown } from '@nestjs/common';
import mongoose, { type Connection, type Model, type Schema } from 'mongoose';
import { ServiceUnavailable } from '../kernel/domain-error';

export interface MongoDatabaseOptions {
  /** The module that owns this database, e.g. `order`. */
  module: string;
  /** `mongodb://…` or `mongodb+srv://…`; the database is the URL's path. */
  url: string;
  /** Bound on selecting a server, connecting, and every operation. */
  timeoutMs: number;
}

/**
 * One module's own MongoDB connection through mongoose. Commands are never buffered while the
 * server is away: they fail within `timeoutMs` (a 503 at the edge) and the driver reconnects by
 * itself when the server returns. No transactions are used, so a standalone `mongod` serves.
 */
export class MongoDatabase implements OnApplicationShutdown {
  private readonly logger: Logger;

  private constructor(
    readonly module: string,
    readonly connection: Connection,
  ) {
    this.logger = new Logger(`${module}-db`);
  }

  static async open(options: MongoDatabaseOptions): Promise<MongoDatabase> {
    const connection = mongoose.createConnection(options.url, {
      appName: `cleave-${options.module}`,
      bufferCommands: false,
      autoIndex: false,
      autoCreate: false,
      serverSelectionTimeoutMS: options.timeoutMs,
      connectTimeoutMS: options.timeoutMs,
      socketTimeoutMS: options.timeoutMs + 500,
      // A retry would wait for the server again and double the bound: the caller decides.
      retryReads: false,
      retryWrites: false,
      // Notice a returning server within seconds, not the driver's default 10 s.
      heartbeatFrequencyMS: 2000,
      maxPoolSize: 20,
    });
    try {
      await connection.asPromise();
    } catch (error) {
      await connection.close().catch(() => undefined);
      throw error;
    }
    return new MongoDatabase(options.module, connection);
  }

  /** The model `name` of `schema` on this connection, compiled on first use. */
  model<Doc>(name: string, schema: Schema<Doc>): Model<Doc> {
    const compiled = this.connection.models as Partial<Record<string, Model<Doc>>>;
    return compiled[name] ?? this.connection.model<Doc>(name, schema);
  }

  /** Readiness: one round trip. */
  async ping(): Promise<void> {
    try {
      await this.connection.db!.command({ ping: 1 });
    } catch {
      throw new ServiceUnavailable(`The ${this.module} database`);
    }
  }

  async onApplicationShutdown(): Promise<void> {
    try {
      await this.connection.close();
    } catch (error) {
      this.logger.error(`closing failed: ${String(error)}`);
    }
  }
}

/** Whether `url` selects MongoDB rather than Postgres. */
export function isMongoUrl(url: string | undefined): url is string {
  return url !== undefined && /^mongodb(\+srv)?:\/\//.test(url);
}
