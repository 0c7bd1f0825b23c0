import { join } from 'node:path';
import { measure, type ScenarioResult } from '../measure';
import { freePort, inheritedEnv, pidOf, startChild, stopChild } from '../processes';
import { HOST, log } from '../settings';
import type { Fixture } from './one-process';

/**
 * The baseline every result is a ratio to: bench/bare-fastify.ts answering GET /api/users/me
 * with the app's own user JSON (same shape, same bytes), measured alone on the machine.
 */
export async function measureBareFastify(fixture: Fixture): Promise<ScenarioResult> {
  const port = await freePort();
  const child = await startChild({
    label: 'bare-fastify',
    entry: join(__dirname, '..', 'bare-fastify.js'),
    readyPath: '/api/users/me',
    env: {
      ...inheritedEnv(),
      NODE_ENV: 'production',
      PORT: String(port),
      HOST,
      BENCH_USER_JSON: fixture.me,
    },
  });
  log(`bare-fastify ready on ${HOST}:${port}`);
  try {
    return await measure(
      {
        name: 'bare Fastify GET /api/users/me',
        target: 'bare-fastify',
        method: 'GET',
        path: '/api/users/me',
        headers: fixture.auth,
        processes: { 'bare-fastify': pidOf(child) },
      },
      port,
    );
  } finally {
    await stopChild(child);
  }
}
