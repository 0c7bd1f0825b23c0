import { describe, expect, it } from '@jest/globals';
import request from 'supertest';
import { useTestApp } from '../../support/app';
import { bearer, signUpAndLogin } from '../../support/api';
import { shapeTargets } from '../../support/services';
import { apiSmoke } from '../../support/smoke';

for (const store of shapeTargets()) {
  describe(`smoke on ${store}`, () => {
    const app = useTestApp({ store });

    it('signs up, logs in and reads the own profile', async () => {
      const account = await signUpAndLogin(app);
      const me = await request(app.url)
        .get('/api/users/me')
        .set(...bearer(account))
        .expect(200);
      expect(me.body).toMatchObject({ id: account.id, email: account.email });
    });

    it('the API smoke journey: every module, from sign-up to a refused token after logout', async () => {
      await apiSmoke(app.url);
    });
  });
}
