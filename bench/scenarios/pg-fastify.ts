import { expectRequest } from '../http';
import { measure, type ScenarioResult } from '../measure';
import { pidOf, startBenchServer, stopChild } from '../processes';
import type { AppAnswer } from './one-process';

/**
 * The reads' baseline: bench/pg-fastify.ts (Fastify and node-postgres, the app's SQL and JSON,
 * no token check) serving each read scenario, measured alone on the machine as the app was.
 * Each answers first what the app answered for the same database state, byte for byte, or the
 * run stops: a baseline that does less work than the app is no baseline.
 */
export async function measurePgFastify(
  databaseUrl: string,
  userId: string,
  answers: AppAnswer[],
): Promise<ScenarioResult[]> {
  const { child, port } = await startBenchServer('pg-fastify', '/ready', {
    BENCH_DATABASE_URL: databaseUrl,
    BENCH_USER_ID: userId,
  });
  try {
    for (const { scenario, body } of answers) {
      const got = await expectRequest(port, 'GET', scenario.path, 200, {
        headers: scenario.headers,
        what: `pg-fastify ${scenario.path}`,
      });
      if (got !== body) {
        throw new Error(
          `pg-fastify answers ${scenario.path} unlike the app:\n  app:      ${body.slice(0, 400)}\n` +
            `  baseline: ${got.slice(0, 400)}`,
        );
      }
    }
    const results: ScenarioResult[] = [];
    for (const { scenario } of answers) {
      results.push(
        await measure(
          {
            ...scenario,
            name: `Fastify+pg ${scenario.name}`,
            target: 'pg-fastify',
            processes: { 'pg-fastify': pidOf(child) },
            pid: pidOf(child),
          },
          port,
        ),
      );
    }
    return results;
  } finally {
    await stopChild(child);
  }
}
