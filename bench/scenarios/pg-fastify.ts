import { expectRequest } from '../http';
import { measure, type ScenarioResult } from '../measure';
import { pidOf, startBenchServer, stopChild } from '../processes';
import type { AppAnswer } from './one-process';

/** One read: the app and its baseline measured back to back, in each round. */
export interface ReadPair {
  /** The median round's measurements (by the ratio of their rates). */
  app: ScenarioResult;
  baseline: ScenarioResult;
  /** app req/s over baseline req/s, round by round. */
  roundRatios: number[];
}

/** The app as the reads measure it: running, idle between its turns. */
export interface RunningApp {
  port: number;
  pid: number;
  /** Throws when the app died under the load of `scenario`. */
  assertRunning(scenario: string): void;
}

/**
 * The reads' baseline: bench/pg-fastify.ts (Fastify and node-postgres, the app's SQL and JSON,
 * no token check) serving each read scenario, measured alone on the machine as the app is.
 * Each answers first what the app answered for the same database state, byte for byte, or the
 * run stops: a baseline that does less work than the app is no baseline.
 *
 * Both stay up, and each read is measured in `rounds` rounds of the app then the baseline back
 * to back (the other one idle), the first of the two alternating by round. On a machine shared
 * with others, speed drifts from minute to minute (the same code measured 180 and 307 µs of CPU a
 * request half an hour apart): a ratio of two measurements seconds apart is what compares, and
 * the median round's is the one reported.
 */
export async function measurePgFastify(
  databaseUrl: string,
  userId: string,
  answers: AppAnswer[],
  app: RunningApp,
  rounds: number,
): Promise<ReadPair[]> {
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
    const pairs: ReadPair[] = [];
    for (const { scenario } of answers) {
      const onApp = async () => {
        const result = await measure(
          { ...scenario, processes: { app: app.pid }, pid: app.pid },
          app.port,
        );
        app.assertRunning(scenario.name);
        return result;
      };
      const onBaseline = () =>
        measure(
          {
            ...scenario,
            name: `Fastify+pg ${scenario.name}`,
            target: 'pg-fastify',
            processes: { 'pg-fastify': pidOf(child) },
            pid: pidOf(child),
          },
          port,
        );
      const measured: Array<{ app: ScenarioResult; baseline: ScenarioResult; ratio: number }> = [];
      for (let round = 0; round < rounds; round++) {
        let appResult: ScenarioResult;
        let baselineResult: ScenarioResult;
        if (round % 2 === 0) {
          appResult = await onApp();
          baselineResult = await onBaseline();
        } else {
          baselineResult = await onBaseline();
          appResult = await onApp();
        }
        const ratio =
          baselineResult.requestsPerSec > 0
            ? appResult.requestsPerSec / baselineResult.requestsPerSec
            : 0;
        measured.push({ app: appResult, baseline: baselineResult, ratio });
      }
      const median = [...measured].sort((x, y) => x.ratio - y.ratio)[measured.length >> 1];
      pairs.push({
        app: median.app,
        baseline: median.baseline,
        roundRatios: measured.map((m) => m.ratio),
      });
    }
    return pairs;
  } finally {
    await stopChild(child);
  }
}
