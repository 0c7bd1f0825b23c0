'use strict';

/**
 * `npm run bench`: HTTP throughput and latency of the built app (dist/) against a real Postgres,
 * compared with a bare Fastify server that returns the same user JSON.
 *
 * Scenarios (run one at a time, each after a short warm-up):
 *   - authenticated GET /api/users/me
 *   - authenticated POST /api/orders
 *   - authenticated GET /api/orders?limit=20
 *   - POST /api/auth/login (BENCH_LOGIN_CONNECTIONS connections; argon2id verification
 *     dominates, so the same run also times argon2.verify alone with the app's parameters)
 *   - bare Fastify GET /api/users/me (baseline; the app is stopped first)
 *   - GET /api/users/me with logs and traces off, logs only, logs and traces (no-op exporter),
 *     logs and traces exported over OTLP: the cost of observability (see observabilityOverhead)
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

const crypto = require('node:crypto');
const fs = require('node:fs');
const http = require('node:http');
const os = require('node:os');
const path = require('node:path');
const autocannon = require('autocannon');
const { busLatency } = require('./bus-latency');
const { Client } = require('pg');
const { freePort: freeLoopbackPort, ManagedProcess } = require('../dist/launcher/managed-process');
const { launchSplit } = require('../dist/launcher/split');

const ROOT = path.resolve(__dirname, '..');
const RESULTS_DIR = path.join(__dirname, 'results');
const HOST = '127.0.0.1';
const LOOPBACK_HOSTS = new Set(['127.0.0.1', 'localhost', '::1', '[::1]']);

const TARGET_ME_RATIO = 0.25;
const TARGET_P99_MS = 50;
const TARGET_OBSERVABILITY_OVERHEAD = 0.15;
// Linux' USER_HZ: /proc/<pid>/stat counts CPU time in these.
const CLOCK_TICKS = 100;

const ORDER_BODY = JSON.stringify({
  items: [{ sku: 'SKU-1', name: 'Widget', quantity: 2, unitPriceCents: 1299 }],
  currency: 'EUR',
});

function envInt(name, fallback, min, max) {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < min || value > max) {
    throw new Error(`${name} must be an integer in ${min}..${max}, got ${JSON.stringify(raw)}`);
  }
  return value;
}

const settings = {
  duration: envInt('BENCH_DURATION', 10, 1, 3600),
  warmup: envInt('BENCH_WARMUP', 3, 0, 600),
  connections: envInt('BENCH_CONNECTIONS', 50, 1, 10_000),
  loginConnections: envInt('BENCH_LOGIN_CONNECTIONS', 8, 1, 10_000),
  outboxRate: envInt('BENCH_OUTBOX_RATE', 200, 1, 100_000),
  busCalls: envInt('BENCH_BUS_CALLS', 10_000, 100, 1_000_000),
  natsUrl: process.env.BENCH_NATS_URL || 'nats://127.0.0.1:4222',
  redisUrl: process.env.BENCH_REDIS_URL || 'redis://127.0.0.1:6379/14',
  readyTimeoutMs: envInt('BENCH_READY_TIMEOUT_MS', 60_000, 1000, 600_000),
  pgAdminUrl: process.env.BENCH_PG_URL || 'postgres://postgres@127.0.0.1:5432/test',
  keepLogs: process.env.BENCH_KEEP_LOGS === '1',
  strict: process.env.BENCH_STRICT === '1',
  /** `observability`: only the logs/traces overhead scenario (a quicker loop while tuning). */
  only: process.env.BENCH_ONLY || '',
};

// ---------------------------------------------------------------------------------------------
// Resources to release: child processes (by PID), the bench database, the temp dir.

const children = new Set();
let benchDb = null; // { name, url }
let tmpDir = null;
let currentCannon = null;
let cleanupPromise = null;
let interrupted = false;
const natsNamespaces = [];

function log(message) {
  process.stdout.write(`[bench] ${message}\n`);
}

/** A child by the launchers' ManagedProcess: its output in `logFile`, stopped by PID. */
function spawnChild(label, args, env, logFile) {
  const child = ManagedProcess.spawn({
    label,
    env,
    entry: args[args.length - 1],
    nodeArgs: args.slice(0, -1),
    output: { file: logFile },
    cwd: ROOT,
  });
  children.add(child);
  void child.exited.then(() => children.delete(child));
  log(`started ${label} (pid ${child.pid})`);
  return child;
}

/** SIGTERM by PID, then SIGKILL if it has not exited within the grace period. */
async function stopChild(child, graceMs = 5000) {
  if (!child.running) return;
  await child.stop(graceMs);
}

