/**
 * `npm run bench`: HTTP throughput and latency of the built app (dist/) against a real Postgres,
 * compared with a bare Fastify server that returns the same user JSON, and the resident memory
 * of every shape. One file per scenario in scenarios/; this is the runner.
 *
 * Scenarios (run one at a time, each after a short warm-up):
 *   - authenticated GET /api/users/me
 *   - authenticated POST /api/orders
 *   - authenticated GET /api/orders?limit=20
 *   - the admin's GET /api/users?limit=10 (ADMIN_EMAIL/ADMIN_PASSWORD make the admin at start)
 *   - POST /api/auth/login (BENCH_LOGIN_CONNECTIONS connections; argon2id verification
 *     dominates, so the same run also times argon2.verify alone with the app's parameters)
 *   - bare Fastify GET /api/users/me (baseline; the app is stopped first)
 *   - the database baselines (scenarios/baselines.ts), right after the app is stopped: Fastify
 *     and node-postgres running the app's SQL for /me, /orders?limit=20 and /users?limit=10 and
 *     answering the same bytes, without any token check (bench/pg-fastify.ts: the limit of the
 *     database plus HTTP); and pgbench running the one statement POST /api/orders commits (the
 *     order row and its outbox row) at the same connections (scenarios/pgbench.ts). Each read's
 *     req/s over its Fastify+pg twin, and POST /api/orders' over pgbench's tps, are targets.
 *   - GET /api/users/me with logs and traces off, logs only, logs and traces (no-op exporter),
 *     logs and traces exported over OTLP: the cost of observability (scenarios/observability.ts)
 *   - GET /api/users/me with the rate limits on and off: their cost, as a ratio of req/s
 *     (scenarios/rate-limits.ts)
 * The HTTP scenarios run twice: against the one-process app, and against the split shape (the
 * gateway in front of one process per module, TRANSPORT=nats), printed side by side; then
 * POST /api/orders on each shape in turns, each started for its turn, which is what the split
 * shape's writes are judged by (scenarios/writes-in-turns.ts). Then one
 * cross-module request (the account check) is timed in-process over 10,000 sequential calls: a
 * direct handler call and the bus on the local transport in turns (one call of each, the order
 * alternating), then the bus on NATS.
 *
 * Under POST /api/orders load it also reads the order module's outbox: events relayed per second
 * and the delay from commit (created_at) to delivered-and-marked-sent (sent_at), p50/p99; once at
 * full load (saturated: the relay competes with the requests for the same 2 cores and pool) and
 * once paced at BENCH_OUTBOX_RATE orders per second.
 *
 * Memory (memory.ts): the RSS of every process that serves a scenario, idle once settled before
 * it and peak during it (sampled every 100 ms, and the kernel's VmHWM). Each shape also runs
 * the mixed load (mixed.ts: BENCH_MIXED_CLIENTS clients, each signing users up, logging in,
 * ordering, listing, reading /me) for BENCH_DURATION as its first load: the one process on
 * Postgres, the split shape (every process), and the default install, the one process on
 * embedded storage (scenarios/embedded.ts: no database URL, no Redis, a fresh DATA_DIR). Last,
 * the soak (scenarios/soak.ts): the embedded app under the mixed load paced at BENCH_SOAK_RATE
 * for BENCH_SOAK_MINUTES, RSS every second (and the app's heap and external memory from its
 * /metrics, to tell where a growth went); its growth from the first minute to the last, and
 * the embedded peak against the chart's default memory limit (deploy/helm/cleave/values.yaml),
 * are targets.
 *
 * Env (all optional):
 *   BENCH_DURATION     seconds per scenario (default 10)
 *   BENCH_ONLY         `observability`: only the logs/traces overhead scenario; `rate-limits`:
 *                      only the rate limits' cost; `writes`: only POST /api/orders (saturated
 *                      and paced) with the outbox's figures, and the relay's scale-out;
 *                      `relay`: only the relay's scale-out; `shapes`: only POST /api/orders
 *                      on one process and the split shape in turns; `bus`: only the cross-module
 *                      request's latency; `memory`: only the embedded app's mixed load and
 *                      soak; `baselines`: only the app's /me,
 *                      POST /api/orders, /orders?limit=20 and /users?limit=10, then the
 *                      Fastify+pg and pgbench baselines and their ratios (each printed, no
 *                      results file)
 *   BENCH_WARMUP       seconds of warm-up per scenario (default 3; 0 disables)
 *   BENCH_CONNECTIONS  concurrent connections (default 50)
 *   BENCH_LOGIN_CONNECTIONS  concurrent connections for the login scenario (default 8)
 *   BENCH_OUTBOX_RATE  orders per second of the paced outbox scenario (default 200)
 *   BENCH_BUS_CALLS    sequential account checks per transport (default 10000)
 *   BENCH_RELAY_EVENTS the backlog the relay's scale-out drains (default 40000)
 *   BENCH_RELAY_ROUNDS rounds of the relay's drains, one process's and two's back to back
 *                      (default 3; the median of the rounds' ratios is judged)
 *   BENCH_RELAY_MILLICORES  each relay process's CPU limit when the scale-out is measured
 *                      again under limits, in thousandths of a core (default an eighth of the
 *                      machine's cores, 250 on 2; 0 skips it)
 *   BENCH_SHAPE_ROUNDS rounds of POST /api/orders on one process and the split shape in
 *                      turns (default 3; the median of the rounds' ratios is the split shape's
 *                      writes ÷ one process)
 *   BENCH_BASELINE_ROUNDS  rounds of each read beside its Fastify+pg baseline, back to back
 *                      (default 3; the median round's ratio is judged)
 *   BENCH_OVERHEAD_ROUNDS  rounds of the observability and rate-limit A/B scenarios, each mode
 *                      measured at the same time as its baseline, half the connections each
 *                      (default 5, after one round that is not recorded; the median round's
 *                      cost is judged)
 *   BENCH_MIXED_CLIENTS  concurrent clients of the mixed load and the soak (default 16)
 *   BENCH_SOAK_MINUTES minutes of the soak (default 10; 0 skips it)
 *   BENCH_SOAK_RATE    the soak's pace, requests per second overall (default 50)
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
 *
 * Beside another system: `npm run bench:compare` (bench/compare/brocoders.ts) measures cleave
 * and brocoders/nestjs-boilerplate on the same machine and Postgres, each alone, scenario by
 * scenario (/me, login, the admin's user list, PATCH /me), with these helpers; its header says
 * what it needs (BROCODERS_DIR) and how to run it.
 */
