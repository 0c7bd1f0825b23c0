import { expect } from 'expect';
import request from 'supertest';
import type { TestApp } from './app';
import { ADMIN } from './app';

let counter = 0;

/** A unique email for this process, so tests never collide. */
export function uniqueEmail(prefix = 'user'): string {
  counter += 1;
  return `${prefix}-${process.pid}-${Date.now()}-${counter}@example.com`;
}

export interface Account {
  id: string;
  email: string;
  password: string;
  accessToken: string;
  refreshToken: string;
}

/** Signs up and logs in a fresh user. */
export async function signUpAndLogin(app: TestApp, name = 'Test User'): Promise<Account> {
  const email = uniqueEmail();
  const password = 'correct-horse-1';
  const created = await request(app.url).post('/api/users').send({ email, password, name }).expect(201);
  const tokens = await login(app, email, password);
  return { id: (created.body as { id: string }).id, email, password, ...tokens };
}

export async function login(app: TestApp, email: string, password: string): Promise<{ accessToken: string; refreshToken: string }> {
  const res = await request(app.url).post('/api/auth/login').send({ email, password }).expect(200);
  return res.body as { accessToken: string; refreshToken: string };
}

export async function loginAdmin(app: TestApp): Promise<Account> {
  const tokens = await login(app, ADMIN.email, ADMIN.password);
  const me = await request(app.url).get('/api/users/me').set('authorization', `Bearer ${tokens.accessToken}`).expect(200);
  return { id: (me.body as { id: string }).id, email: ADMIN.email, password: ADMIN.password, ...tokens };
}

export const bearer = (account: { accessToken: string }): [string, string] => [
  'authorization',
  `Bearer ${account.accessToken}`,
];

/** Polls until `check` passes or the deadline ends (no fixed sleeps). */
export async function eventually<T>(check: () => Promise<T>, timeoutMs = 5000, intervalMs = 50): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      return await check();
    } catch (error) {
      if (Date.now() >= deadline) throw error;
      await new Promise((resolve) => setTimeout(resolve, intervalMs));
    }
  }
}

export function expectProblem(res: request.Response, status: number): void {
  expect(res.status).toBe(status);
  expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
  const body = res.body as Record<string, unknown>;
  expect(body).toMatchObject({ status, type: expect.any(String), title: expect.any(String), detail: expect.any(String) });
  expect(JSON.stringify(body)).not.toMatch(/stack|at .*\.ts:|QueryFailedError|SELECT |INSERT |node_modules/);
}
