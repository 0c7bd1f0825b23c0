import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import createClient, { type Client } from 'openapi-fetch';
// Generated from the committed openapi.json by `npm run openapi:types` (lint and typecheck run it
// first; the file is git-ignored). A type-only import: SWC erases it, so Jest runs this file
// without the generated one, and tsc is what holds the journey to the document.
import type { components, paths } from '../../generated/openapi';
import { startTestApp, type TestApp } from '../../support/app';
import { uniqueEmail } from '../../support/api';

// A consumer's client: types compiled from openapi.json by openapi-typescript, requests made by
// openapi-fetch, no hand-written types for what the document describes. A change to the document
// that breaks this journey (a renamed route or field, a body that no longer fits) fails
// `npm run typecheck`.

/**
 * The problem+json body of every error answer (RFC 9457): the document's own schema, so an error
 * body that loses a field the consumer reads fails typecheck.
 */
type Problem = components['schemas']['Problem'];

/** A body for `POST /api/orders`, typed by the document. */
const aMug: components['schemas']['CreateOrderDto'] = {
  items: [{ sku: 'MUG', name: 'Mug', quantity: 1, unitPriceCents: 900 }],
  currency: 'EUR',
};

/** What a consumer keeps of an error answer: its status, stable code and a message per field. */
function readProblem(problem: Problem): {
  status: number;
  code: string | undefined;
  instance: string | undefined;
  fields: Record<string, string>;
} {
  return {
    status: problem.status,
    code: problem.code,
    instance: problem.instance,
    fields: Object.fromEntries((problem.errors ?? []).map((e) => [e.field, e.message])),
  };
}

