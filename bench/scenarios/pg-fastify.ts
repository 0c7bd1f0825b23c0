import { join } from 'node:path';
import { expectRequest } from '../http';
import { measure, type ScenarioResult } from '../measure';
import { freePort, inheritedEnv, pidOf, startChild, stopChild } from '../processes';
import { HOST, log } from '../settings';
import type { AppScenario } from './one-process';

/** What the app answered to a read scenario, just before it was stopped. */
export interface AppAnswer {
  scenario: AppScenario;
  body: string;
}

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
  const port = await freePort();
  const child = await startChild({
    label: 'pg-fastify',
    entry: join(__dirname, '..', 'pg-fastify.js'),
    readyPath: '/ready',
    env: {
      ...inheritedEnv(),
      NODE_ENV: 'production',
      PORT: String(port),
      HOST,
      BENCH_DATABASE_URL: databaseUrl,
      BENCH_USER_ID: userId,
    },
  });
  log(`pg-fastify ready on ${HOST}:${port}`);
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
