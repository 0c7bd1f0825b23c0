import { execFile } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { anyEvent } from '../../support/bus-events';
import type { Order } from '../../../src/modules/order/order';
import {
  openOrderDatabase,
  openOrderRepository,
  openOrderOutboxRepository,
} from '../../../src/modules/order/persistence/order-database';
import { ModuleOutbox } from '../../../src/shared/outbox/module-outbox';
import { eventually } from '../../support/api';
import { RecordingBus, testRelay } from '../../support/recording-bus';
import { databaseTargets } from '../../support/services';
import { prepareDatabases, PreparedDatabases } from '../../support/databases';
import { COMPILED } from '../../support/paths';

const run = promisify(execFile);
/** The operator command as `npm run outbox` runs it, compiled beside the tests. */
const CLI = join(COMPILED, 'cli', 'outbox.js');

/**
 * `npm run outbox -- list|replay order` on every order database: a parked event is listed, and a
 * replay puts it back in line for the relay.
 */
for (const store of databaseTargets()) {
  describe(`outbox command on ${store}`, () => {
    let dataDir: string;
    let stores: PreparedDatabases;
    let env: Record<string, string>;

    beforeAll(async () => {
      dataDir = await mkdtemp(join(tmpdir(), 'cleave-cli-'));
      stores = await prepareDatabases(store, dataDir);
      env = { PATH: process.env.PATH ?? '', DATA_DIR: dataDir, ...stores.env };
    });

    afterAll(async () => {
      await stores?.cleanup();
      await rm(dataDir, { recursive: true, force: true });
    });

    /** The order database as the app opens it, with a relay whose deliveries all fail. */
    const openDatabase = async () => {
      const db = await openOrderDatabase({
        url: env.ORDER_DATABASE_URL,
        dataDir,
        timeoutMs: 5000,
      });
      const bus = new RecordingBus();
      bus.failuresLeft = Number.MAX_SAFE_INTEGER;
      const relay = testRelay('order', openOrderOutboxRepository(db), bus, { maxAttempts: 1 });
      const repository = await openOrderRepository(db, new ModuleOutbox(relay));
      return { db, repository, relay };
    };
    const cli = async (...args: string[]) =>
      (await run(process.execPath, [CLI, ...args], { env })).stdout;

    it('lists a parked event and replays it', async () => {
      const first = await openDatabase();
      const now = new Date();
      const order: Order = {
        id: randomUUID(),
        userId: randomUUID(),
        items: [{ sku: 'S', name: 'N', quantity: 1, unitPriceCents: 1 }],
        totalCents: 1,
        currency: 'EUR',
        status: 'pending',
        createdAt: now,
        updatedAt: now,
      };
      const event = anyEvent('order.created', { orderId: order.id }, order.id);
      await first.repository.insert(order, [event]);
      first.relay.start();
      await eventually(async () =>
        expect(await first.relay.stats()).toMatchObject({ failed: 1, pending: 0 }),
      );
      await first.relay.stop();
      await first.db.onApplicationShutdown(); // PGlite allows one process: the app stops first

      const listed = (await cli('list', 'order'))
        .trim()
        .split('\n')
        .map((line) => JSON.parse(line) as unknown);
      expect(listed).toEqual([
        expect.objectContaining({
          id: event.id,
          type: 'order.created',
          attempts: 1,
          lastError: 'handler failed',
        }),
      ]);
      expect(await cli('replay', 'order', event.id)).toMatch(/^1 event\(s\) back in line/);
      expect((await cli('list', 'order')).trim()).toBe('');

      const second = await openDatabase();
      try {
        expect(await second.relay.stats()).toMatchObject({ failed: 0, pending: 1 });
      } finally {
        await second.db.onApplicationShutdown();
      }
    });

    it('refuses an unknown command with its usage', async () => {
      await expect(cli('purge', 'order')).rejects.toMatchObject({
        code: 2,
        stderr: expect.stringMatching(/usage/),
      });
    });
  });
}
