import { describe, expect, it } from '@jest/globals';
import { useTestApp } from '../../support/app';
import {
  Account,
  cancelOrder,
  createOrder,
  eventually,
  expectFieldError,
  expectListQueries,
  expectMalformedIdRefused,
  expectNoSecretFields,
  expectProblem,
  httpFor,
  ISO_UTC_PATTERN,
  login,
  orderBody,
  orderStatus,
  orderWithStatus,
  setOrderStatus,
  signUpAndLogin,
  uniqueEmail,
  useAdmin,
  UUID_PATTERN,
  walkPages,
} from '../../support/api';
import { shapeTargets } from '../../support/services';

interface UserJson {
  id: string;
  email: string;
  name: string;
  roles: string[];
  orderSummary: { total: number; open: number };
  createdAt: string;
  updatedAt: string;
}

const PASSWORD = 'correct-horse-1';

for (const store of shapeTargets()) {
  describe(`users on ${store}`, () => {
    const app = useTestApp({ store });
    const admin = useAdmin(app);
    const http = httpFor(app);
    const summaryOf = async (account: Account) =>
      ((await http(account).get('/api/users/me').expect(200)).body as UserJson).orderSummary;

    describe('POST /api/users', () => {
      it('signs up with 201, a Location naming the user and the user shape without secrets', async () => {
        const email = uniqueEmail('signup');
        const res = await http()
          .post('/api/users')
          .send({ email, password: PASSWORD, name: 'Ada' });
        expect(res.status).toBe(201);
        const user = res.body as UserJson;
        expect(Object.keys(user).sort()).toEqual(
          ['createdAt', 'email', 'id', 'name', 'orderSummary', 'roles', 'updatedAt'].sort(),
        );
        expect(user).toMatchObject({
          email,
          name: 'Ada',
          roles: ['user'],
          orderSummary: { total: 0, open: 0 },
        });
        expect(user.id).toMatch(UUID_PATTERN);
        expect(user.createdAt).toMatch(ISO_UTC_PATTERN);
        expect(user.updatedAt).toMatch(ISO_UTC_PATTERN);
        expect(res.headers.location).toBe(`/api/users/${user.id}`);
        expectNoSecretFields(res.body);
      });

      const valid = { password: PASSWORD, name: 'Valid Name' };
      const invalidBodies: Array<[string, Record<string, unknown>, string]> = [
        ['an email without @', { ...valid, email: 'not-an-email' }, 'email'],
        ['an email with spaces', { ...valid, email: 'a b@example.com' }, 'email'],
        ['a missing email', { ...valid }, 'email'],
        [
          'a 7-character password',
          { ...valid, email: 'x@example.com', password: '1234567' },
          'password',
        ],
        [
          'a 129-character password',
          { ...valid, email: 'x@example.com', password: 'p'.repeat(129) },
          'password',
        ],
        ['an empty name', { ...valid, email: 'x@example.com', name: '' }, 'name'],
        [
          'a 101-character name',
          { ...valid, email: 'x@example.com', name: 'n'.repeat(101) },
          'name',
        ],
        ['an unknown field', { ...valid, email: 'x@example.com', isAdmin: true }, 'isAdmin'],
        ['roles in the body', { ...valid, email: 'x@example.com', roles: ['admin'] }, 'roles'],
        ['a numeric name', { ...valid, email: 'x@example.com', name: 42 }, 'name'],
        [
          'a numeric password',
          { ...valid, email: 'x@example.com', password: 12345678 },
          'password',
        ],
        ['an array email', { ...valid, email: ['x@example.com'] }, 'email'],
      ];
      for (const [what, body, field] of invalidBodies) {
        it(`rejects ${what} with 400 naming ${field}`, async () => {
          const errors = expectFieldError(await http().post('/api/users').send(body), field);
          expect(errors.every((e) => typeof e.message === 'string' && e.message.length > 0)).toBe(
            true,
          );
        });
      }

      it('accepts the boundaries: 8 and 128-character passwords, 1 and 100-character names', async () => {
        await http()
          .post('/api/users')
          .send({ email: uniqueEmail(), password: 'p'.repeat(8), name: 'n' })
          .expect(201);
        await http()
          .post('/api/users')
          .send({ email: uniqueEmail(), password: 'p'.repeat(128), name: 'n'.repeat(100) })
          .expect(201);
      });

      it('rejects a JSON array body with 400', async () => {
        expectProblem(
          await http()
            .post('/api/users')
            .send([{ email: uniqueEmail(), ...valid }]),
          400,
        );
      });

      it('answers 409 for an email already taken in another letter case', async () => {
        const email = uniqueEmail('dup');
        await http()
          .post('/api/users')
          .send({ email, ...valid })
          .expect(201);
        const res = await http()
          .post('/api/users')
          .send({ email: email.toUpperCase(), ...valid });
        expectProblem(res, 409);
      });
    });

    describe('/api/users/me', () => {
      it('reads the own profile and answers 401 without a token', async () => {
        const account = await signUpAndLogin(app, 'Me Myself');
        const res = await http(account).get('/api/users/me').expect(200);
        expect(res.body).toMatchObject({
          id: account.id,
          email: account.email,
          name: 'Me Myself',
          roles: ['user'],
        });
        expectNoSecretFields(res.body);
        expectProblem(await http().get('/api/users/me'), 401);
      });

      it('renames with PATCH, keeps it and moves updatedAt', async () => {
        const account = await signUpAndLogin(app, 'Old Name');
        const before = (await http(account).get('/api/users/me').expect(200)).body as UserJson;
        const res = await http(account)
          .patch('/api/users/me')
          .send({ name: 'New Name' })
          .expect(200);
        const renamed = res.body as UserJson;
        expect(renamed).toMatchObject({ id: account.id, name: 'New Name', email: account.email });
        expectNoSecretFields(renamed);
        expect(Date.parse(renamed.updatedAt)).toBeGreaterThanOrEqual(Date.parse(before.updatedAt));
        const again = await http(account).get('/api/users/me').expect(200);
        expect((again.body as UserJson).name).toBe('New Name');
      });

      it('rejects PATCH with an empty name, a 101-character name, an unknown field or email with 400, and no token with 401', async () => {
        const account = await signUpAndLogin(app);
        for (const body of [
          { name: '' },
          { name: 'n'.repeat(101) },
          { name: 'ok', email: 'x@example.com' },
          { name: 7 },
          {},
        ]) {
          expectProblem(await http(account).patch('/api/users/me').send(body), 400);
        }
        expectProblem(await http().patch('/api/users/me').send({ name: 'x' }), 401);
        const me = await http(account).get('/api/users/me').expect(200);
        expect((me.body as UserJson).email).toBe(account.email);
      });
    });

    describe('POST /api/users/me/password', () => {
      it('changes the password with 204, revokes every session, and only the new password logs in', async () => {
        const account = await signUpAndLogin(app);
        const second = await login(app, account.email, account.password);
        const newPassword = 'brand-new-password-2';
        await http(account)
          .post('/api/users/me/password')
          .send({ currentPassword: account.password, newPassword })
          .expect(204);
        for (const refreshToken of [account.refreshToken, second.refreshToken]) {
          expectProblem(await http().post('/api/auth/refresh').send({ refreshToken }), 401);
        }
        expectProblem(
          await http()
            .post('/api/auth/login')
            .send({ email: account.email, password: account.password }),
          401,
        );
        await login(app, account.email, newPassword);
      });

      it('answers 401 for a wrong current password and keeps the old password', async () => {
        const account = await signUpAndLogin(app);
        const res = await http(account)
          .post('/api/users/me/password')
          .send({ currentPassword: 'not-my-password', newPassword: 'another-password-3' });
        expectProblem(res, 401);
        await login(app, account.email, account.password);
        await http()
          .post('/api/auth/refresh')
          .send({ refreshToken: account.refreshToken })
          .expect(200);
      });

      it('rejects a too short or too long new password, missing fields and unknown fields with 400; no token with 401', async () => {
        const account = await signUpAndLogin(app);
        const bodies = [
          { currentPassword: account.password, newPassword: 'short' },
          { currentPassword: account.password, newPassword: 'p'.repeat(129) },
          { currentPassword: account.password },
          { newPassword: 'another-password-3' },
          { currentPassword: account.password, newPassword: 'another-password-3', extra: 1 },
        ];
        for (const body of bodies) {
          expectProblem(await http(account).post('/api/users/me/password').send(body), 400);
        }
        expectProblem(
          await http()
            .post('/api/users/me/password')
            .send({ currentPassword: PASSWORD, newPassword: 'another-password-3' }),
          401,
        );
        await login(app, account.email, account.password);
      });
    });

    describe('DELETE /api/users/me', () => {
      it('deletes with 204; then me, login, refresh and order creation get 401', async () => {
        const account = await signUpAndLogin(app);
        await http(account).delete('/api/users/me').expect(204);
        expectProblem(await http(account).get('/api/users/me'), 401);
        expectProblem(
          await http()
            .post('/api/auth/login')
            .send({ email: account.email, password: account.password }),
          401,
        );
        await eventually(async () =>
          expectProblem(
            await http().post('/api/auth/refresh').send({ refreshToken: account.refreshToken }),
            401,
          ),
        );
        expectProblem(await http(account).post('/api/orders').send(orderBody()), 401);
        expectProblem(await http(account).delete('/api/users/me'), 401);
        expectProblem(await http(account).patch('/api/users/me').send({ name: 'ghost' }), 401);
        expectProblem(await http(admin).get(`/api/users/${account.id}`), 404);
      });

      it('cancels pending and confirmed orders but leaves shipped and delivered ones', async () => {
        const account = await signUpAndLogin(app);
        const pending = await orderWithStatus(app, account, admin, 'pending');
        const confirmed = await orderWithStatus(app, account, admin, 'confirmed');
        const shipped = await orderWithStatus(app, account, admin, 'shipped');
        const delivered = await orderWithStatus(app, account, admin, 'delivered');

        await http(account).delete('/api/users/me').expect(204);

        const statusOf = (id: string) => orderStatus(app, admin, id);
        await eventually(async () => {
          expect(await statusOf(pending.id)).toBe('cancelled');
          expect(await statusOf(confirmed.id)).toBe('cancelled');
        });
        expect(await statusOf(shipped.id)).toBe('shipped');
        expect(await statusOf(delivered.id)).toBe('delivered');
      });

      it('answers 401 without a token', async () => {
        expectProblem(await http().delete('/api/users/me'), 401);
      });
    });

    describe('GET /api/users/{id}', () => {
      it('shows the user to themself and to an admin, and 404 to anyone else', async () => {
        const owner = await signUpAndLogin(app);
        const other = await signUpAndLogin(app);
        const self = await http(owner).get(`/api/users/${owner.id}`).expect(200);
        expect(self.body).toMatchObject({ id: owner.id, email: owner.email });
        expectNoSecretFields(self.body);
        const byAdmin = await http(admin).get(`/api/users/${owner.id}`).expect(200);
        expect(byAdmin.body).toMatchObject({ id: owner.id, email: owner.email });
        const byOther = await http(other).get(`/api/users/${owner.id}`);
        expectProblem(byOther, 404);
        // Not revealing existence: an unknown id gets the very same answer.
        const unknown = await http(other).get(`/api/users/00000000-0000-4000-8000-000000000000`);
        expectProblem(unknown, 404);
        // (Apart from the path it names and the request id, which are the request's own.)
        expect({ ...(unknown.body as object), instance: undefined, requestId: undefined }).toEqual({
          ...(byOther.body as object),
          instance: undefined,
          requestId: undefined,
        });
        expectProblem(await http().get(`/api/users/${owner.id}`), 401);
      });

      it('answers 400 or 404 for a malformed id', async () => {
        const account = await signUpAndLogin(app);
        for (const id of ['not-a-uuid', '123', `${account.id}x`])
          expectMalformedIdRefused(await http(account).get(`/api/users/${id}`));
        const res = await http(admin).get(`/api/users/not-a-uuid`);
        expect([400, 404]).toContain(res.status);
      });
    });

    describe('GET /api/users', () => {
      it('is 403 for a non-admin and 401 without a token', async () => {
        const account = await signUpAndLogin(app);
        expectProblem(await http(account).get('/api/users'), 403);
        expectProblem(await http().get('/api/users'), 401);
      });

      it('pages every user exactly once, newest first, without secrets', async () => {
        const created: string[] = [];
        for (let i = 0; i < 3; i++) created.push((await signUpAndLogin(app, `Pager ${i}`)).id);
        const first = await http(admin).get('/api/users').expect(200);
        expect(Object.keys(first.body as object).sort()).toEqual(['items', 'nextCursor']);
        expect(
          typeof (first.body as { nextCursor: unknown }).nextCursor === 'string' ||
            (first.body as { nextCursor: unknown }).nextCursor === null,
        ).toBe(true);
        const all = (first.body as { items: UserJson[] }).items;
        expect(all.length).toBeGreaterThan(3);
        expect(all.length).toBeLessThanOrEqual(20);

        const { items, pages } = await walkPages<UserJson>(app, '/api/users', admin, 2);
        expect(pages).toBeGreaterThan(2);
        const ids = items.map((u) => u.id);
        expect(new Set(ids).size).toBe(ids.length);
        for (const id of [...created, admin.id]) expect(ids).toContain(id);
        const times = items.map((u) => Date.parse(u.createdAt));
        for (let i = 1; i < times.length; i++) expect(times[i]).toBeLessThanOrEqual(times[i - 1]);
        // The newest sign-ups come first, in reverse order of creation.
        expect(ids.indexOf(created[2])).toBeLessThan(ids.indexOf(created[1]));
        expect(ids.indexOf(created[1])).toBeLessThan(ids.indexOf(created[0]));
        expectNoSecretFields(items);
      });

      it('rejects limit 0, 101, abc, 1.5 and a bad cursor with 400', async () => {
        await expectListQueries(app, '/api/users', admin, [
          'limit=0',
          'limit=101',
          'limit=abc',
          'limit=1.5',
          'cursor=not-a-cursor',
          'cursor=' + Buffer.from('x|y').toString('base64url'),
        ]);
      });
    });

    describe('orderSummary', () => {
      it('follows create, cancel and every status change within 5 s (open = pending, confirmed, shipped)', async () => {
        const account = await signUpAndLogin(app);
        const expectSummary = (total: number, open: number) =>
          eventually(async () => expect(await summaryOf(account)).toEqual({ total, open }), 5000);

        const a = await createOrder(app, account);
        await expectSummary(1, 1);
        await cancelOrder(app, account, a.id);
        await expectSummary(1, 0);

        const b = await createOrder(app, account);
        await expectSummary(2, 1);
        await setOrderStatus(app, admin, b.id, 'confirmed');
        const c = await createOrder(app, account);
        await expectSummary(3, 2);
        await setOrderStatus(app, admin, b.id, 'shipped');
        const d = await createOrder(app, account);
        await expectSummary(4, 3);
        await setOrderStatus(app, admin, b.id, 'delivered');
        await expectSummary(4, 2);
        await setOrderStatus(app, admin, c.id, 'confirmed');
        await cancelOrder(app, account, c.id);
        await expectSummary(4, 1);
        await setOrderStatus(app, admin, d.id, 'confirmed');
        await setOrderStatus(app, admin, d.id, 'shipped');
        await expectSummary(4, 1);
        // A refused cancel (shipped) changes nothing.
        expectProblem(await http(account).post(`/api/orders/${d.id}/cancel`), 409);
        const e = await createOrder(app, account);
        await expectSummary(5, 2);
        expect(e.status).toBe('pending');
        const me = (await http(admin).get(`/api/users/${account.id}`).expect(200)).body as UserJson;
        expect(me.orderSummary).toEqual({ total: 5, open: 2 });
      });
    });
  });
}
