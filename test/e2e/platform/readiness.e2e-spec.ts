import { expect, it } from '@jest/globals';
import { describeOrSkip } from '../../support/skip';
import { useTestApp } from '../../support/app';
import { expectProblem, httpFor, signUpAndLogin } from '../../support/api';
import { adminQuery, missingServices } from '../../support/services';

describeOrSkip('readiness when a database goes away', missingServices('postgres'), () => {
  const app = useTestApp({ store: 'postgres' });
  const http = httpFor(app);

  it('answers 503 naming the failed database, while liveness stays 200 and requests fail fast with 503', async () => {
    await http().get('/ready').expect(200);
    const account = await signUpAndLogin(app);
    const database = new URL(app.env.USER_DATABASE_URL).pathname.slice(1);
    await adminQuery(`DROP DATABASE ${database} WITH (FORCE)`);
    const res = await http().get('/ready');
    expectProblem(res, 503);
    expect((res.body as { detail: string }).detail).toMatch(/user-db/);
    expect((res.body as { detail: string }).detail).toMatch(/order-db/);
    await http().get('/health').expect(200);
    const started = Date.now();
    expectProblem(await http(account).get('/api/users/me'), 503);
    expect(Date.now() - started).toBeLessThan(6000);
  });
});