function cleanup() {
  if (!cleanupPromise) {
    cleanupPromise = (async () => {
      if (currentCannon) {
        try {
          currentCannon.stop();
        } catch {
          /* ignore */
        }
      }
      await Promise.all([...children].map((entry) => stopChild(entry)));
      await cleanupServers();
      if (benchDb) {
        const { name } = benchDb;
        benchDb = null;
        try {
          await withAdminClient((client) =>
            client.query(`DROP DATABASE IF EXISTS ${quoteIdent(name)} WITH (FORCE)`),
          );
          log(`dropped database ${name}`);
        } catch (error) {
          log(`could not drop database ${name}: ${error.message}`);
        }
      }
      if (tmpDir) {
        if (settings.keepLogs) {
          log(`kept logs in ${tmpDir}`);
        } else {
          fs.rmSync(tmpDir, { recursive: true, force: true });
        }
      }
    })();
  }
  return cleanupPromise;
}

// Last resort: never leave a child behind, whatever happens to this process.
process.on('exit', () => {
  for (const child of children) child.signal('SIGKILL');
});

for (const signal of ['SIGINT', 'SIGTERM']) {
  process.on(signal, () => {
    if (interrupted) return;
    interrupted = true;
    log(`${signal} received; cleaning up`);
    cleanup().finally(() => process.exit(130));
  });
}

// ---------------------------------------------------------------------------------------------
// Helpers

