import { randomUUID } from 'node:crypto';
import { cp, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { Schema } from 'mongoose';
import type { MigrationInterface, QueryRunner } from 'typeorm';
import type { BusEvent } from '../../src/shared/bus/bus-event';
import { anyEvent } from '../support/bus-events';
import { Metrics } from '../../src/shared/observability/metrics';
import { EmbeddedPostgres } from '../../src/shared/persistence/embedded-postgres';
import {
  ModuleDatabase,
  type TransactionQuery,
} from '../../src/shared/persistence/module-database';
import {
  claimOutboxInSeqOrder,
  createOutboxTable,
  eventsParam,
  outboxRoomForLeases,
  QUEUE_EVENTS_SQL,
} from '../../src/shared/outbox/postgres-outbox';
import { OutboxMetrics, type OutboxStats } from '../../src/shared/outbox/outbox-metrics';
import { OutboxRelay } from '../../src/shared/outbox/outbox-relay';
import type { OutboxRepository } from '../../src/shared/outbox/outbox-repository';
import { PostgresOutboxRepository } from '../../src/shared/outbox/postgres-outbox-repository';
import { addOutbox, newOutbox, type OutboxFields } from '../../src/shared/outbox/mongo-outbox';
import { MongoOutboxRepository } from '../../src/shared/outbox/mongo-outbox-repository';
import { MongoDatabase } from '../../src/shared/persistence/mongo-database';
import { eventually } from '../support/api';
import { FAST_RELAY_OPTIONS, RecordingBus, testRelay } from '../support/recording-bus';
import { PGLITE_TEMPLATE } from '../support/pglite-template';
import { adminQuery, SERVICES, Shape, databaseTargets } from '../support/services';
import { dropMongoDatabase, mongoDatabaseUrl } from '../support/mongo';

class OutboxOnly1700000000000 implements MigrationInterface {
  name = 'OutboxOnly1700000000000';
  async up(db: QueryRunner): Promise<void> {
    await createOutboxTable(db);
    await claimOutboxInSeqOrder(db);
    await outboxRoomForLeases(db);
  }
  async down(db: QueryRunner): Promise<void> {
    await db.query('DROP TABLE outbox');
  }
}

const OPTIONS = FAST_RELAY_OPTIONS;

type Status = { status: 'pending' | 'sent' | 'failed'; attempts: number } | undefined;

/** One outbox adapter under test: the repository, how events enter it, and what became of one. */
interface Harness {
  repository: OutboxRepository;
  /** The repository as another replica's relay has it (on MongoDB, a lease owner of its own). */
  replica(): OutboxRepository;
  queue(events: BusEvent[]): Promise<void>;
  statusOf(id: string): Promise<Status>;
  close(): Promise<void>;
}

/** The Postgres harness can also say how many of the table's rows a claim or the stats read. */
interface PostgresHarness extends Harness {
  claimCost(
    batch: number,
  ): Promise<{ claimed: number; rowsRead: number; updated: number; inPlace: number }>;
  statsCost(): Promise<{ stats: OutboxStats; rowsRead: number }>;
  /** Marks every entry sent, as if relayed, kept for its retention. */
  sendAll(): Promise<void>;
  /** Vacuums and analyses the table, as autovacuum does. */
  vacuum(): Promise<void>;
}

async function postgresHarness(store: Shape): Promise<PostgresHarness> {
  const dataDir = await mkdtemp(join(tmpdir(), 'cleave-outbox-'));
  let database: string | undefined;
  let url: string | undefined;
  if (store === 'postgres') {
    database = `cleave_t_outbox_${randomUUID().slice(0, 8)}`;
    await adminQuery(`CREATE DATABASE ${database}`);
    const parsed = new URL(SERVICES.postgres);
    parsed.pathname = `/${database}`;
    url = parsed.toString();
  } else {
    await cp(PGLITE_TEMPLATE, EmbeddedPostgres.directory(dataDir), { recursive: true });
  }
  const db = await ModuleDatabase.open({
    module: 'outboxtest',
    url,
    dataDir,
    schema: 'cleave_outboxtest',
    migrations: [OutboxOnly1700000000000],
    timeoutMs: 5000,
  });
  return {
    repository: new PostgresOutboxRepository(db.sql.bind(db)),
    replica: () => new PostgresOutboxRepository(db.sql.bind(db)),
    queue: async (events) => {
      await db.transaction((query) => query(QUEUE_EVENTS_SQL, [eventsParam(events)]));
    },
    statusOf: async (id) =>
      (
        await db.sql<NonNullable<Status>>(
          't-status',
          'SELECT status, attempts FROM outbox WHERE id = $1',
          [id],
        )
      )[0],
    // In one transaction, on one connection, whose counts say how many rows each read.
    claimCost: (batch) =>
      db.transaction(async (query) => {
        const before = await tableCounts(query);
        const claimed = await query('SELECT seq FROM outbox_claim($1, 60000)', [batch]);
        const after = await tableCounts(query);
        return {
          claimed: claimed.length,
          rowsRead: after.read - before.read,
          updated: after.updated - before.updated,
          inPlace: after.inPlace - before.inPlace,
        };
      }),
    statsCost: () =>
      db.transaction(async (query) => {
        const inTransaction = new PostgresOutboxRepository((_name, text, values) =>
          query(text, values),
        );
        const before = await tableCounts(query);
        const stats = await inTransaction.stats();
        return { stats, rowsRead: (await tableCounts(query)).read - before.read };
      }),
    sendAll: async () => {
      await db.sql('t-send-all', `UPDATE outbox SET status = 'sent', sent_at = now()`, []);
    },
    vacuum: async () => {
      await db.sql('t-vacuum', 'VACUUM (ANALYZE) outbox', []);
    },
    async close() {
      await db.onApplicationShutdown();
      await rm(dataDir, { recursive: true, force: true });
      if (database) await adminQuery(`DROP DATABASE IF EXISTS ${database} WITH (FORCE)`);
    },
  };
}

/**
 * What the connection `query` runs on did to `outbox` so far: rows read (through an index, a
 * bitmap or a sequential scan), rows updated, and of those, updated in place (HOT, no new index
 * entries). Its counts not yet reported (`pg_stat_xact_user_tables`) may include its earlier
 * transactions', so a cost is the difference of two readings.
 */
async function tableCounts(
  query: TransactionQuery,
): Promise<{ read: number; updated: number; inPlace: number }> {
  const [counts] = await query<{ read: number; updated: number; inPlace: number }>(
    `SELECT (coalesce(idx_tup_fetch, 0) + seq_tup_read)::int AS read,
            n_tup_upd::int AS updated, n_tup_hot_upd::int AS "inPlace"
     FROM pg_stat_xact_user_tables WHERE relid = 'outbox'::regclass`,
    [],
  );
  return counts ?? { read: NaN, updated: NaN, inPlace: NaN };
}

async function mongoHarness(): Promise<Harness> {
  const url = mongoDatabaseUrl(SERVICES.mongo);
  const db = await MongoDatabase.open({ module: 'outboxtest', url, timeoutMs: 5000 });
  const schema = new Schema<OutboxFields>(
    { _id: String },
    { collection: 'things', versionKey: false },
  );
  addOutbox(schema);
  const things = db.model<OutboxFields>('Thing', schema);
  await things.createIndexes();
  return {
    repository: new MongoOutboxRepository(things),
    replica: () => new MongoOutboxRepository(things),
    // One document per key (an aggregate and its events), one per event without a key.
    queue: async (events) => {
      const byDocument = new Map<string, BusEvent[]>();
      for (const event of events) {
        const doc = event.key ?? randomUUID();
        byDocument.set(doc, [...(byDocument.get(doc) ?? []), event]);
      }
      for (const group of byDocument.values()) {
        await things.insertOne({ _id: randomUUID(), ...newOutbox(group, new Date()) });
      }
    },
    statusOf: async (id) => {
      const doc = await things
        .findOne({ $or: [{ 'outbox.id': id }, { 'parked.id': id }] })
        .lean<OutboxFields>();
      const pending = doc?.outbox.find((i) => i.id === id);
      const parked = doc?.parked.find((i) => i.id === id);
      if (pending) return { status: 'pending', attempts: pending.attempts };
      if (parked) return { status: 'failed', attempts: parked.attempts };
      return { status: 'sent', attempts: 1 };
    },
    async close() {
      await db.onApplicationShutdown();
      await dropMongoDatabase(url);
    },
  };
}

for (const store of databaseTargets()) {
  describe(`outbox relay on ${store}`, () => {
    let harness: Harness;
    const relays: OutboxRelay[] = [];

    beforeAll(async () => {
      harness = store === 'mongo' ? await mongoHarness() : await postgresHarness(store);
    });

    afterAll(async () => {
      for (const relay of relays) await relay.stop();
      await harness?.close();
    });

    const newRelay = (bus: RecordingBus, metrics = new OutboxMetrics(new Metrics())) => {
      const relay = testRelay('outboxtest', harness.repository, bus, {}, metrics);
      relays.push(relay);
      return relay;
    };
    const queue = (events: BusEvent[]) => harness.queue(events);
    const statusOf = (id: string) => harness.statusOf(id);

    it('publishes queued events in order and marks them sent', async () => {
      const bus = new RecordingBus();
      const events = [1, 2, 3].map((n) => anyEvent('test.happened', { n }));
      await queue(events);
      const relay = newRelay(bus);
      relay.start();
      await eventually(() =>
        Promise.resolve(expect(bus.delivered.map((e) => e.id)).toEqual(events.map((e) => e.id))),
      );
      // Marked sent right after delivery, once the batch is recorded.
      await relay.stop();
      for (const event of events)
        expect(await statusOf(event.id)).toMatchObject({ status: 'sent', attempts: 1 });
    });

    it('retries a failing event with backoff, parks it after the last attempt, and replays it on command', async () => {
      const bus = new RecordingBus();
      const metrics = new OutboxMetrics(new Metrics());
      const relay = newRelay(bus, metrics);
      bus.failuresLeft = OPTIONS.maxAttempts;
      const event = anyEvent('test.fragile', { n: 1 });
      await queue([event]);
      relay.start();
      await eventually(async () =>
        expect(await statusOf(event.id)).toMatchObject({ status: 'failed', attempts: 3 }),
      );
      expect(bus.delivered.map((e) => e.id)).not.toContain(event.id);
      const failed = await harness.repository.listFailed();
      expect(failed).toEqual([
        expect.objectContaining({
          id: event.id,
          type: 'test.fragile',
          attempts: 3,
          lastError: 'handler failed',
        }),
      ]);
      expect(await relay.stats()).toMatchObject({ failed: 1, pending: 0 });

      const replayed = await harness.repository.replay([]);
      expect(replayed).toBe(1);
      relay.nudge();
      await eventually(() =>
        Promise.resolve(expect(bus.delivered.map((e) => e.id)).toContain(event.id)),
      );
      await relay.stop();
      expect(await statusOf(event.id)).toMatchObject({ status: 'sent' });
      expect(await relay.stats()).toMatchObject({ failed: 0, pending: 0 });
    });

    it('reports backlog and the age of the oldest pending event while nothing relays', async () => {
      const relay = newRelay(new RecordingBus());
      const event = anyEvent('test.waiting', {});
      await queue([event]);
      const stats = await relay.stats();
      expect(stats.pending).toBeGreaterThanOrEqual(1);
      expect(stats.oldestPendingSeconds).toBeGreaterThanOrEqual(0);
      relay.start();
      await eventually(async () => expect(await relay.stats()).toMatchObject({ pending: 0 }));
      await relay.stop();
    });

    it('delivers the events of one key in order, while different keys go in parallel', async () => {
      const bus = new RecordingBus();
      bus.jitterMs = 3;
      const keys = ['a', 'b', 'c'].map((k) => `${k}-${randomUUID()}`);
      const events = Array.from({ length: 30 }, (_, n) =>
        anyEvent('test.keyed', { n }, keys[n % 3]),
      );
      await queue(events);
      const relay = newRelay(bus);
      relay.start();
      await eventually(() =>
        Promise.resolve(
          expect(bus.delivered.filter((e) => keys.includes(e.key!))).toHaveLength(30),
        ),
      );
      for (const key of keys) {
        expect(bus.delivered.filter((e) => e.key === key).map((e) => e.id)).toEqual(
          events.filter((e) => e.key === key).map((e) => e.id),
        );
      }
      await relay.stop();
    });

    it('forgets sent events after their retention, and never a pending or parked one', async () => {
      const bus = new RecordingBus();
      const relay = newRelay(bus);
      const sent = anyEvent('test.done', {});
      await queue([sent]);
      relay.start();
      await eventually(() =>
        Promise.resolve(expect(bus.delivered.map((e) => e.id)).toContain(sent.id)),
      );
      await relay.stop();
      const waiting = anyEvent('test.waiting', {});
      await queue([waiting]);
      await relay.purge();
      expect(await statusOf(waiting.id)).toMatchObject({ status: 'pending' });
      // On Postgres the row goes; documents drop sent events as they are marked.
      if (store !== 'mongo') expect(await statusOf(sent.id)).toBeUndefined();
      relay.start();
      await eventually(() =>
        Promise.resolve(expect(bus.delivered.map((e) => e.id)).toContain(waiting.id)),
      );
      await relay.stop();
    });

    /** Starts `relays`, waits until `bus` has every one of `events`, and stops them. */
    const relayAll = async (bus: RecordingBus, events: BusEvent[], ...running: OutboxRelay[]) => {
      for (const relay of running) relay.start();
      try {
        await eventually(
          () =>
            Promise.resolve(
              expect(new Set(bus.delivered.map((e) => e.id))).toEqual(
                new Set(events.map((e) => e.id)),
              ),
            ),
          30_000,
        );
      } finally {
        await Promise.all(running.map((relay) => relay.stop()));
      }
    };

    it.each([
      {
        what: 'drains a backlog in claims that double after each full batch, up to the largest',
        failuresLeft: 0,
        claimed: [50, 100, 200, 200],
      },
      {
        what: 'claims no more after a batch in which an event failed',
        failuresLeft: 1,
        claimed: [50, 50, 100, 200],
      },
    ])('$what', async ({ failuresLeft, claimed }) => {
      const bus = new RecordingBus();
      bus.failuresLeft = failuresLeft;
      const type = `test.backlog.${failuresLeft}`;
      const events = Array.from({ length: 400 }, (_, n) => anyEvent(type, { n }));
      await queue(events);
      // Claims counted, batches of 50 that may grow to 200, and a lease no batch here comes near.
      const claims: number[] = [];
      const counted = Object.create(harness.repository) as OutboxRepository;
      counted.claim = (limit, leaseMs) => {
        claims.push(limit);
        return harness.repository.claim(limit, leaseMs);
      };
      const options = { batchSize: 50, maxBatchSize: 200, leaseMs: 60_000 };
      await relayAll(bus, events, testRelay('outboxtest', counted, bus, options));
      expect(bus.delivered.filter((e) => e.type === type)).toHaveLength(400);
      expect(claims.slice(0, 4)).toEqual(claimed);
    });

    it('puts back what it has not started at half its lease, so no other relay takes it twice', async () => {
      const bus = new RecordingBus();
      bus.jitterMs = 100;
      const events = Array.from({ length: 200 }, (_, n) => anyEvent('test.slow', { n }));
      await queue(events);
      // One at a time, about 50 ms each: a batch of 100 would take about 5 s, past its lease of
      // 4 s. At 2 s the rest is put back, which leaves the batch in hand 2 s to settle, even on a
      // busy machine.
      const options = { concurrency: 1, leaseMs: 4000 };
      const [a, b] = [harness.repository, harness.replica()].map((outbox) =>
        testRelay('outboxtest', outbox, bus, options),
      );
      await relayAll(bus, events, a, b);
      expect(bus.delivered.filter((e) => e.type === 'test.slow')).toHaveLength(200);
    });

    it('two relays share a backlog without losing an event or publishing one twice', async () => {
      const bus = new RecordingBus();
      const events = Array.from({ length: 60 }, (_, n) => anyEvent('test.shared', { n }));
      await queue(events);
      const [a, b] = [harness.repository, harness.replica()].map((outbox) =>
        testRelay('outboxtest', outbox, bus),
      );
      await relayAll(bus, events, a, b);
      expect(bus.delivered.filter((e) => e.type === 'test.shared')).toHaveLength(60);
      expect(await a.stats()).toMatchObject({ pending: 0 });
    });
  });
}

for (const store of databaseTargets().filter((target) => target !== 'mongo')) {
  describe(`outbox claim on ${store}`, () => {
    let harness: PostgresHarness;

    beforeAll(async () => {
      harness = await postgresHarness(store);
    });

    afterAll(async () => {
      await harness?.close();
    });

    // A relay catching up after an outage must not slow down as the backlog grows: each claim
    // walks pending entries in order and stops after its batch, even though the table's
    // statistics (never analysed here, as during a burst) say that nothing is pending.
    it('claims a batch from a backlog of 20,000 by reading the batch, not the backlog', async () => {
      const backlog = Array.from({ length: 20_000 }, (_, n) => anyEvent('test.backlog', { n }));
      for (let i = 0; i < backlog.length; i += 5_000)
        await harness.queue(backlog.slice(i, i + 5_000));
      const cost = await harness.claimCost(100);
      expect(cost.claimed).toBe(100);
      // The batch, and the same rows again to lease them: not the 20,000 behind it.
      expect(cost.rowsRead).toBeLessThanOrEqual(200);
      // Each lease written beside its row (the table leaves room for it), adding no index entry
      // that later claims would have to step over.
      expect(cost).toMatchObject({ updated: 100, inPlace: 100 });
    });

    // Sent entries stay for their retention (a day by default): a scrape of the outbox's gauges
    // must not read them all, every scrape. Once autovacuum has been through the table on
    // Postgres (PGlite runs no autovacuum, and its planner, without statistics, scans the table
    // however the query is written), the partial indexes of pending and failed entries answer.
    (store === 'postgres' ? it : it.skip)(
      'reads its backlog figures from the backlog, not from the sent entries it keeps',
      async () => {
        await harness.queue(Array.from({ length: 5_000 }, (_, n) => anyEvent('test.sent', { n })));
        await harness.sendAll();
        await harness.queue([1, 2, 3].map((n) => anyEvent('test.waiting', { n })));
        await harness.vacuum();
        const { stats, rowsRead } = await harness.statsCost();
        expect(stats).toMatchObject({ pending: 3, failed: 0 });
        expect(rowsRead).toBeLessThanOrEqual(10);
      },
    );
  });
}
