import { expect } from 'expect';
import { uniqueEmail } from './api';

/** A client of a running cleave (one process, a module process, or the gateway). */
export interface Client {
  url: string;
  token: string;
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- response bodies of several shapes
type Json = any;

/** One request with the client's token; the body as JSON, undefined when there is none. */
export async function call(
  client: Client,
  method: string,
  path: string,
  body?: unknown,
): Promise<{ status: number; json: Json; headers: Headers }> {
  const res = await fetch(`${client.url}${path}`, {
    method,
    headers: { authorization: `Bearer ${client.token}`, 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  return {
    status: res.status,
    json: await res.json().catch(() => undefined),
    headers: res.headers,
  };
}

/** Signs up and logs in a fresh user; its access token. */
export async function signUp(
  url: string,
): Promise<{ email: string; password: string; token: string }> {
  const email = uniqueEmail('proc');
  const password = 'correct-horse-1';
  const post = (path: string, body: unknown) =>
    fetch(`${url}${path}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });
  expect((await post('/api/users', { email, password, name: 'Proc' })).status).toBe(201);
  const tokens = (await (await post('/api/auth/login', { email, password })).json()) as {
    accessToken: string;
  };
  return { email, password, token: tokens.accessToken };
}