function delay(ms) {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

function quoteIdent(name) {
  if (!/^[a-z0-9_]+$/.test(name)) throw new Error(`unexpected database name ${name}`);
  return `"${name}"`;
}

function assertLoopbackUrl(url, what) {
  const { hostname } = new URL(url);
  if (!LOOPBACK_HOSTS.has(hostname)) {
    throw new Error(`${what} must point at a loopback address, got ${hostname}`);
  }
}

async function withAdminClient(fn) {
  const client = new Client({
    connectionString: settings.pgAdminUrl,
    connectionTimeoutMillis: 5000,
  });
  await client.connect();
  try {
    return await fn(client);
  } finally {
    await client.end().catch(() => {});
  }
}

const freePort = () => freeLoopbackPort(HOST);

/** One plain HTTP request on loopback, with a timeout; resolves { status, headers, body }. */
function request(port, method, urlPath, { headers = {}, body, timeoutMs = 5000 } = {}) {
  return new Promise((resolve, reject) => {
    const payload = body === undefined ? undefined : Buffer.from(body);
    const req = http.request(
      {
        host: HOST,
        port,
        method,
        path: urlPath,
        headers: {
          ...(payload
            ? { 'content-type': 'application/json', 'content-length': payload.length }
            : {}),
          ...headers,
        },
        timeout: timeoutMs,
        agent: false,
      },
      (res) => {
        const chunks = [];
        res.on('data', (chunk) => chunks.push(chunk));
        res.on('end', () =>
          resolve({
            status: res.statusCode,
            headers: res.headers,
            body: Buffer.concat(chunks).toString('utf8'),
          }),
        );
        res.on('error', reject);
      },
    );
    req.on('timeout', () => req.destroy(new Error(`timeout after ${timeoutMs} ms`)));
    req.on('error', reject);
    if (payload) req.write(payload);
    req.end();
  });
}

/** Until `urlPath` answers 200; fails when the child exits first (with its log's end). */
function waitReady(child, port, urlPath) {
  return child.waitReady(`http://${HOST}:${port}${urlPath}`, settings.readyTimeoutMs);
}

function expectStatus(res, status, what) {
  if (res.status !== status) {
    throw new Error(
      `${what}: expected HTTP ${status}, got ${res.status}: ${res.body.slice(0, 500)}`,
    );
  }
}

function runCannon(opts) {
  return new Promise((resolve, reject) => {
    currentCannon = autocannon(opts, (error, result) => {
      currentCannon = null;
      if (error) reject(error);
      else resolve(result);
    });
  });
}

/** Warm-up (discarded), then the measured run. */
async function measure(scenario, port) {
  const base = {
    url: `http://${HOST}:${port}${scenario.path}`,
    method: scenario.method,
    headers: scenario.headers,
    body: scenario.body,
    connections: scenario.connections ?? settings.connections,
    ...(scenario.rate && { overallRate: scenario.rate }),
    pipelining: 1,
    timeout: 10,
  };
  if (settings.warmup > 0) {
    log(`${scenario.name}: warm-up ${settings.warmup} s`);
    await runCannon({ ...base, duration: settings.warmup });
  }
  if (interrupted) throw new Error('interrupted');
  log(`${scenario.name}: measuring ${settings.duration} s at ${base.connections} connections`);
  const windowStart = new Date();
  const cpuBefore = scenario.pid ? cpuSeconds(scenario.pid) : null;
  const r = await runCannon({ ...base, duration: settings.duration });
  const cpuAfter = scenario.pid ? cpuSeconds(scenario.pid) : null;
  const windowEnd = new Date();
  if (interrupted) throw new Error('interrupted');
  return {
    name: scenario.name,
    method: scenario.method,
    path: scenario.path,
    target: scenario.target,
    requestsPerSec: r.requests.average,
    latencyMs: {
      p50: r.latency.p50,
      p90: r.latency.p90,
      p99: r.latency.p99,
      mean: r.latency.mean,
      max: r.latency.max,
    },
    totalRequests: r.requests.total,
    durationSec: r.duration,
    connections: r.connections,
    non2xx: r.non2xx,
    errors: r.errors,
    timeouts: r.timeouts,
    statusCodeStats: r.statusCodeStats,
    throughputBytesPerSec: r.throughput.average,
    window: { start: windowStart.toISOString(), end: windowEnd.toISOString() },
    ...(cpuBefore !== null &&
      cpuAfter !== null && {
        cpuMicrosPerRequest: ((cpuAfter - cpuBefore) * 1e6) / Math.max(1, r.requests.total),
      }),
  };
}

/** CPU time (user + system) a process has used so far, in seconds (Linux /proc). */
function cpuSeconds(pid) {
  try {
    const fields = fs.readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
    const ticks = Number(fields[11]) + Number(fields[12]);
    return ticks / CLOCK_TICKS;
  } catch {
    return null;
  }
}

/**
 * The order outbox during one measured window: events relayed per second (sent in the window)
 * and, for events committed in the window, the delay from commit to delivered-and-marked-sent.
 * Waits (bounded) for the backlog of the window to drain first, and reports how long that took.
 */
async function outboxFigures(window) {
  const drainStart = Date.now();
  let pending = null;
  while (Date.now() - drainStart < 30_000) {
    const { rows } = await withBenchClient((c) =>
      c.query(`SELECT count(*)::int AS n FROM cleave_order.outbox WHERE status = 'pending'`),
    );
    pending = rows[0].n;
    if (pending === 0) break;
    await delay(100);
  }
  const drainMs = Date.now() - drainStart;
  const { rows } = await withBenchClient((c) =>
    c.query(
      `SELECT
         count(*) FILTER (WHERE sent_at BETWEEN $1 AND $2)::int AS sent_in_window,
         count(*) FILTER (WHERE created_at BETWEEN $1 AND $2)::int AS created_in_window,
         percentile_cont(0.5) WITHIN GROUP (ORDER BY extract(epoch FROM sent_at - created_at))
           FILTER (WHERE created_at BETWEEN $1 AND $2 AND status = 'sent') AS p50,
         percentile_cont(0.99) WITHIN GROUP (ORDER BY extract(epoch FROM sent_at - created_at))
           FILTER (WHERE created_at BETWEEN $1 AND $2 AND status = 'sent') AS p99,
         max(extract(epoch FROM sent_at - created_at))
           FILTER (WHERE created_at BETWEEN $1 AND $2 AND status = 'sent') AS max
       FROM cleave_order.outbox`,
      [window.start, window.end],
    ),
  );
  const r = rows[0];
  const seconds = (Date.parse(window.end) - Date.parse(window.start)) / 1000;
  return {
    eventsCommittedPerSec: r.created_in_window / seconds,
    eventsRelayedPerSec: r.sent_in_window / seconds,
    commitToDeliveredMs: {
      p50: r.p50 === null ? null : r.p50 * 1000,
      p99: r.p99 === null ? null : r.p99 * 1000,
      max: r.max === null ? null : r.max * 1000,
    },
    pendingAfterDrain: pending,
    drainAfterLoadMs: drainMs,
  };
}

async function withBenchClient(fn) {
  const client = new Client({ connectionString: benchDb.url, connectionTimeoutMillis: 5000 });
  await client.connect();
  try {
    return await fn(client);
  } finally {
    await client.end().catch(() => {});
  }
}

/** argon2id verification alone, with the app's default parameters, sequentially in this process. */
async function argon2Baseline(password, rounds = 20) {
  const argon2 = require('@node-rs/argon2');
  const hash = await argon2.hash(password, {
    algorithm: argon2.Algorithm.Argon2id,
    memoryCost: 19456,
    timeCost: 2,
    parallelism: 1,
  });
  await argon2.verify(hash, password);
  const times = [];
  for (let i = 0; i < rounds; i++) {
    const started = process.hrtime.bigint();
    await argon2.verify(hash, password);
    times.push(Number(process.hrtime.bigint() - started) / 1e6);
  }
  times.sort((a, b) => a - b);
  const mean = times.reduce((a, b) => a + b, 0) / times.length;
  return {
    rounds,
    meanMs: mean,
    p50Ms: times[Math.floor(times.length / 2)],
    verifiesPerSecPerCore: 1000 / mean,
  };
}

/** The split shape by the launcher `npm run start:split` and the tests use. */
async function startSplit(env) {
  const shape = await launchSplit({
    env,
    host: HOST,
    start: async (name, processEnv) => {
      const child = spawnChild(
        `split-${name}`,
        [path.join(ROOT, 'dist', 'main.js')],
        processEnv,
        path.join(tmpDir, `split-${name}.log`),
      );
      try {
        await waitReady(child, processEnv.PORT, '/ready');
      } catch (error) {
        await stopChild(child);
        throw error;
      }
      return child;
    },
  });
  log(`split shape ready: gateway on ${HOST}:${shape.gateway.port}`);
  return {
    port: shape.gateway.port,
    stop: () => Promise.all(shape.all().map((child) => stopChild(child))),
  };
}

/** Removes what the bench left on NATS (its namespace's streams) and Redis (its sessions). */
async function cleanupServers() {
  for (const namespace of natsNamespaces.splice(0)) {
    try {
      const { connect } = require('@nats-io/transport-node');
      const { jetstreamManager } = require('@nats-io/jetstream');
      const nc = await connect({
        servers: settings.natsUrl,
        timeout: 2000,
        maxReconnectAttempts: 0,
      });
      const jsm = await jetstreamManager(nc);
      for (const stream of [`${namespace}_EVENTS`, `${namespace}_DEADLETTER`])
        await jsm.streams.delete(stream).catch(() => false);
      await nc.close();
    } catch (error) {
      log(`could not remove NATS namespace ${namespace}: ${error.message}`);
    }
  }
  try {
    const Redis = require('ioredis');
    const redis = new Redis(settings.redisUrl, { lazyConnect: true, maxRetriesPerRequest: 1 });
    await redis.connect();
    const keys = await redis.keys('cleave:auth:*');
    if (keys.length > 0) await redis.del(...keys);
    redis.disconnect();
  } catch (error) {
    log(`could not remove the bench's Redis keys: ${error.message}`);
  }
}

// ---------------------------------------------------------------------------------------------
// The run

/**
 * What structured logs and traces cost on GET /api/users/me, one app process at a time:
 *   off   LOG_LEVEL=silent, no tracing (the baseline)
 *   logs  LOG_LEVEL=info, no tracing
 *   on    LOG_LEVEL=info and tracing on, every span made and dropped by a no-op exporter
 *         (bench/noop-tracing.js): the measure
 *   otlp  LOG_LEVEL=info and tracing on, every span exported over OTLP/HTTP to a sink in this
 *         process: what a deployment with a collector pays
 * in the order on off logs otlp otlp logs off on, so that drift in the machine's load hits
 * all alike. Besides req/s, the app's CPU time per request (from /proc), which other load on
 * the machine disturbs less.
 */
async function observabilityOverhead(distMain, appEnv, auth) {
  let exports = 0;
  const sink = http.createServer((req, res) => {
    req.resume();
    req.on('end', () => {
      exports += 1;
      res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
    });
  });
  await new Promise((resolve) => sink.listen(0, HOST, resolve));
  const noopTracing = path.join(__dirname, 'noop-tracing.js');
  const modes = {
    off: { env: { LOG_LEVEL: 'silent' }, args: [] },
    logs: { env: { LOG_LEVEL: 'info' }, args: [] },
    on: {
      env: {
        LOG_LEVEL: 'info',
        BENCH_TRACING_DISABLED: process.env.BENCH_TRACING_DISABLED || '',
        ...(process.env.OTEL_TRACES_SAMPLER && {
          OTEL_TRACES_SAMPLER: process.env.OTEL_TRACES_SAMPLER,
          OTEL_TRACES_SAMPLER_ARG: process.env.OTEL_TRACES_SAMPLER_ARG || '',
        }),
      },
      args: ['-r', noopTracing],
    },
    otlp: {
      env: {
        LOG_LEVEL: 'info',
        OTEL_EXPORTER_OTLP_ENDPOINT: `http://${HOST}:${sink.address().port}`,
      },
      args: [],
    },
  };
  const runs = { off: [], logs: [], on: [], otlp: [] };
  try {
    for (const mode of ['on', 'off', 'logs', 'otlp', 'otlp', 'logs', 'off', 'on']) {
      const port = await freePort();
      const child = spawnChild(
        `app-observability-${mode}`,
        [...modes[mode].args, distMain],
        {
          ...appEnv,
          ...modes[mode].env,
          OTEL_SERVICE_NAME: 'cleave-bench',
          SHUTDOWN_DRAIN_MS: '0',
          PORT: String(port),
        },
        path.join(tmpDir, `app-observability-${mode}.log`),
      );
      try {
        await waitReady(child, port, '/ready');
        const result = await measure(
          {
            name: `GET /api/users/me (observability ${mode})`,
            target: 'app',
            method: 'GET',
            path: '/api/users/me',
            headers: auth,
            pid: child.pid,
          },
          port,
        );
        if (result.non2xx > 0) throw new Error(`${result.name}: ${result.non2xx} non-2xx answers`);
        runs[mode].push(result);
      } finally {
        await stopChild(child);
      }
    }
  } finally {
    sink.close();
  }
  if (exports === 0) throw new Error('tracing exported over OTLP, but no spans reached the sink');
  const mean = (values) => values.reduce((sum, v) => sum + v, 0) / values.length;
  const summary = (mode) => ({
    requestsPerSec: mean(runs[mode].map((r) => r.requestsPerSec)),
    cpuMicrosPerRequest: mean(runs[mode].map((r) => r.cpuMicrosPerRequest ?? NaN)),
    p99: Math.max(...runs[mode].map((r) => r.latencyMs.p99)),
    runs: runs[mode].map((r) => ({
      requestsPerSec: r.requestsPerSec,
      p99: r.latencyMs.p99,
      cpuMicrosPerRequest: r.cpuMicrosPerRequest,
    })),
  });
  const result = Object.fromEntries(Object.keys(runs).map((mode) => [mode, summary(mode)]));
  const cost = (mode) => ({
    throughput: 1 - result[mode].requestsPerSec / result.off.requestsPerSec,
    cpu: result[mode].cpuMicrosPerRequest / result.off.cpuMicrosPerRequest - 1,
  });
  for (const mode of ['logs', 'on', 'otlp']) {
    log(
      `observability ${mode}: ${result[mode].requestsPerSec.toFixed(0)} req/s vs off ` +
        `${result.off.requestsPerSec.toFixed(0)} (-${(cost(mode).throughput * 100).toFixed(1)}%), ` +
        `CPU ${result[mode].cpuMicrosPerRequest.toFixed(0)} µs/req vs ${result.off.cpuMicrosPerRequest.toFixed(0)} ` +
        `(+${(cost(mode).cpu * 100).toFixed(1)}%)`,
    );
  }
  return {
    ...result,
    cost: { logs: cost('logs'), on: cost('on'), otlp: cost('otlp') },
    overhead: cost('on').throughput,
    otlpExports: exports,
  };
}

async function main() {
  assertLoopbackUrl(settings.pgAdminUrl, 'BENCH_PG_URL');
  assertLoopbackUrl(settings.natsUrl, 'BENCH_NATS_URL');
  assertLoopbackUrl(settings.redisUrl, 'BENCH_REDIS_URL');
  const distMain = path.join(ROOT, 'dist', 'main.js');
  if (!fs.existsSync(distMain)) throw new Error(`${distMain} is missing; run npm run build first`);

  const startedAt = new Date();
  tmpDir = fs.mkdtempSync(path.join(os.tmpdir(), 'cleave-bench-'));
  const dataDir = path.join(tmpDir, 'data');
  fs.mkdirSync(dataDir);
  log(
    `duration ${settings.duration} s, warm-up ${settings.warmup} s, ${settings.connections} connections; temp dir ${tmpDir}`,
  );
  const loadBefore = os.loadavg();
  if (loadBefore[0] > os.cpus().length * 0.5) {
    log(
      `WARNING: 1-min load average is ${loadBefore[0].toFixed(2)} on ${os.cpus().length} CPUs; ` +
        'other work on this machine will skew the numbers',
    );
  }

  // Fresh database.
  const dbName = `cleave_bench_${crypto.randomBytes(6).toString('hex')}`;
  await withAdminClient((client) => client.query(`CREATE DATABASE ${quoteIdent(dbName)}`));
  const dbUrl = new URL(settings.pgAdminUrl);
  dbUrl.pathname = `/${dbName}`;
  benchDb = { name: dbName, url: dbUrl.toString() };
  log(`created database ${dbName}`);

  // The app.
  const appPort = await freePort();
  const appEnv = {
    PATH: process.env.PATH,
    HOME: process.env.HOME,
    NODE_ENV: 'production',
    PORT: String(appPort),
    HOST,
    LOG_LEVEL: 'info',
    USER_DATABASE_URL: benchDb.url,
    ORDER_DATABASE_URL: benchDb.url,
    DATA_DIR: dataDir,
    AUTH_RATE_LIMIT_PER_MINUTE: '1000000',
  };
  const app = spawnChild('app', [distMain], appEnv, path.join(tmpDir, 'app.log'));
  await waitReady(app, appPort, '/ready');
  log(`app ready on ${HOST}:${appPort}`);

  // A user and an access token.
  const email = `bench-${crypto.randomBytes(4).toString('hex')}@example.com`;
  const password = 'bench-password-1234';
  const signUp = await request(appPort, 'POST', '/api/users', {
    body: JSON.stringify({ email, password, name: 'Bench User' }),
  });
  expectStatus(signUp, 201, 'POST /api/users');
  const login = await request(appPort, 'POST', '/api/auth/login', {
    body: JSON.stringify({ email, password }),
  });
  expectStatus(login, 200, 'POST /api/auth/login');
  const { accessToken } = JSON.parse(login.body);
  const auth = { authorization: `Bearer ${accessToken}` };

  // Sanity checks: every scenario answers 2xx before we measure it.
  const me = await request(appPort, 'GET', '/api/users/me', { headers: auth });
  expectStatus(me, 200, 'GET /api/users/me');
  const created = await request(appPort, 'POST', '/api/orders', {
    headers: auth,
    body: ORDER_BODY,
  });
  expectStatus(created, 201, 'POST /api/orders');
  const listed = await request(appPort, 'GET', '/api/orders?limit=20', { headers: auth });
  expectStatus(listed, 200, 'GET /api/orders?limit=20');

  if (settings.only === 'observability') {
    await stopChild(app);
    const observability = await observabilityOverhead(distMain, appEnv, auth);
    process.stdout.write(`${JSON.stringify(observability.cost, null, 2)}\n`);
    return 0;
  }

  const appScenarios = [
    {
      name: 'GET /api/users/me',
      target: 'app',
      method: 'GET',
      path: '/api/users/me',
      headers: auth,
    },
    {
      name: 'POST /api/orders',
      target: 'app',
      method: 'POST',
      path: '/api/orders',
      headers: { ...auth, 'content-type': 'application/json' },
      body: ORDER_BODY,
      outbox: 'saturated',
    },
    {
      name: 'GET /api/orders?limit=20',
      target: 'app',
      method: 'GET',
      path: '/api/orders?limit=20',
      headers: auth,
    },
    {
      name: `POST /api/orders @ ${settings.outboxRate}/s`,
      target: 'app',
      method: 'POST',
      path: '/api/orders',
      headers: { ...auth, 'content-type': 'application/json' },
      body: ORDER_BODY,
      rate: settings.outboxRate,
      // Few connections, so the pace is smooth rather than bursts of every connection at once.
      connections: 4,
      outbox: 'paced',
    },
    {
      name: 'POST /api/auth/login',
      target: 'app',
      method: 'POST',
      path: '/api/auth/login',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ email, password }),
      connections: settings.loginConnections,
    },
  ];

  const results = [];
  const outbox = {};
  for (const scenario of appScenarios) {
    const result = await measure(scenario, appPort);
    results.push(result);
    if (!app.running)
      throw new Error(`app exited during ${scenario.name} (exit code ${app.exitCode}); log: ${tmpDir}/app.log`);
    if (scenario.outbox) outbox[scenario.outbox] = await outboxFigures(result.window);
  }

  // Stop the app so the baseline has the machine to itself, as the app did.
  await stopChild(app);
  log('app stopped');

  const observability = await observabilityOverhead(distMain, appEnv, auth);

  // One cross-module request, in-process, over both transports.
  const namespace = `bench_${crypto.randomBytes(4).toString('hex')}`;
  natsNamespaces.push(namespace);
  const meUser = JSON.parse(me.body);
  const bus = await busLatency({
    env: { USER_DATABASE_URL: benchDb.url, ORDER_DATABASE_URL: benchDb.url, DATA_DIR: dataDir },
    userId: meUser.id,
    calls: settings.busCalls,
    natsUrl: settings.natsUrl,
    redisUrl: settings.redisUrl,
    namespace,
    log,
  });

  // The split shape: one process per module on NATS, the gateway in front.
  const split = await startSplit({
    ...appEnv,
    AUTH_REDIS_URL: settings.redisUrl,
    NATS_URL: settings.natsUrl,
    NATS_NAMESPACE: namespace,
  });
  const splitLogin = await request(split.port, 'POST', '/api/auth/login', {
    body: JSON.stringify({ email, password }),
  });
  expectStatus(splitLogin, 200, 'POST /api/auth/login (split)');
  const splitAuth = { authorization: `Bearer ${JSON.parse(splitLogin.body).accessToken}` };
  expectStatus(
    await request(split.port, 'GET', '/api/users/me', { headers: splitAuth }),
    200,
    'GET /api/users/me (split)',
  );
  const splitResults = [];
  for (const scenario of appScenarios.filter((s) => !s.rate)) {
    const headers = scenario.headers.authorization
      ? { ...scenario.headers, ...splitAuth }
      : scenario.headers;
    const result = await measure(
      { ...scenario, headers, target: 'split', outbox: undefined },
      split.port,
    );
    splitResults.push(result);
  }
  await split.stop();
  log('split shape stopped');

  // The bare Fastify baseline, returning the app's own user JSON (same shape, same bytes).
  const barePort = await freePort();
  const bare = spawnChild(
    'bare-fastify',
    [path.join(__dirname, 'bare-fastify.js')],
    {
      PATH: process.env.PATH,
      HOME: process.env.HOME,
      NODE_ENV: 'production',
      PORT: String(barePort),
      HOST,
      BENCH_USER_JSON: me.body,
    },
    path.join(tmpDir, 'bare-fastify.log'),
  );
  await waitReady(bare, barePort, '/api/users/me');
  log(`bare-fastify ready on ${HOST}:${barePort}`);
  const baseline = await measure(
    {
      name: 'bare Fastify GET /api/users/me',
      target: 'bare-fastify',
      method: 'GET',
      path: '/api/users/me',
      headers: auth,
    },
    barePort,
  );
  results.push(baseline);
  await stopChild(bare);

  log('argon2id verify alone (m=19456, t=2, p=1), sequential');
  const argon2 = await argon2Baseline(password);

  for (const r of [...results, ...splitResults]) {
    r.ratioToBaseline =
      baseline.requestsPerSec > 0 ? r.requestsPerSec / baseline.requestsPerSec : null;
  }
  const shapes = splitResults.map((r) => {
    const one = results.find((o) => o.name === r.name);
    return {
      name: r.name,
      one,
      split: r,
      splitToOne: one && one.requestsPerSec > 0 ? r.requestsPerSec / one.requestsPerSec : null,
    };
  });

  // Targets.
  const meResult = results[0];
  const checks = [
    {
      name: `GET /api/users/me req/s >= ${TARGET_ME_RATIO} x bare Fastify`,
      actual: meResult.ratioToBaseline,
      threshold: TARGET_ME_RATIO,
      pass: meResult.ratioToBaseline !== null && meResult.ratioToBaseline >= TARGET_ME_RATIO,
      detail: `ratio ${fmt(meResult.ratioToBaseline, 3)}`,
    },
    ...results
      .filter((r) => !/login|@/.test(r.name))
      .map((r) => ({
        name: `p99 < ${TARGET_P99_MS} ms: ${r.name}`,
        actual: r.latencyMs.p99,
        threshold: TARGET_P99_MS,
        pass: r.latencyMs.p99 < TARGET_P99_MS,
        detail: `p99 ${fmt(r.latencyMs.p99, 1)} ms`,
      })),
  ];
  const splitMe = shapes.find((x) => x.name === 'GET /api/users/me');
  checks.push({
    name: `logging (info) + tracing cost < ${TARGET_OBSERVABILITY_OVERHEAD * 100}% of GET /api/users/me req/s`,
    actual: observability.overhead,
    threshold: TARGET_OBSERVABILITY_OVERHEAD,
    pass: observability.overhead < TARGET_OBSERVABILITY_OVERHEAD,
    detail:
      `on ${fmt(observability.on.requestsPerSec, 0)} req/s, off ${fmt(observability.off.requestsPerSec, 0)}: ` +
      `-${fmt(observability.cost.on.throughput * 100, 1)}% req/s, +${fmt(observability.cost.on.cpu * 100, 1)}% CPU/req ` +
      `(logs alone -${fmt(observability.cost.logs.throughput * 100, 1)}%, +${fmt(observability.cost.logs.cpu * 100, 1)}% CPU; ` +
      `with OTLP export -${fmt(observability.cost.otlp.throughput * 100, 1)}%, +${fmt(observability.cost.otlp.cpu * 100, 1)}% CPU)`,
  });
  checks.push(
    {
      name: 'split shape GET /api/users/me req/s >= 0.5 x one process',
      actual: splitMe?.splitToOne ?? null,
      threshold: 0.5,
      pass: (splitMe?.splitToOne ?? 0) >= 0.5,
      detail: `ratio ${fmt(splitMe?.splitToOne, 3)}`,
    },
    {
      name: 'NATS request/reply p99 < 2 ms',
      actual: bus.nats.p99Us / 1000,
      threshold: 2,
      pass: bus.nats.p99Us < 2000,
      detail: `p99 ${fmt(bus.nats.p99Us / 1000, 2)} ms`,
    },
    {
      name: 'local transport adds < 50 us p50 over a direct call',
      actual: bus.local.p50Us - bus.direct.p50Us,
      threshold: 50,
      pass: bus.local.p50Us - bus.direct.p50Us < 50,
      detail: `${fmt(bus.local.p50Us - bus.direct.p50Us, 1)} us`,
    },
  );
  const invalid = [...results, ...splitResults].filter(
    (r) => r.non2xx > 0 || r.errors > 0 || r.timeouts > 0,
  );

  printTable(results);
  const loginResult = results.find((r) => r.name === 'POST /api/auth/login');
  process.stdout.write(
    `\nLogin: ${fmt(loginResult.requestsPerSec, 1)} req/s at ${loginResult.connections} connections, p50 ${fmt(loginResult.latencyMs.p50, 0)} ms, ` +
      `p99 ${fmt(loginResult.latencyMs.p99, 0)} ms; argon2id verify alone: ${fmt(argon2.meanMs, 1)} ms mean ` +
      `(${fmt(argon2.verifiesPerSecPerCore, 1)}/s per core, ${fmt(argon2.verifiesPerSecPerCore * os.cpus().length, 1)}/s on ${os.cpus().length} cores)\n`,
  );
  for (const [load, o] of Object.entries(outbox)) {
    process.stdout.write(
      `Outbox, POST /api/orders ${load}: ${fmt(o.eventsCommittedPerSec, 0)} events committed/s, ` +
        `${fmt(o.eventsRelayedPerSec, 0)} relayed/s; commit -> delivered p50 ${fmt(o.commitToDeliveredMs.p50, 1)} ms, ` +
        `p99 ${fmt(o.commitToDeliveredMs.p99, 1)} ms, max ${fmt(o.commitToDeliveredMs.max, 1)} ms; ` +
        `backlog drained ${fmt(o.drainAfterLoadMs, 0)} ms after the load (${o.pendingAfterDrain} left)\n`,
    );
  }
  printShapes(shapes, baseline);
  process.stdout.write(
    `\nOne cross-module request (user.check-account), ${settings.busCalls} sequential calls, microseconds:\n` +
      `  direct handler call   p50 ${fmt(bus.direct.p50Us, 0)}  p99 ${fmt(bus.direct.p99Us, 0)}\n` +
      `  bus, local transport  p50 ${fmt(bus.local.p50Us, 0)}  p99 ${fmt(bus.local.p99Us, 0)}  (adds ${fmt(bus.local.p50Us - bus.direct.p50Us, 0)} at p50)\n` +
      `  bus, NATS             p50 ${fmt(bus.nats.p50Us, 0)}  p99 ${fmt(bus.nats.p99Us, 0)}  (adds ${fmt(bus.nats.p50Us - bus.direct.p50Us, 0)} at p50)\n`,
  );
  process.stdout.write('\nTargets\n');
  for (const c of checks)
    process.stdout.write(`  ${c.pass ? 'PASS' : 'FAIL'}  ${c.name}  (${c.detail})\n`);
  if (invalid.length > 0) {
    for (const r of invalid) {
      process.stdout.write(
        `  INVALID  ${r.name}: ${r.non2xx} non-2xx, ${r.errors} errors, ${r.timeouts} timeouts ${JSON.stringify(r.statusCodeStats)}\n`,
      );
    }
  } else {
    process.stdout.write('  OK    every measured response was 2xx, no errors or timeouts\n');
  }

  // Results file.
  const finishedAt = new Date();
  const report = {
    startedAt: startedAt.toISOString(),
    finishedAt: finishedAt.toISOString(),
    settings: {
      durationSec: settings.duration,
      warmupSec: settings.warmup,
      connections: settings.connections,
      logLevel: 'info',
    },
    environment: {
      node: process.version,
      platform: `${os.platform()} ${os.release()}`,
      cpus: os.cpus().length,
      cpuModel: os.cpus()[0] ? os.cpus()[0].model : null,
      loadAverageAtStart: loadBefore,
      loadAverageAtEnd: os.loadavg(),
    },
    scenarios: results,
    observability,
    split: splitResults,
    shapes: shapes.map((x) => ({ name: x.name, splitToOne: x.splitToOne })),
    busLatencyUs: bus,
    argon2,
    outbox,
    targets: checks,
    allTargetsPass: checks.every((c) => c.pass),
    valid: invalid.length === 0,
  };
  fs.mkdirSync(RESULTS_DIR, { recursive: true });
  const stamp = startedAt.toISOString().replace(/[:.]/g, '-');
  const file = path.join(RESULTS_DIR, `${stamp}.json`);
  const json = `${JSON.stringify(report, null, 2)}\n`;
  fs.writeFileSync(file, json);
  fs.writeFileSync(path.join(RESULTS_DIR, 'latest.json'), json);
  process.stdout.write(
    `\nResults written to ${path.relative(ROOT, file)} and bench/results/latest.json\n`,
  );

  if (invalid.length > 0) return 1;
  if (settings.strict && !report.allTargetsPass) return 1;
  return 0;
}

