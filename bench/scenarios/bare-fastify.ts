import { measure, type ScenarioResult } from '../measure';
import { pidOf, startBenchServer, stopChild } from '../processes';
import type { Fixture } from './one-process';

/**
 * The baseline every result is a ratio to: bench/bare-fastify.ts answering GET /api/users/me
 * with the app's own user JSON (same shape, same bytes), measured alone on the machine.
 */
export async function measureBareFastify(fixture: Fixture): Promise<ScenarioResult> {
  const { child, port } = await startBenchServer('bare-fastify', '/api/users/me', {
    BENCH_USER_JSON: fixture.me,
  });
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
