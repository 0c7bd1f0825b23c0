/**
 * The baseline for `npm run bench`: a bare Fastify server, no logger, no plugins, that answers
 * `GET /api/users/me` with a fixed user of the same shape as the app's user response.
 *
 * Env: PORT (required), HOST (default 127.0.0.1, loopback only), BENCH_USER_JSON (optional: the
 * exact user JSON to return, so the payload matches the app's byte for byte).
 */
import fastify from 'fastify';
import { serveBaseline } from './baseline-server';

const DEFAULT_USER = {
  id: '0b6f3a52-3d0c-4b8e-9a57-2f1f4f1f8c11',
  email: 'bench-user@example.com',
  name: 'Bench User',
  roles: ['user'],
  orderSummary: { total: 0, open: 0 },
  createdAt: '2025-01-01T00:00:00.000Z',
  updatedAt: '2025-01-01T00:00:00.000Z',
};

serveBaseline('bare-fastify', () => {
  const userJson = process.env.BENCH_USER_JSON;
  const user: unknown = userJson ? JSON.parse(userJson) : DEFAULT_USER;
  const app = fastify({ logger: false });
  app.get('/api/users/me', () => Promise.resolve(user));
  return Promise.resolve({ app });
});
