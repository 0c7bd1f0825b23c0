import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { describeOrSkip } from '../../support/skip';
import { eventually, uniqueEmail } from '../../support/api';
import { call, signUp } from '../../support/http-client';
import { sample } from '../../support/metrics';
import { AppProcess } from '../../support/process';
import { shapeTargets } from '../../support/services';
import { startSplitApp, type SplitApp } from '../../support/split';

/** Bugs stand-ins: reading one's profile throws, and so does the user module's credential check. */
const FAILPOINTS = 'user.me:throw,user.verify-credentials:throw@2-9';

/** A new account, not logged in (each login counts towards the failpoint's hits). */
async function signUpOnly(url: string): Promise<{ email: string; password: string }> {
  const account = { email: uniqueEmail('bug'), password: 'correct-horse-1' };
  const res = await fetch(`${url}/api/users`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ ...account, name: 'Bug' }),
  });
  expect(res.status).toBe(201);
  return account;
}

async function loginToken(url: string, account: { email: string; password: string }) {
  const res = await fetch(`${url}/api/auth/login`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(account),
  });
  expect(res.status).toBe(200);
  return ((await res.json()) as { accessToken: string }).accessToken;
}

type LogLine = Record<string, unknown> & { msg?: string; requestId?: string; level?: number };

const parse = (lines: string[]): LogLine[] => lines.map((l) => JSON.parse(l) as LogLine);

async function fetchWithId(
  url: string,
  path: string,
  token: string | undefined,
  body?: unknown,
): Promise<{ requestId: string; status: number; json: Record<string, unknown>; type: string }> {
  const requestId = `bug-${randomUUID()}`;
  const res = await fetch(`${url}${path}`, {
    method: body === undefined ? 'GET' : 'POST',
    headers: {
      ...(token && { authorization: `Bearer ${token}` }),
      'x-request-id': requestId,
      ...(body !== undefined && { 'content-type': 'application/json' }),
    },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  expect(res.headers.get('x-request-id')).toBe(requestId);
  return {
    requestId,
    status: res.status,
    json: (await res.json()) as Record<string, unknown>,
    type: res.headers.get('content-type') ?? '',
  };
}

/** The one `unexpected error` line of a request, once its process wrote it. */
async function errorLineOf(logs: () => string[], requestId: string): Promise<LogLine> {
  return eventually(() => {
    const lines = parse(logs()).filter(
      (l) => l.requestId === requestId && l.msg === 'unexpected error',
    );
    expect(lines).toHaveLength(1);
    const [line] = lines;
    if (!line) throw new Error('no line');
    return Promise.resolve(line);
  }, 10_000);
}

function expectLoggedBug(line: LogLine, where: Record<string, unknown>, point: string): void {
  expect(line).toMatchObject({ level: 50, ...where });
  const err = line.error as { type: string; message: string; stack: string };
  expect(err).toMatchObject({ type: 'FailpointError', message: `failpoint ${point}` });
  expect(err.stack).toMatch(/FailpointError: failpoint/);
  expect(err.stack).toMatch(/\n\s+at /);
}

function expectBugAnswer(res: {
  status: number;
  json: Record<string, unknown>;
  type: string;
}): void {
  expect(res.status).toBe(500);
  expect(res.type).toMatch(/^application\/problem\+json/);
  expect(res.json).toMatchObject({
    status: 500,
    code: 'INTERNAL',
    detail: 'An unexpected error occurred.',
  });
  expect(JSON.stringify(res.json)).not.toMatch(/failpoint|at .+:\d+|node_modules/i);
}

describe('an unexpected error in the one-process shape', () => {
  let app: AppProcess;
  let data: Awaited<ReturnType<typeof AppProcess.prepare>>;
  beforeAll(async () => {
    data = await AppProcess.prepare('pglite');
    app = await AppProcess.start(
      { ...data.env, LOG_LEVEL: 'info', CLEAVE_FAILPOINTS: FAILPOINTS },
      { captureLogs: true },
    );
  });
  afterAll(async () => {
    await app?.kill();
    await data?.cleanup();
  });

  it('is a 500 problem, logged once at error level with request id, route, class and stack, no secret', async () => {
    const account = await signUp(app.url);
    const res = await fetchWithId(app.url, '/api/users/me', account.token);
    expectBugAnswer(res);
    const line = await errorLineOf(() => app.logLines, res.requestId);
    expectLoggedBug(line, { method: 'GET', route: '/api/users/me', context: 'http' }, 'user.me');
    for (const text of app.logLines) {
      expect(text).not.toContain(account.token);
      expect(text).not.toContain(account.password);
    }
  });

  it('in a bus handler is a 500 for the caller, not a 503, logged once, and opens no breaker', async () => {
    const account = await signUpOnly(app.url);
    for (let i = 0; i < 8; i++) {
      const res = await fetchWithId(app.url, '/api/auth/login', undefined, account);
      expectBugAnswer(res);
      const line = await errorLineOf(() => app.logLines, res.requestId);
      expectLoggedBug(line, { pattern: 'user.verify-credentials' }, 'user.verify-credentials');
    }
    const metrics = await (await fetch(`${app.url}/metrics`)).text();
    expect(sample(metrics, 'circuit_breaker_state', { name: 'bus.user.verify-credentials' })).toBe(
      0,
    );
    expect(
      sample(metrics, 'circuit_breaker_events_total', {
        name: 'bus.user.verify-credentials',
        event: 'failure',
      }),
    ).toBeUndefined();
  });
});

describeOrSkip(
  'an unexpected error in a module of the split shape',
  shapeTargets().includes('split') ? false : 'postgres, redis or nats unreachable',
  () => {
    let app: SplitApp;
    beforeAll(async () => {
      app = await startSplitApp(
        { LOG_LEVEL: 'info', CLEAVE_FAILPOINTS: FAILPOINTS },
        { captureLogs: true },
      );
    });
    afterAll(() => app?.close());

    it('reaches the client through the gateway as a 500, logged once where it happened, and opens no breaker', async () => {
      const account = await signUpOnly(app.url);
      const token = await loginToken(app.url, account);
      for (let i = 0; i < 8; i++) {
        const res = await fetchWithId(app.url, '/api/users/me', token);
        expectBugAnswer(res);
        expectLoggedBug(
          await errorLineOf(() => app.processes.user.logLines, res.requestId),
          { route: '/api/users/me' },
          'user.me',
        );
        const login = await fetchWithId(app.url, '/api/auth/login', undefined, account);
        expectBugAnswer(login);
        expectLoggedBug(
          await errorLineOf(() => app.processes.user.logLines, login.requestId),
          { pattern: 'user.verify-credentials' },
          'user.verify-credentials',
        );
        for (const other of [app.gateway, app.processes.order, app.processes.auth]) {
          expect(parse(other.logLines).filter((l) => l.msg === 'unexpected error')).toEqual([]);
        }
      }
      const gateway = await (await fetch(`${app.gateway.url}/metrics`)).text();
      expect(sample(gateway, 'circuit_breaker_state', { name: 'gateway.user' })).toBe(0);
      const auth = await (await fetch(`${app.processes.auth.url}/metrics`)).text();
      expect(sample(auth, 'circuit_breaker_state', { name: 'bus.user.verify-credentials' })).toBe(
        0,
      );
      // Everything else keeps working.
      const orders = await call({ url: app.url, token }, 'GET', '/api/orders');
      expect(orders.status).toBe(200);
    });
  },
);
