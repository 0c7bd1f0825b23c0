/**
 * The baseline for `npm run bench`: a bare Fastify server, no logger, no plugins, that answers
 * `GET /api/users/me` with a fixed user of the same shape as the app's user response.
 *
 * Env: PORT (required), HOST (default 127.0.0.1, loopback only), BENCH_USER_JSON (optional: the
 * exact user JSON to return, so the payload matches the app's byte for byte).
 */
import fastify from 'fastify';

const DEFAULT_USER = {
  id: '0b6f3a52-3d0c-4b8e-9a57-2f1f4f1f8c11',
  email: 'bench-user@example.com',
  name: 'Bench User',
  roles: ['user'],
  orderSummary: { total: 0, open: 0 },
  createdAt: '2025-01-01T00:00:00.000Z',
  updatedAt: '2025-01-01T00:00:00.000Z',
};

const LOOPBACK = new Set(['127.0.0.1', '::1', 'localhost']);

async function main(): Promise<void> {
  const port = Number(process.env.PORT);
  const host = process.env.HOST || '127.0.0.1';
  if (!Number.isInteger(port) || port <= 0 || port > 65535) throw new Error('PORT must be set');
  if (!LOOPBACK.has(host)) throw new Error(`HOST must be a loopback address, got ${host}`);
  const userJson = process.env.BENCH_USER_JSON;
  const user: unknown = userJson ? JSON.parse(userJson) : DEFAULT_USER;

  const app = fastify({ logger: false });
  app.get('/api/users/me', () => Promise.resolve(user));

  const close = () => {
    app.close().then(
      () => process.exit(0),
      () => process.exit(1),
    );
  };
  process.once('SIGTERM', close);
  process.once('SIGINT', close);

  await app.listen({ port, host });
}

main().catch((error: unknown) => {
  process.stderr.write(
    `bare-fastify failed: ${error instanceof Error ? error.message : String(error)}\n`,
  );
  process.exit(1);
});
