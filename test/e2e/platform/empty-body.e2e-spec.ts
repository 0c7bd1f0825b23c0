import { describe, expect, it } from '@jest/globals';
import request from 'supertest';
import { useTestApp } from '../../support/app';
import { bearer, createOrder, expectProblem, signUpAndLogin } from '../../support/api';
import { shapeTargets } from '../../support/services';

// In one process the edge reads the body; in the split shape the gateway passes a JSON body on
// as its text (an empty one as none) and the module reads it: both must answer alike.
for (const store of shapeTargets().filter((s) => s === 'pglite' || s === 'split')) {
  describe(`bodiless requests that declare JSON, ${store}`, () => {
    const app = useTestApp({ store });

    it('cancels with Content-Type: application/json and an empty body', async () => {
      const account = await signUpAndLogin(app);
      const order = await createOrder(app, account);
      const res = await request(app.url)
        .post(`/api/orders/${order.id}/cancel`)
        .set(...bearer(account))
        .set('content-type', 'application/json')
        .send('');
      expect(res.status).toBe(200);
      expect(res.body).toMatchObject({ status: 'cancelled' });
    });

    it('still rejects an empty body where one is required, and malformed JSON, with 400', async () => {
      const empty = await request(app.url)
        .post('/api/users')
        .set('content-type', 'application/json')
        .send('');
      expectProblem(empty, 400);
      const malformed = await request(app.url)
        .post('/api/users')
        .set('content-type', 'application/json')
        .send('{"a":');
      expectProblem(malformed, 400);
    });
  });
}
