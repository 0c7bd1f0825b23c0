import { afterAll, beforeAll, expect, it } from '@jest/globals';
import { describeOrSkip } from '../../support/skip';
import { Client } from 'pg';
import request from 'supertest';
import { startTestApp, TestApp } from '../../support/app';
import { bearer, orderBody, signUpAndLogin } from '../../support/api';
import { storeTargets } from '../../support/services';

const onPostgres = storeTargets().includes('postgres');

describeOrSkip(
  'an Idempotency-Key after its 24 h',
  onPostgres ? false : 'postgres unreachable',
  () => {
    let app: TestApp;
    beforeAll(async () => {
      app = await startTestApp({ store: 'postgres' });
    });
    afterAll(() => app?.close());

    it('creates a new order instead of replaying, and keeps the old one', async () => {
      const account = await signUpAndLogin(app);
      const post = () =>
        request(app.url)
          .post('/api/orders')
          .set(...bearer(account))
          .set('idempotency-key', 'day-old')
          .send(orderBody());
      const first = await post().expect(201);
      const replay = await post().expect(201);
      expect(replay.headers['idempotent-replayed']).toBe('true');

      // Age the key by a day, as if 24 h had passed.
      const db = new Client({ connectionString: app.env.ORDER_DATABASE_URL });
      await db.connect();
      try {
        await db.query(
          `UPDATE cleave_order.orders SET idempotency_expires_at = now() - interval '1 second' WHERE id = $1`,
          [(first.body as { id: string }).id],
        );
      } finally {
        await db.end();
      }

      const fresh = await post().expect(201);
      expect(fresh.headers['idempotent-replayed']).toBeUndefined();
      expect((fresh.body as { id: string }).id).not.toBe((first.body as { id: string }).id);
      await request(app.url)
        .get(`/api/orders/${(first.body as { id: string }).id}`)
        .set(...bearer(account))
        .expect(200);
      // The key now belongs to the new order.
      const again = await post().expect(201);
      expect((again.body as { id: string }).id).toBe((fresh.body as { id: string }).id);
    });
  },
);
