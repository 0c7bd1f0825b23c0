/**
 * `npm run bench`: HTTP throughput and latency of the built app (dist/) against a real Postgres,
 * compared with a bare Fastify server that returns the same user JSON. One file per scenario
 * in scenarios/; this is the runner.
 *
 * Scenarios (run one at a time, each after a short warm-up):
 *   - authenticated GET /api/users/me
 *   - authenticated POST /api/orders
 *   - authenticated GET /api/orders?limit=20
 *   - POST /api/auth/login (BENCH_LOGIN_CONNECTIONS connections; argon2id verification
 *     dominates, so the same run also times argon2.verify alone with the app's parameters)
 *   - bare Fastify GET /api/users/me (baseline; the app is stopped first)
 *   - GET /api/users/me with logs and traces off, logs only, logs and traces (no-op exporter),
 *     logs and traces exported over OTLP: the cost of observability (scenarios/observability.ts)
 * The HTTP scenarios run twice: against the one-process app, and against the split shape (the
 * gateway in front of one process per module, TRANSPORT=nats), printed side by side. Then one
 * cross-module request (the account check) is timed in-process over 10,000 sequential calls: a
 * direct handler call, the bus on the local transport, and the bus on NATS.
 *
 * Under POST /api/orders load it also reads the order module's outbox: events relayed per second
 * and the delay from commit (created_at) to delivered-and-marked-sent (sent_at), p50/p99; once at
 * full load (saturated: the relay competes with the requests for the same 2 cores and pool) and
 * once paced at BENCH_OUTBOX_RATE orders per second.
 *
 * Env (all optional):
 *   BENCH_DURATION     seconds per scenario (default 10)
 *   BENCH_ONLY         `observability`: only the logs/traces overhead scenario
 *   BENCH_WARMUP       seconds of warm-up per scenario (default 3; 0 disables)
 *   BENCH_CONNECTIONS  concurrent connections (default 50)
 *   BENCH_LOGIN_CONNECTIONS  concurrent connections for the login scenario (default 8)
 *   BENCH_OUTBOX_RATE  orders per second of the paced outbox scenario (default 200)
 *   BENCH_BUS_CALLS    sequential account checks per transport (default 10000)
 *   BENCH_NATS_URL     NATS for the split shape and the bus latency (default nats://127.0.0.1:4222)
 *   BENCH_REDIS_URL    Redis for the split shape's sessions (default redis://127.0.0.1:6379/14;
 *                      the bench deletes its own keys, cleave:auth:*, at the end)
 *   BENCH_PG_URL       admin connection used to create/drop the bench database
 *                      (default postgres://postgres@127.0.0.1:5432/test; loopback only)
 *   BENCH_READY_TIMEOUT_MS  deadline for a server to become ready (default 60000)
 *   BENCH_KEEP_LOGS=1  keep the temp dir with the app log after the run
 *   BENCH_STRICT=1     exit with status 1 when a target fails
 *
 * Results: printed as a table, and written to bench/results/<timestamp>.json and
 * bench/results/latest.json.
 */
import { existsSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { APP_MAIN } from './built';
import { createBenchDatabase } from './database';
import { runBench } from './lifecycle';
import { stopChild } from './processes';
import { invalidResults, printReport, writeResults, type Run } from './report';
import { argon2Baseline } from './scenarios/argon2';
import { measureBareFastify } from './scenarios/bare-fastify';
import { busLatency } from './scenarios/bus-latency';
import { observabilityOverhead } from './scenarios/observability';
import {
  appScenarios,
  measureOneProcess,
  signUp,
  startApp,
  type App,
  type Fixture,
} from './scenarios/one-process';
import { measureSplit } from './scenarios/split';
import { newNamespace } from './servers';
import { assertLoopbackServers, log, settings } from './settings';
import { checkTargets, relate } from './targets';
import { createWorkspace, dataDir } from './workspace';

async function main(): Promise<number> {
  const startedAt = new Date();
  const { databaseUrl, loadAverageAtStart } = await prepare();
  const app = await startApp(databaseUrl);
  const fixture = await signUp(app.port);
  if (settings.only === 'observability') {
    await stopChild(app.process);
    const observability = await observabilityOverhead(app.env, fixture.auth);
    process.stdout.write(`${JSON.stringify(observability.cost, null, 2)}\n`);
    return 0;
  }
  const run = { startedAt, loadAverageAtStart, ...(await measureAll(app, fixture, databaseUrl)) };
  printReport(run);
  writeResults(run);
  if (invalidResults(run).length > 0) return 1;
  return settings.strict && !run.checks.every((c) => c.pass) ? 1 : 0;
}

/** Checks the settings; makes the temp dir and the database. */
async function prepare(): Promise<{ databaseUrl: string; loadAverageAtStart: number[] }> {
  assertLoopbackServers();
  if (!existsSync(APP_MAIN)) throw new Error(`${APP_MAIN} is missing; run npm run build first`);
  const workspace = createWorkspace();
  log(
    `duration ${settings.duration} s, warm-up ${settings.warmup} s, ${settings.connections} connections; temp dir ${workspace}`,
  );
  const loadAverageAtStart = warnAboutLoad();
  return { databaseUrl: await createBenchDatabase(), loadAverageAtStart };
}

/**
 * Every scenario, one at a time: the one-process app (then stopped, so that the next ones have
 * the machine to themselves, as the app did), observability, the bus, the split shape, the
 * bare Fastify baseline and argon2 alone; then every result related to the baseline.
 */
async function measureAll(
  app: App,
  fixture: Fixture,
  databaseUrl: string,
): Promise<Omit<Run, 'startedAt' | 'loadAverageAtStart'>> {
  const scenarios = appScenarios(fixture);
  const { results, outbox } = await measureOneProcess(app, scenarios);
  await stopChild(app.process);
  log('app stopped');
  const observability = await observabilityOverhead(app.env, fixture.auth);
  const namespace = newNamespace();
  const bus = await busLatency({
    env: { USER_DATABASE_URL: databaseUrl, ORDER_DATABASE_URL: databaseUrl, DATA_DIR: dataDir() },
    userId: userId(fixture),
    calls: settings.busCalls,
    natsUrl: settings.natsUrl,
    redisUrl: settings.redisUrl,
    namespace,
  });
  const split = await measureSplit(
    {
      ...app.env,
      AUTH_REDIS_URL: settings.redisUrl,
      NATS_URL: settings.natsUrl,
      NATS_NAMESPACE: namespace,
    },
    fixture,
    scenarios,
  );
  const baseline = await measureBareFastify(fixture);
  results.push(baseline);
  const argon2 = await argon2Baseline(fixture.password);
  const measured = { results, shapes: relate(results, split, baseline), observability, bus };
  return { ...measured, baseline, split, outbox, argon2, checks: checkTargets(measured) };
}

/** The load average before the run; a warning when other work will skew the numbers. */
function warnAboutLoad(): number[] {
  const load = loadavg();
  if (load[0] > cpus().length * 0.5) {
    log(
      `WARNING: 1-min load average is ${load[0].toFixed(2)} on ${cpus().length} CPUs; ` +
        'other work on this machine will skew the numbers',
    );
  }
  return load;
}

function userId({ me }: Fixture): string {
  return (JSON.parse(me) as { id: string }).id;
}

runBench(main);
