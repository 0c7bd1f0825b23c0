import { measure, type ScenarioResult } from '../measure';
import { pidOf, stopChild } from '../processes';
import { log } from '../settings';
import { relateBaselines, type Baselines } from '../targets';
import {
  assertRunning,
  readAnswers,
  type App,
  type AppAnswer,
  type AppScenario,
  type Fixture,
} from './one-process';
import { measurePgFastify } from './pg-fastify';
import { pgbenchBaseline } from './pgbench';

/**
 * The database baselines, once the app is stopped (so that each has the machine to itself, as
 * the app had): Fastify+pg serving the reads with the bodies the app answered last, then
 * pgbench running the order statement. `results`: the app's one-process scenarios.
 */
export async function measureBaselines(
  databaseUrl: string,
  fixture: Fixture,
  answers: AppAnswer[],
  results: ScenarioResult[],
): Promise<Baselines> {
  const pgFastify = await measurePgFastify(databaseUrl, userIdOf(fixture), answers);
  const pgbench = await pgbenchBaseline(databaseUrl);
  return relateBaselines(results, pgFastify, pgbench);
}

/**
 * BENCH_ONLY=baselines: the app's /me, POST /api/orders, /orders?limit=20 and the admin's
 * /users?limit=10 (no mixed load, no paced or login scenario), then the app stopped and the
 * baselines measured.
 */
export async function appAgainstBaselines(
  app: App,
  fixture: Fixture,
  scenarios: AppScenario[],
  databaseUrl: string,
): Promise<{ results: ScenarioResult[]; baselines: Baselines }> {
  const processes = { app: pidOf(app.process) };
  const chosen = scenarios.filter((s) => s.read || (s.outbox === 'saturated' && !s.rate));
  const results: ScenarioResult[] = [];
  for (const scenario of chosen) {
    results.push(await measure({ ...scenario, processes, pid: processes.app }, app.port));
    assertRunning(app, scenario.name);
  }
  const answers = await readAnswers(app, scenarios);
  await stopChild(app.process);
  log('app stopped');
  return { results, baselines: await measureBaselines(databaseUrl, fixture, answers, results) };
}

export function userIdOf({ me }: Fixture): string {
  return (JSON.parse(me) as { id: string }).id;
}
