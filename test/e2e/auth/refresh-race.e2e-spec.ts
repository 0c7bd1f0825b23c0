import { describe, expect, it } from '@jest/globals';
import request from 'supertest';
import { useTestApp } from '../../support/app';
import { bearer, eventually, signUpAndLogin } from '../../support/api';
import { shapeTargets } from '../../support/services';

/**
 * Rotation with reuse detection is the refresh use case's rule, over the session repository's
 * atomic swap: of many refreshes racing with one token exactly one wins, and the losers' reuse
 * revokes the session, the winner's new tokens included. Run once per session repository adapter
 * (in memory, Redis).
 */
// Embedded keeps auth state in memory; the postgres shape keeps it in Redis.
for (const store of shapeTargets().filter((s) => s === 'pglite' || s === 'postgres')) {
  describe(`refreshes racing with one token, ${store} shape`, () => {
    const app = useTestApp({ store });

    it('lets one win, and the reuse revokes the whole session', async () => {
      const account = await signUpAndLogin(app);
      const answers = await Promise.all(
        Array.from({ length: 8 }, () =>
          request(app.url).post('/api/auth/refresh').send({ refreshToken: account.refreshToken }),
        ),
      );
      expect(answers.map((a) => a.status).sort()).toEqual([200, 401, 401, 401, 401, 401, 401, 401]);
      const winner = answers.find((a) => a.status === 200)!.body as {
        accessToken: string;
        refreshToken: string;
      };
      await request(app.url)
        .post('/api/auth/refresh')
        .send({ refreshToken: winner.refreshToken })
        .expect(401);
      await eventually(async () => {
        const me = await request(app.url)
          .get('/api/users/me')
          .set(...bearer(winner));
        expect(me.status).toBe(401);
      }, 5000);
    });
  });
}
