import { randomUUID } from 'node:crypto';
import { beforeAll, describe, expect, it } from '@jest/globals';
import { createEvent } from '../../src/shared/bus/bus-event';
import {
  UserDeleted,
  UserPasswordChanged,
  UserRegistered,
} from '../../src/modules/user/user.contract';
import type { OutboxRelay } from '../../src/shared/outbox/outbox-relay';
import {
  openUserDatabase,
  openUserOutboxRepository,
  openUserRepository,
} from '../../src/modules/user/persistence/user-database';
import type { UserRepository } from '../../src/modules/user/persistence/user-repository';
import type { User } from '../../src/modules/user/user';
import { eventually } from '../support/api';
import type { RecordingBus } from '../support/recording-bus';
import { losingFirstAnswerOf, statementsOf, useRepository } from '../support/repository-fixture';
import { databaseTargets } from '../support/services';

/** The user repository's contract, on every database it runs on: PGlite and Postgres. */
for (const database of databaseTargets().filter((s) => s !== 'mongo')) {
  describe(`user repository contract on ${database}`, () => {
    const fixture = useRepository('user', database, {
      database: openUserDatabase,
      outbox: openUserOutboxRepository,
      repository: openUserRepository,
    });
    let relay: OutboxRelay;
    let users: UserRepository;
    let bus: RecordingBus;
    beforeAll(() => void ({ repository: users, relay, bus } = fixture));

    const HASH = '$argon2id$v=19$m=19456,t=2,p=1$not-a-real-hash';
    const newUser = (email = `u-${randomUUID()}@example.com`, createdAt = new Date()): User => ({
      id: randomUUID(),
      email,
      name: 'Ada',
      roles: ['user'],
      ordersTotal: 0,
      ordersOpen: 0,
      createdAt,
      updatedAt: createdAt,
    });
    const delivered = (id: string) => bus.delivered.some((e) => e.id === id);

    it('stores a user with its event, finds it by id and by email in any case', async () => {
      const user = newUser(`Mixed-${randomUUID()}@Example.com`);
      const registered = createEvent(UserRegistered, { userId: user.id, roles: ['user'] }, user.id);
      await users.insert(user, HASH, [registered]);
      expect(await users.findById(user.id)).toEqual(user);
      expect((await users.findByEmail(user.email.toUpperCase()))?.id).toBe(user.id);
      const credentials = { user, passwordHash: HASH };
      expect(await users.findCredentialsById(user.id)).toEqual(credentials);
      expect(await users.findCredentialsByEmail(user.email.toLowerCase())).toEqual(credentials);
      expect(await users.findById('not-a-uuid')).toBeNull();
      await eventually(() => Promise.resolve(expect(delivered(registered.id)).toBe(true)));
    });

    it('answers reads of many accounts at once, each with its own account', async () => {
      const stored = [newUser(), newUser(), newUser()];
      for (const user of stored) await users.insert(user, HASH, []);
      const [ada, grace, linus] = stored;
      // Asked for in one turn, so read together: repeats, capitals and unknown ids among them.
      const ids = [ada.id, grace.id, ada.id, linus.id.toUpperCase(), randomUUID(), 'not-a-uuid'];
      let found: Array<User | null> = [];
      const ran = await statementsOf(fixture.db, async () => {
        found = await Promise.all(ids.map((id) => users.findById(id)));
      });
      expect(ran?.map((statement) => statement.name)).toEqual(['users-by-ids']);
      expect(found).toEqual([ada, grace, ada, linus, null, null]);
      const credentials = await Promise.all(stored.map((u) => users.findCredentialsById(u.id)));
      expect(credentials).toEqual(stored.map((user) => ({ user, passwordHash: HASH })));
    });

    it('refuses a second account with the same email, whatever its case, and queues nothing', async () => {
      const user = newUser();
      await users.insert(user, HASH, []);
      const again = newUser(user.email.toUpperCase());
      const event = createEvent(UserRegistered, { userId: again.id, roles: ['user'] }, again.id);
      await expect(users.insert(again, HASH, [event])).rejects.toMatchObject({
        code: 'USER.EMAIL_TAKEN',
      });
      expect(await users.findById(again.id)).toBeNull();
      expect(await relay.stats()).toMatchObject({ pending: 0 });
      expect(delivered(event.id)).toBe(false);
    });

    it('updates and deletes with their events, and says when there was no such user', async () => {
      const user = newUser();
      await users.insert(user, HASH, []);
      const changed = createEvent(UserPasswordChanged, { userId: user.id }, user.id);
      const updated = await users.update(user.id, { name: 'Grace', passwordHash: 'h2' }, [changed]);
      expect(updated).toMatchObject({ id: user.id, name: 'Grace', email: user.email });
      expect((await users.findCredentialsById(user.id))?.passwordHash).toBe('h2');
      await eventually(() => Promise.resolve(expect(delivered(changed.id)).toBe(true)));

      const deleted = createEvent(UserDeleted, { userId: user.id }, user.id);
      expect(await users.delete(user.id, [deleted])).toBe(true);
      expect(await users.findById(user.id)).toBeNull();
      await eventually(() => Promise.resolve(expect(delivered(deleted.id)).toBe(true)));
      // Delivered, then marked sent: wait for the mark, so that only the ghost's could count.
      await eventually(async () => expect(await relay.stats()).toMatchObject({ pending: 0 }));

      const ghost = createEvent(UserDeleted, { userId: user.id }, user.id);
      expect(await users.delete(user.id, [ghost])).toBe(false);
      expect(await users.update(user.id, { name: 'x' }, [ghost])).toBeNull();
      expect(await relay.stats()).toMatchObject({ pending: 0 });
    });

    it('lists users newest first, page by page', async () => {
      const base = Date.now() + 3_600_000; // newer than anything else in this database
      const made = [0, 1, 2, 3, 4].map((i) => newUser(undefined, new Date(base + i * 1000)));
      for (const u of made) await users.insert(u, HASH, []);
      const first = await users.list(3);
      expect(first.map((u) => u.id)).toEqual([made[4].id, made[3].id, made[2].id]);
      const last = first[2];
      const second = await users.list(2, { createdAt: last.createdAt, id: last.id });
      expect(second.map((u) => u.id)).toEqual([made[1].id, made[0].id]);
    });

    it('answers first pages asked for at once with one statement, each page its own length', async () => {
      const base = Date.now() + 7_200_000; // newer than anything else in this database
      const made = [0, 1, 2, 3].map((i) => newUser(undefined, new Date(base + i * 1000)));
      for (const u of made) await users.insert(u, HASH, []);
      const newestFirst = made.map((u) => u.id).reverse();
      // Asked for in one turn, so read together: repeats and other limits.
      const limits = [3, 1, 3, 4, 2];
      let pages: User[][] = [];
      const ran = await statementsOf(fixture.db, async () => {
        pages = await Promise.all(limits.map((limit) => users.list(limit)));
      });
      expect(ran?.map((statement) => statement.name)).toEqual(['users-page']);
      expect(pages.map((page) => page.map((u) => u.id))).toEqual(
        limits.map((limit) => newestFirst.slice(0, limit)),
      );
      expect(pages[3]).toEqual([...made].reverse());
    });

    it('applies an order event to the summary once, however often it is delivered, never below zero', async () => {
      const user = newUser();
      await users.insert(user, HASH, []);
      const eventId = randomUUID();
      await Promise.all(
        [1, 2, 3].map(() => users.applyOrderEvent('summary', eventId, user.id, 1, 1)),
      );
      expect(await users.findById(user.id)).toMatchObject({ ordersTotal: 1, ordersOpen: 1 });
      await users.applyOrderEvent('summary', randomUUID(), user.id, 0, -1);
      await users.applyOrderEvent('summary', randomUUID(), user.id, 0, -1);
      expect(await users.findById(user.id)).toMatchObject({ ordersTotal: 1, ordersOpen: 0 });
      // Another handler's record of the same event is its own.
      await users.applyOrderEvent('other-handler', eventId, user.id, 1, 0);
      expect(await users.findById(user.id)).toMatchObject({ ordersTotal: 2 });
    });

    it('applies a burst of order events for several users, each event once', async () => {
      const [a, b] = [newUser(), newUser()];
      await users.insert(a, HASH, []);
      await users.insert(b, HASH, []);
      const repeated = randomUUID();
      await Promise.all([
        ...[1, 2, 3, 4, 5].map(() => users.applyOrderEvent('burst', randomUUID(), a.id, 1, 1)),
        ...[1, 2, 3].map(() => users.applyOrderEvent('burst', repeated, b.id, 1, 1)),
        users.applyOrderEvent('burst', randomUUID(), b.id, 1, 0),
      ]);
      expect(await users.findById(a.id)).toMatchObject({ ordersTotal: 5, ordersOpen: 5 });
      expect(await users.findById(b.id)).toMatchObject({ ordersTotal: 2, ordersOpen: 1 });
    });

    it('applies order events once when their statement committed but its answer was lost', async () => {
      const user = newUser();
      await users.insert(user, HASH, []);
      const ran = await losingFirstAnswerOf(fixture.db, 'apply-order-events', () =>
        Promise.all([1, 2].map(() => users.applyOrderEvent('lost', randomUUID(), user.id, 1, 1))),
      );
      // Both in one statement, committed but unanswered, then each again on its own.
      expect(ran.map(({ name }) => name)).toEqual(Array(3).fill('apply-order-events'));
      expect(await users.findById(user.id)).toMatchObject({ ordersTotal: 2, ordersOpen: 2 });
    });
  });
}
