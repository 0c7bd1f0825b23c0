import { measure, type ScenarioResult } from '../measure';
import { pidOf, stopChild } from '../processes';
import { log, settings } from '../settings';
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
 * The database baselines: Fastify+pg serving the reads with the bodies the app answered last,
 * each read measured in rounds beside the app (`measurePgFastify`); then the app is stopped and
 * pgbench runs the order statement with the machine to itself, as the app had it.
 * `results`: the app's one-process scenarios.
 */
export async function measureBaselines(
  databaseUrl: string,
  fixture: Fixture,
  app: App,
  answers: AppAnswer[],
  results: ScenarioResult[],
): Promise<Baselines> {
  const reads = await measurePgFastify(
    databaseUrl,
    userIdOf(fixture),
    answers,
    {
      port: app.port,
      pid: pidOf(app.process),
      assertRunning: (scenario) => assertRunning(app, scenario),
    },
    settings.baselineRounds,
  );
  await stopChild(app.process);
  log('app stopped');
  const pgbench = await pgbenchBaseline(databaseUrl);
  return relateBaselines(results, reads, pgbench);
}

/**
 * BENCH_ONLY=baselines: the app's /me, POST /api/orders, /orders?limit=20 and the admin's
 * /users?limit=10 (no mixed load, no paced or login scenario), then the baselines.
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
  return {
    results,
    baselines: await measureBaselines(databaseUrl, fixture, app, answers, results),
  };
}

export function userIdOf({ me }: Fixture): string {
  return (JSON.parse(me) as { id: string }).id;
}
