import { afterAll, beforeAll, expect, it } from '@jest/globals';
import { describeOrSkip } from '../../support/skip';
import { Client } from 'pg';
import request from 'supertest';
import { startTestApp, TestApp } from '../../support/app';
import { bearer, expectProblem, signUpAndLogin } from '../../support/api';
import { SERVICES, storeTargets } from '../../support/services';

const onPostgres = storeTargets().includes('postgres');

describeOrSkip(
  'readiness when a database goes away',
  onPostgres ? false : 'postgres unreachable',
  () => {
    let app: TestApp;
    beforeAll(async () => {
      app = await startTestApp({ store: 'postgres' });
    });
    afterAll(() => app?.close());

    it('answers 503 naming the failed database, while liveness stays 200 and requests fail fast with 503', async () => {
      await request(app.url).get('/ready').expect(200);
      const account = await signUpAndLogin(app);
      const database = new URL(app.env.USER_DATABASE_URL).pathname.slice(1);
      const admin = new Client({ connectionString: SERVICES.postgres });
      await admin.connect();
      try {
        await admin.query(`DROP DATABASE ${database} WITH (FORCE)`);
      } finally {
        await admin.end();
      }
      const res = await request(app.url).get('/ready');
      expectProblem(res, 503);
      expect((res.body as { detail: string }).detail).toMatch(/user-db/);
      expect((res.body as { detail: string }).detail).toMatch(/order-db/);
      await request(app.url).get('/health').expect(200);
      const started = Date.now();
      expectProblem(
        await request(app.url)
          .get('/api/users/me')
          .set(...bearer(account)),
        503,
      );
      expect(Date.now() - started).toBeLessThan(6000);
    });
  },
);