import { existsSync, readFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { APP_MAIN } from './built';
import { chartMemoryLimit, type ChartLimit } from './chart';
import { createBenchDatabase } from './database';
import { runBench } from './lifecycle';
import { stopChild } from './processes';
import {
  isInvalid,
  printBaselines,
  printReport,
  printTargets,
  writeResults,
  type Run,
} from './report';
import { printMemory } from './report-memory';
import { argon2Baseline } from './scenarios/argon2';
import { appAgainstBaselines, measureBaselines, userIdOf } from './scenarios/baselines';
import { measureBareFastify } from './scenarios/bare-fastify';
import { busLatency } from './scenarios/bus-latency';
import { measureEmbedded } from './scenarios/embedded';
import { observabilityOverhead } from './scenarios/observability';
import { rateLimitCost } from './scenarios/rate-limits';
import { relayScaling } from './scenarios/relay-scaling';
import {
  appScenarios,
  measureOneProcess,
  measureScenarios,
  readAnswers,
  signUp,
  startApp,
  type App,
  type Fixture,
} from './scenarios/one-process';
import { soak } from './scenarios/soak';
import { measureSplit } from './scenarios/split';
import { writesInTurns } from './scenarios/writes-in-turns';
import { newNamespace } from './servers';
import { assertLoopbackServers, log, settings } from './settings';
import {
  baselineTargets,
  checkTargets,
  memoryTargets,
  outboxTargets,
  p99Under,
  relate,
  splitWritesInTurns,
  type Check,
} from './targets';
import { createWorkspace, dataDir } from './workspace';

async function main(): Promise<number> {
  const startedAt = new Date();
  const { databaseUrl, loadAverageAtStart, chartLimit } = await prepare();
  if (settings.only === 'memory') return memoryOnly(chartLimit);
  const app = await startApp(databaseUrl);
  const fixture = await signUp(app.port);
  if (settings.only === 'bus') {
    await stopChild(app.process);
    const bus = await measureBus(databaseUrl, fixture, newNamespace());
    process.stdout.write(`${JSON.stringify(bus, null, 2)}\n`);
    return 0;
  }
  if (settings.only === 'observability') {
    await stopChild(app.process);
    const observability = await observabilityOverhead(app.env, readerAuths(fixture));
    process.stdout.write(`${JSON.stringify(observability.cost, null, 2)}\n`);
    return 0;
  }
  if (settings.only === 'writes') {
    const writes = appScenarios(fixture).filter((s) => s.outbox);
    const { results, outbox } = await measureScenarios(app, writes);
    await stopChild(app.process);
    const relay = await relayScaling(databaseUrl);
    process.stdout.write(`${JSON.stringify({ results, outbox, relay }, null, 2)}\n`);
    const checks = [...results.map(p99Under), ...outboxTargets(outbox.saturated, relay)];
    printTargets({ checks, mixed: [], soak: null });
    return strictStatus(checks);
  }
  if (settings.only === 'shapes') {
    await stopChild(app.process);
    const writes = await writesInTurns(databaseUrl, splitEnvOf(app.env, newNamespace()), fixture);
    process.stdout.write(`${JSON.stringify(writes, null, 2)}\n`);
    const run = { checks: [splitWritesInTurns(writes)], writes, mixed: [], soak: null };
    printTargets(run);
    if (isInvalid(run)) return 1;
    return strictStatus(run.checks);
  }
  if (settings.only === 'relay') {
    await stopChild(app.process);
    const relay = await relayScaling(databaseUrl);
    process.stdout.write(`${JSON.stringify(relay, null, 2)}\n`);
    const checks = outboxTargets(undefined, relay);
    printTargets({ checks, mixed: [], soak: null });
    return strictStatus(checks);
  }
  if (settings.only === 'baselines') return baselinesOnly(app, fixture, databaseUrl);
  if (settings.only === 'rate-limits') {
    await stopChild(app.process);
    const rateLimits = await rateLimitCost(app.env, readerAuths(fixture));
    process.stdout.write(`${JSON.stringify(rateLimits, null, 2)}\n`);
    return 0;
  }
  const run = {
    startedAt,
    loadAverageAtStart,
    ...(await measureAll(app, fixture, databaseUrl, chartLimit)),
  };
  printReport(run);
  writeResults(run);
  if (isInvalid(run)) return 1;
  return strictStatus(run.checks);
}

/** 1 under BENCH_STRICT=1 when a target failed, else 0. */
function strictStatus(checks: Check[]): number {
  return settings.strict && !checks.every((c) => c.pass) ? 1 : 0;
}

/** BENCH_ONLY=memory: the embedded app's mixed load and soak, printed. */
async function memoryOnly(chartLimit: ChartLimit): Promise<number> {
  const embedded = await measureEmbedded(chartLimit);
  const measured = { mixed: [embedded], soak: await soak(chartLimit), chartLimit };
  const run = { ...measured, checks: memoryTargets(measured) };
  printMemory(run);
  printTargets(run);
  if (isInvalid(run)) return 1;
  return strictStatus(run.checks);
}

/** BENCH_ONLY=baselines: the app's reads and writes against the database baselines, printed. */
async function baselinesOnly(app: App, fixture: Fixture, databaseUrl: string): Promise<number> {
  const { results, baselines } = await appAgainstBaselines(
    app,
    fixture,
    appScenarios(fixture),
    databaseUrl,
  );
  const orders = results.filter((r) => r.name === 'POST /api/orders');
  const run = {
    results: [...results, ...baselines.pgFastify],
    checks: [...baselineTargets(baselines), ...orders.map(p99Under)],
    mixed: [],
    soak: null,
  };
  printBaselines(baselines);
  printTargets(run);
  if (isInvalid(run)) return 1;
  return strictStatus(run.checks);
}

/** Checks the settings; reads the chart's limit; makes the temp dir and the database. */
async function prepare(): Promise<{
  databaseUrl: string;
  loadAverageAtStart: number[];
  chartLimit: ChartLimit;
}> {
  assertLoopbackServers();
  assertProjectNode();
  if (!existsSync(APP_MAIN)) throw new Error(`${APP_MAIN} is missing; run npm run build first`);
  // Read first: a values file the bench cannot read should fail the run before it measures.
  const chartLimit = chartMemoryLimit();
  const workspace = createWorkspace();
  log(
    `duration ${settings.duration} s, warm-up ${settings.warmup} s, ${settings.connections} connections, ` +
      `${settings.mixedClients} mixed-load clients, soak ${settings.soakMinutes} min at ${settings.soakRate} req/s; ` +
      `temp dir ${workspace}`,
  );
  const loadAverageAtStart = warnAboutLoad();
  return { databaseUrl: await createBenchDatabase(), loadAverageAtStart, chartLimit };
}

/**
 * Every scenario, one at a time: the one-process app (then stopped, so that the next ones have
 * the machine to themselves, as the app did), observability, the bus, the split shape, the
 * bare Fastify baseline, argon2 alone, the embedded app and its soak (the longest, last); then
 * every result related to the baseline.
 */
async function measureAll(
  app: App,
  fixture: Fixture,
  databaseUrl: string,
  chartLimit: ChartLimit,
): Promise<Omit<Run, 'startedAt' | 'loadAverageAtStart'>> {
  const scenarios = appScenarios(fixture);
  const { results, outbox, mixed: oneProcessMixed } = await measureOneProcess(app, scenarios);
  const answers = await readAnswers(app, scenarios);
  // First, while the database is as the app left it: the bodies compare. Stops the app.
  const baselines = await measureBaselines(databaseUrl, fixture, app, answers, results);
  const relay = await relayScaling(databaseUrl);
  const observability = await observabilityOverhead(app.env, readerAuths(fixture));
  const rateLimits = await rateLimitCost(app.env, readerAuths(fixture));
  const namespace = newNamespace();
  const bus = await measureBus(databaseUrl, fixture, namespace);
  const splitEnv = splitEnvOf(app.env, namespace);
  const { results: split, mixed: splitMixed } = await measureSplit(splitEnv, fixture, scenarios);
  const writes = await writesInTurns(databaseUrl, splitEnv, fixture);
  const baseline = await measureBareFastify(fixture);
  results.push(baseline);
  const argon2 = await argon2Baseline(fixture.password);
  const embedded = await measureEmbedded(chartLimit);
  const soaked = await soak(chartLimit);
  const measured = {
    results,
    shapes: relate(results, split, baseline),
    observability,
    rateLimits,
    bus,
    baselines,
    outbox,
    relay,
    writes,
    mixed: [embedded, oneProcessMixed, splitMixed],
    soak: soaked,
    chartLimit,
  };
  return { ...measured, baseline, split, argon2, checks: checkTargets(measured) };
}

/** The split shape's settings: the app's, with Redis for sessions and NATS in `namespace`. */
function splitEnvOf(appEnv: Record<string, string>, namespace: string): Record<string, string> {
  return {
    ...appEnv,
    AUTH_REDIS_URL: settings.redisUrl,
    NATS_URL: settings.natsUrl,
    NATS_NAMESPACE: namespace,
  };
}

/** The Authorization headers of the accounts that reads act as in turn. */
function readerAuths(fixture: Fixture): Array<Record<string, string>> {
  return fixture.readers.map((reader) => reader.auth);
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

/** One cross-module request, timed directly, on the local transport and on NATS. */
function measureBus(databaseUrl: string, fixture: Fixture, namespace: string) {
  return busLatency({
    env: { USER_DATABASE_URL: databaseUrl, ORDER_DATABASE_URL: databaseUrl, DATA_DIR: dataDir() },
    userId: userIdOf(fixture),
    calls: settings.busCalls,
    natsUrl: settings.natsUrl,
    redisUrl: settings.redisUrl,
    namespace,
  });
}

/**
 * The app runs on the Node.js release `.nvmrc` names, and the bench measures it there: its
 * processes are started with this one's binary, and figures from another major are not the
 * project's (a run on Node 20 once went into `bench/results/latest.json` unnoticed).
 */
function assertProjectNode(): void {
  const wanted = readFileSync('.nvmrc', 'utf8').trim();
  const major = (version: string) => version.replace(/^v/, '').split('.')[0];
  if (major(process.version) !== major(wanted)) {
    throw new Error(
      `the bench runs on Node.js ${wanted} (.nvmrc), as the app does; this is ${process.version}. ` +
        `Put Node.js ${major(wanted)} first on PATH (.ci/run shows how).`,
    );
  }
}

runBench(main);