function fmt(value, digits) {
  return value === null || value === undefined || Number.isNaN(value)
    ? 'n/a'
    : value.toFixed(digits);
}

function printShapes(shapes, baseline) {
  const rows = [
    ['scenario', '1-proc req/s', 'p99 ms', 'split req/s', 'p99 ms', 'split/1-proc', 'split/bare'],
    ...shapes.map((x) => [
      x.name,
      fmt(x.one?.requestsPerSec, 0),
      fmt(x.one?.latencyMs.p99, 1),
      fmt(x.split.requestsPerSec, 0),
      fmt(x.split.latencyMs.p99, 1),
      fmt(x.splitToOne, 3),
      fmt(x.split.requestsPerSec / baseline.requestsPerSec, 3),
    ]),
  ];
  const widths = rows[0].map((_, i) => Math.max(...rows.map((row) => row[i].length)));
  const line = (row) =>
    row.map((cell, i) => (i === 0 ? cell.padEnd(widths[i]) : cell.padStart(widths[i]))).join('  ');
  process.stdout.write(
    `\nBoth shapes (bare Fastify: ${fmt(baseline.requestsPerSec, 0)} req/s)\n${line(rows[0])}\n`,
  );
  process.stdout.write(`${widths.map((w) => '-'.repeat(w)).join('  ')}\n`);
  for (const row of rows.slice(1)) process.stdout.write(`${line(row)}\n`);
}

function printTable(results) {
  const rows = [
    ['scenario', 'req/s', 'p50 ms', 'p99 ms', 'ratio'],
    ...results.map((r) => [
      r.name,
      fmt(r.requestsPerSec, 0),
      fmt(r.latencyMs.p50, 1),
      fmt(r.latencyMs.p99, 1),
      fmt(r.ratioToBaseline, 3),
    ]),
  ];
  const widths = rows[0].map((_, i) => Math.max(...rows.map((row) => row[i].length)));
  const line = (row) =>
    row.map((cell, i) => (i === 0 ? cell.padEnd(widths[i]) : cell.padStart(widths[i]))).join('  ');
  process.stdout.write(`\n${line(rows[0])}\n${widths.map((w) => '-'.repeat(w)).join('  ')}\n`);
  for (const row of rows.slice(1)) process.stdout.write(`${line(row)}\n`);
}

main()
  .then(async (code) => {
    await cleanup();
    process.exit(code);
  })
  .catch(async (error) => {
    process.stderr.write(`[bench] failed: ${error && error.stack ? error.stack : error}\n`);
    await cleanup();
    process.exit(interrupted ? 130 : 1);
  });