describe('a typed client compiled from openapi.json', () => {
  let app: TestApp;
  let client: Client<paths>;
  beforeAll(async () => {
    app = await startTestApp({ store: 'pglite' });
    client = createClient<paths>({ baseUrl: app.url });
  });
  afterAll(() => app?.close());

  it('signs up, logs in, places an order, finds it in the list and cancels it', async () => {
    const email = uniqueEmail('typed');
    const password = 'correct-horse-1';

    const signUp = await client.POST('/api/users', { body: { email, password, name: 'Ada' } });
    if (!signUp.data) throw new Error(`sign-up answered ${signUp.response.status}`);
    const user = signUp.data;
    expect(signUp.response.status).toBe(201);
    expect(signUp.response.headers.get('location')).toBe(`/api/users/${user.id}`);
    expect(user).toMatchObject({ email, name: 'Ada', roles: ['user'] });

    const login = await client.POST('/api/auth/login', { body: { email, password } });
    if (!login.data) throw new Error(`login answered ${login.response.status}`);
    expect(login.data.tokenType).toBe('Bearer');

    // What a consumer does with the token: a client that sends it on every request.
    const mine = createClient<paths>({
      baseUrl: app.url,
      headers: { authorization: `${login.data.tokenType} ${login.data.accessToken}` },
    });
    const me = await mine.GET('/api/users/me');
    expect(me.data?.id).toBe(user.id);

    const placed = await mine.POST('/api/orders', {
      params: { header: { 'Idempotency-Key': randomUUID() } },
      body: {
        items: [{ sku: 'TEA-01', name: 'Green tea', quantity: 3, unitPriceCents: 450 }],
        currency: 'EUR',
      },
    });
    if (!placed.data) throw new Error(`placing the order answered ${placed.response.status}`);
    const order = placed.data;
    expect(placed.response.status).toBe(201);
    expect(order).toMatchObject({
      userId: user.id,
      status: 'pending',
      totalCents: 1350,
      currency: 'EUR',
    });

    const pending = await mine.GET('/api/orders', {
      params: { query: { status: 'pending', limit: 10 } },
    });
    if (!pending.data) throw new Error(`listing answered ${pending.response.status}`);
    expect(pending.data.items.map((o) => o.id)).toEqual([order.id]);
    expect(pending.data.nextCursor).toBeNull();

    const cancelled = await mine.POST('/api/orders/{id}/cancel', {
      params: { path: { id: order.id } },
    });
    if (!cancelled.data) throw new Error(`cancelling answered ${cancelled.response.status}`);
    expect(cancelled.data.status).toBe('cancelled');

    const afterwards = await mine.GET('/api/orders', { params: { query: { status: 'pending' } } });
    expect(afterwards.data?.items).toEqual([]);
  });

  // Each case below narrows on `error` as a consumer does and hands it to `readProblem`, the one
  // function typed by the problem schema. Today's document types no error body of these
  // operations, so past the guard `error` is typed never, which TypeScript lets through: the
  // reads compile against docs/api.md's shape and are checked at run time only. Once the
  // document has its `Problem` schema, `error` is that type and every read is checked by tsc.
  describe('reads errors as problem+json', () => {
    it('a refused sign-up: 400, its code, and a message per field at fault', async () => {
      const { data, error, response } = await client.POST('/api/users', {
        body: { email: 'not-an-email', password: 'short', name: 'Ada' },
      });
      expect(data).toBeUndefined();
      expect(response.status).toBe(400);
      expect(response.headers.get('content-type')).toMatch(/^application\/problem\+json/);
      expect(response.headers.get('x-request-id')).toBeTruthy();
      if (!error) throw new Error(`an invalid sign-up answered ${response.status} with no problem`);
      const problem = readProblem(error);
      expect(problem).toMatchObject({
        status: 400,
        code: 'REQUEST.INVALID',
        instance: '/api/users',
      });
      expect(Object.keys(problem.fields).sort()).toEqual(['email', 'password']);
    });

    it('a status the document does not list: refused by the compiler, and by the server with 400', async () => {
      const owner = await signUpWithClient(app.url);
      const { data, error, response } = await owner.GET('/api/orders', {
        // @ts-expect-error -- not in the document's enum of statuses (were it any string, tsc fails here)
        params: { query: { status: 'lost' } },
      });
      expect(data).toBeUndefined();
      if (!error) throw new Error(`an unknown status filter answered ${response.status}`);
      expect(readProblem(error)).toMatchObject({ status: 400, code: 'REQUEST.INVALID' });
      expect(Object.keys(readProblem(error).fields)).toEqual(['status']);
    });

    it("someone else's order, or none: the same 404", async () => {
      const owner = await signUpWithClient(app.url);
      const stranger = await signUpWithClient(app.url);
      const placed = await owner.POST('/api/orders', { body: aMug });
      if (!placed.data) throw new Error(`placing the order answered ${placed.response.status}`);

      for (const id of [placed.data.id, randomUUID()]) {
        const { data, error, response } = await stranger.GET('/api/orders/{id}', {
          params: { path: { id } },
        });
        expect(data).toBeUndefined();
        if (!error) throw new Error(`another user's order answered ${response.status}`);
        expect(readProblem(error)).toMatchObject({
          status: 404,
          instance: `/api/orders/${id}`,
          fields: {},
        });
      }
    });

    it('cancelling twice: 409 with the stable code ORDER.NOT_CANCELLABLE', async () => {
      const owner = await signUpWithClient(app.url);
      const placed = await owner.POST('/api/orders', { body: aMug });
      if (!placed.data) throw new Error(`placing the order answered ${placed.response.status}`);
      const path = { id: placed.data.id };
      expect((await owner.POST('/api/orders/{id}/cancel', { params: { path } })).data?.status).toBe(
        'cancelled',
      );

      const { data, error, response } = await owner.POST('/api/orders/{id}/cancel', {
        params: { path },
      });
      expect(data).toBeUndefined();
      if (!error) throw new Error(`a second cancel answered ${response.status}`);
      expect(readProblem(error)).toMatchObject({ status: 409, code: 'ORDER.NOT_CANCELLABLE' });
    });
  });
});

/** A fresh user, signed up and logged in through the typed client; returns a client with their token. */
async function signUpWithClient(baseUrl: string): Promise<Client<paths>> {
  const anyone = createClient<paths>({ baseUrl });
  const email = uniqueEmail('typed');
  const password = 'correct-horse-1';
  const signUp = await anyone.POST('/api/users', { body: { email, password, name: 'Ada' } });
  if (!signUp.data) throw new Error(`sign-up answered ${signUp.response.status}`);
  const login = await anyone.POST('/api/auth/login', { body: { email, password } });
  if (!login.data) throw new Error(`login answered ${login.response.status}`);
  return createClient<paths>({
    baseUrl,
    headers: { authorization: `Bearer ${login.data.accessToken}` },
  });
}
