import { Schema } from 'mongoose';
import { Client, type QueryResultRow } from 'pg';
import { addOutbox, type OutboxFields } from './mongo-outbox';
import { MongoOutboxRepository } from './mongo-outbox-repository';
import { EmbeddedPostgres } from '../persistence/embedded-postgres';
import { isMongoUrl, MongoDatabase } from '../persistence/mongo-database';
import type { OutboxRepository } from './outbox-repository';
import { PostgresOutboxRepository } from './postgres-outbox-repository';

export interface OutboxTarget {
  module: string;
  /** `postgres://…` or `mongodb://…`; without it, the embedded PGlite under `dataDir`. */
  url?: string;
  dataDir: string;
  /** The module's Postgres schema. */
  schema: string;
  /** The MongoDB collection whose documents embed the module's outbox (modules on MongoDB). */
  collection?: string;
  timeoutMs: number;
}

/**
 * Opens one module's outbox for the operator's command: on its Postgres schema, on its MongoDB
 * collection, or on its schema of the embedded PGlite (the app must be stopped first: PGlite
 * allows one process).
 */
export async function withOutbox<T>(
  target: OutboxTarget,
  work: (outbox: OutboxRepository) => Promise<T>,
): Promise<T> {
  if (isMongoUrl(target.url)) {
    if (!target.collection) throw new Error(`the ${target.module} module has no outbox on MongoDB`);
    const db = await MongoDatabase.open({
      module: target.module,
      url: target.url,
      timeoutMs: target.timeoutMs,
    });
    try {
      const schema = new Schema<OutboxFields>(
        { _id: String },
        { collection: target.collection, versionKey: false, strict: false },
      );
      addOutbox(schema);
      return await work(new MongoOutboxRepository(db.model<OutboxFields>('OutboxAdmin', schema)));
    } finally {
      await db.onApplicationShutdown();
    }
  }
  if (target.url) {
    const client = new Client({
      connectionString: target.url,
      options: `-c search_path="${target.schema}"`,
    });
    await client.connect();
    try {
      return await work(
        new PostgresOutboxRepository(
          async <Row extends QueryResultRow>(_name: string, text: string, values: unknown[]) =>
            (await client.query<Row>(text, values)).rows,
        ),
      );
    } finally {
      await client.end();
    }
  }
  const db = await EmbeddedPostgres.acquire(target.dataDir);
  try {
    return await work(
      new PostgresOutboxRepository(
        <Row extends QueryResultRow>(_name: string, text: string, values: unknown[]) =>
          db.query<Row>(target.schema, text, values),
      ),
    );
  } finally {
    await db.release();
  }
}
