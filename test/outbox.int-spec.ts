import { randomUUID } from 'node:crypto';
import { cp, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { expect } from 'expect';
import type { MigrationInterface, QueryRunner } from 'typeorm';
import type { Bus } from '../src/shared/bus/bus';
import { BusEvent, createEvent } from '../src/shared/bus/bus-event';
import { Metrics } from '../src/shared/observability/metrics';
import { ModuleDatabase } from '../src/shared/persistence/module-database';
import { createOutboxTable, eventsParam, QUEUE_EVENTS_SQL } from '../src/shared/persistence/outbox';
import { listFailed, replayFailed } from '../src/shared/persistence/outbox-admin';
import { OutboxMetrics } from '../src/shared/persistence/outbox-metrics';
import { OutboxRelay, OutboxRelayOptions } from '../src/shared/persistence/outbox-relay';
import { eventually } from './support/api';
import { PGLITE_TEMPLATE } from './support/pglite-template';
import { adminQuery, SERVICES, storeTargets } from './support/services';

class OutboxOnly1700000000000 implements MigrationInterface {
  name = 'OutboxOnly1700000000000';
  async up(db: QueryRunner): Promise<void> {
    await createOutboxTable(db);
  }
  async down(db: QueryRunner): Promise<void> {
    await db.query('DROP TABLE outbox');
  }
}

/** The bus as the relay sees it: records deliveries, and fails while told to. */
class RecordingBus {
  readonly delivered: BusEvent[] = [];
  failuresLeft = 0;
  publish(event: BusEvent): Promise<void> {
    if (this.failuresLeft > 0) {
      this.failuresLeft -= 1;
      return Promise.reject(new Error('handler failed'));
    }
    this.delivered.push(event);
    return Promise.resolve();
  }
}

const OPTIONS: OutboxRelayOptions = {
  maxAttempts: 3,
  pollMs: 20,
  batchSize: 100,
  backoffBaseMs: 10,
  backoffMaxMs: 40,
  leaseMs: 1000,
};


for (const store of storeTargets()) {
  describe(`outbox relay on ${store}`, () => {
    let db: ModuleDatabase;
    let dataDir: string;
    let database: string | undefined;
    const relays: OutboxRelay[] = [];

    before(async () => {
      dataDir = await mkdtemp(join(tmpdir(), 'cleave-outbox-'));
      let url: string | undefined;
      if (store === 'postgres') {
        database = `cleave_t_outbox_${randomUUID().slice(0, 8)}`;
        await adminQuery(`CREATE DATABASE ${database}`);
        const parsed = new URL(SERVICES.postgres);
        parsed.pathname = `/${database}`;
        url = parsed.toString();
      } else {
        await cp(PGLITE_TEMPLATE, join(dataDir, 'outboxtest'), { recursive: true });
      }
      db = await ModuleDatabase.open({
        module: 'outboxtest',
        url,
        dataDir,
        schema: 'cleave_outboxtest',
        entities: [],
        migrations: [OutboxOnly1700000000000],
        timeoutMs: 5000,
      });
    });

    after(async () => {
      for (const relay of relays) await relay.stop();
      await db?.onApplicationShutdown();
      await rm(dataDir, { recursive: true, force: true });
      if (database) await adminQuery(`DROP DATABASE IF EXISTS ${database} WITH (FORCE)`);
    });

    const newRelay = (bus: RecordingBus, metrics = new OutboxMetrics(new Metrics())) => {
      const relay = new OutboxRelay('outboxtest', db, bus as unknown as Bus, metrics, OPTIONS);
      relays.push(relay);
      return relay;
    };
    const run = <Row,>(text: string, values: unknown[]) => db.transaction((query) => query<Row>(text, values));
    const queue = (events: BusEvent[]) => db.transaction((query) => query(QUEUE_EVENTS_SQL, [eventsParam(events)]));
    const statusOf = async (id: string) =>
      (await db.sql<{ status: string; attempts: number }>('t-status', 'SELECT status, attempts FROM outbox WHERE id = $1', [id]))[0];

    it('publishes queued events in order and marks them sent', async () => {
      const bus = new RecordingBus();
      const events = [1, 2, 3].map((n) => createEvent('test.happened', { n }));
      await queue(events);
      const relay = newRelay(bus);
      relay.start();
      await eventually(() => Promise.resolve(expect(bus.delivered.map((e) => e.id)).toEqual(events.map((e) => e.id))));
      for (const event of events) expect(await statusOf(event.id)).toMatchObject({ status: 'sent', attempts: 1 });
      await relay.stop();
    });

    it('retries a failing event with backoff, parks it after the last attempt, and replays it on command', async () => {
      const bus = new RecordingBus();
      const metrics = new OutboxMetrics(new Metrics());
      const relay = newRelay(bus, metrics);
      bus.failuresLeft = OPTIONS.maxAttempts;
      const event = createEvent('test.fragile', { n: 1 });
      await queue([event]);
      relay.start();
      await eventually(async () => expect(await statusOf(event.id)).toMatchObject({ status: 'failed', attempts: 3 }));
      expect(bus.delivered.map((e) => e.id)).not.toContain(event.id);
      const failed = await listFailed(run);
      expect(failed).toEqual([expect.objectContaining({ id: event.id, type: 'test.fragile', attempts: 3, lastError: 'handler failed' })]);
      expect(await relay.stats()).toMatchObject({ failed: 1, pending: 0 });

      const replayed = await replayFailed(run, []);
      expect(replayed).toBe(1);
      relay.nudge();
      await eventually(() => Promise.resolve(expect(bus.delivered.map((e) => e.id)).toContain(event.id)));
      expect(await statusOf(event.id)).toMatchObject({ status: 'sent' });
      await relay.stop();
    });

    it('reports backlog and the age of the oldest pending event while nothing relays', async () => {
      const relay = newRelay(new RecordingBus());
      const event = createEvent('test.waiting', {});
      await queue([event]);
      const stats = await relay.stats();
      expect(stats.pending).toBeGreaterThanOrEqual(1);
      expect(stats.oldestPendingSeconds).toBeGreaterThanOrEqual(0);
      relay.start();
      await eventually(async () => expect(await relay.stats()).toMatchObject({ pending: 0 }));
      await relay.stop();
    });
  });
}
