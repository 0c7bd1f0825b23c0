import { afterAll, beforeAll, describe, it } from '@jest/globals';
import request from 'supertest';
import { startTestApp, type TestApp } from '../../support/app';
import { bearer, createOrder, login, signUpAndLogin, type Account } from '../../support/api';
import { AppProcess, freePort } from '../../support/process';
import { shapeTargets } from '../../support/services';
import type { SplitApp } from '../../support/split';
import {
  ALL_ROUTES,
  refusedEverywhere,
  ROUTES,
  type Server,
  splitServers,
} from '../../support/revocation';

for (const store of shapeTargets().filter((s) => s !== 'mongo')) {
  describe(`a revoked session's token on ${store}`, () => {
    let app: TestApp;
    /** Each process (each replica) with the routes it serves: the front, and the module processes. */
    let servers: Server[];
    let secondOrder: AppProcess | undefined;

    beforeAll(async () => {
      app = await startTestApp({ store });
      servers = [{ url: app.url, routes: ALL_ROUTES }];
      if (store === 'split') {
        const split = app as SplitApp;
        // Two replicas of the order module: the second reached directly, as a load balancer would.
        secondOrder = await AppProcess.start({
          ...split.moduleEnv.order,
          PORT: String(await freePort()),
        });
        servers = [...splitServers(split), { url: secondOrder.url, routes: ROUTES.order }];
      }
    });
    afterAll(async () => {
      await secondOrder?.kill();
      await app?.close();
    });

    const refused = (token: string) => refusedEverywhere(servers, token);

    /** The token works (before the action): on its own module's routes, through the front. */
    const works = async (token: string) => {
      await request(app.url)
        .get('/api/users/me')
        .set('authorization', `Bearer ${token}`)
        .expect(200);
      await request(app.url).get('/api/orders').set('authorization', `Bearer ${token}`).expect(200);
    };

    it('logout: that session is refused everywhere at once, another session of the user still works', async () => {
      const account = await signUpAndLogin(app);
      const other = await login(app, account.email, account.password);
      await works(account.accessToken);
      await request(app.url)
        .post('/api/auth/logout')
        .set(...bearer(account))
        .send({ refreshToken: account.refreshToken })
        .expect(204);
      await refused(account.accessToken);
      await works(other.accessToken);
    });

    it('refresh-token reuse: the whole session is refused everywhere, its newer token too', async () => {
      const account = await signUpAndLogin(app);
      const refreshed = await request(app.url)
        .post('/api/auth/refresh')
        .send({ refreshToken: account.refreshToken })
        .expect(200);
      const newer = refreshed.body as { accessToken: string };
      await works(newer.accessToken);
      await request(app.url)
        .post('/api/auth/refresh')
        .send({ refreshToken: account.refreshToken })
        .expect(401);
      await refused(account.accessToken);
      await refused(newer.accessToken);
    });

    it('password change: every session of the user is refused everywhere, other users are not', async () => {
      const account = await signUpAndLogin(app);
      const second = await login(app, account.email, account.password);
      const bystander = await signUpAndLogin(app);
      await request(app.url)
        .post('/api/users/me/password')
        .set(...bearer(account))
        .send({ currentPassword: account.password, newPassword: 'a-new-password-1' })
        .expect(204);
      await refused(account.accessToken);
      await refused(second.accessToken);
      await works(bystander.accessToken);
      // A session opened with the new password works.
      await works((await login(app, account.email, 'a-new-password-1')).accessToken);
    });

    it('account deletion: every session of the user is refused everywhere', async () => {
      const account = await signUpAndLogin(app);
      await createOrder(app, account);
      await request(app.url)
        .delete('/api/users/me')
        .set(...bearer(account))
        .expect(204);
      await refused(account.accessToken);
    });

    if (store === 'split') {
      it('a process that starts later knows every revocation before it reports ready', async () => {
        const account = await signUpAndLogin(app);
        await request(app.url)
          .post('/api/auth/logout')
          .set(...bearer(account))
          .send({ refreshToken: account.refreshToken })
          .expect(204);
        const split = app as SplitApp;
        const late = await AppProcess.start({
          ...split.moduleEnv.order,
          PORT: String(await freePort()),
        });
        try {
          // Its very first answer already refuses the token: no second of grace.
          await request(late.url)
            .get('/api/orders')
            .set(...bearer(account))
            .expect(401);
        } finally {
          await late.kill();
        }
      });
    }
  });
}

describe('a revoked session after a restart on the embedded defaults', () => {
  let app: TestApp;
  afterAll(() => app?.close());

  it('stays refused: the in-memory session repository journals its revocations under DATA_DIR', async () => {
    app = await startTestApp({ store: 'pglite' });
    const account: Account = await signUpAndLogin(app);
    const other = await login(app, account.email, account.password);
    await request(app.url)
      .post('/api/auth/logout')
      .set(...bearer(account))
      .send({ refreshToken: account.refreshToken })
      .expect(204);
    await app.close({ keepData: true });
    app = await startTestApp({ store: 'pglite', reuse: app });
    // Access tokens outlive a restart (the signing key is kept), so revocations must too.
    await request(app.url)
      .get('/api/orders')
      .set('authorization', `Bearer ${other.accessToken}`)
      .expect(200);
    await request(app.url)
      .get('/api/users/me')
      .set(...bearer(account))
      .expect(401);
    // The account itself survived: a new login works.
    const again = await login(app, account.email, account.password);
    await request(app.url)
      .get('/api/users/me')
      .set('authorization', `Bearer ${again.accessToken}`)
      .expect(200);
  });
});
