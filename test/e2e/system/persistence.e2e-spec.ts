import { afterAll, describe, expect, it } from '@jest/globals';
import request from 'supertest';
import { startTestApp, TestApp } from '../../support/app';
import { bearer, login, signUpAndLogin } from '../../support/api';

describe('embedded data survives a restart', () => {
  const apps: TestApp[] = [];
  afterAll(async () => {
    for (const app of apps.reverse()) await app.close();
  });

  it('keeps users, orders, summaries and the signing key under the same DATA_DIR', async () => {
    const first = await startTestApp({ store: 'pglite' });
    apps.push(first);
    const account = await signUpAndLogin(first);
    const order = await request(first.url)
      .post('/api/orders')
      .set(...bearer(account))
      .send({
        items: [{ sku: 'KEEP-1', name: 'Kept', quantity: 3, unitPriceCents: 250 }],
        currency: 'EUR',
      })
      .expect(201);
    await first.close({ keepData: true });

    const second = await startTestApp({ store: 'pglite', reuse: first });
    apps.push(second);
    // The old access token still verifies: the signing key was kept too.
    const me = await request(second.url)
      .get('/api/users/me')
      .set(...bearer(account))
      .expect(200);
    expect(me.body).toMatchObject({ id: account.id, orderSummary: { total: 1, open: 1 } });
    const fetched = await request(second.url)
      .get(`/api/orders/${(order.body as { id: string }).id}`)
      .set(...bearer(account))
      .expect(200);
    expect(fetched.body).toMatchObject({ totalCents: 750, status: 'pending' });
    await login(second, account.email, account.password);
  });
});
