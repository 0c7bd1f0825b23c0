import { expect, it } from '@jest/globals';
import { describeOrSkip } from '../../support/skip';
import { Client } from 'pg';
import { useTestApp } from '../../support/app';
import { httpFor, orderBody, signUpAndLogin } from '../../support/api';
import { missingServices } from '../../support/services';

describeOrSkip('an Idempotency-Key after its 24 h', missingServices('postgres'), () => {
  const app = useTestApp({ store: 'postgres' });
  const http = httpFor(app);

  it('creates a new order instead of replaying, and keeps the old one', async () => {
    const account = await signUpAndLogin(app);
    const post = () =>
      http(account).post('/api/orders').set('idempotency-key', 'day-old').send(orderBody());
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
    await http(account)
      .get(`/api/orders/${(first.body as { id: string }).id}`)
      .expect(200);
    // The key now belongs to the new order.
    const again = await post().expect(201);
    expect((again.body as { id: string }).id).toBe((fresh.body as { id: string }).id);
  });
});
