/**
 * `npm run bench:compare`: cleave beside brocoders/nestjs-boilerplate (relational variant,
 * TypeORM on Postgres), on the same machine and the same Postgres, each system alone while it is
 * measured. Four scenarios, each on both, with autocannon:
 *
 *   scenario   cleave                          brocoders
 *   me         GET /api/users/me               GET /api/v1/auth/me             (a user's token)
 *   list       GET /api/users?limit=10         GET /api/v1/users?page=1&limit=10 (an admin's)
 *   patch      PATCH /api/users/me {name}      PATCH /api/v1/auth/me {firstName} (a user's)
 *   login      POST /api/auth/login            POST /api/v1/auth/email/login
 *
 * Reads at BENCH_CONNECTIONS connections, login at BENCH_LOGIN_CONNECTIONS (fewer: both hash
 * passwords), the same for both systems. Both databases hold 22 users (an admin, the user the
 * scenarios act as, 20 more), so a page of 10 is full on both. Each round measures every scenario
 * on both systems back to back, each alone: start it fresh, log in, warm up, measure, stop it;
 * then the other (which goes first alternates by round and scenario). Printed per scenario: each
 * system's best round (req/s, p99, CPU µs per request of the server process, from /proc), and
 * the ratios cleave/brocoders of every round with their median (req/s, and brocoders' CPU per
 * request over cleave's), which the 5× target is judged by: on a shared machine the load drifts
 * between rounds, much less within one pair.
 *
 * Passwords: cleave hashes with argon2id (@node-rs/argon2, native; m=19456 KiB, t=2, p=1 by
 * default), brocoders with bcrypt (bcryptjs, pure JavaScript; its seeds and sign-up use cost
 * 10). Both costs, and one verification of each timed alone in this process, are printed and
 * written with the results, so that the login ratio is read with them.
 *
 * What it needs:
 *   - cleave built (`npm run bench:compare` builds it), Postgres on loopback (BENCH_PG_URL, as
 *     `npm run bench`).
 *   - BROCODERS_DIR: a checkout of brocoders/nestjs-boilerplate, outside this repository, whose
 *     dependencies are installed (node_modules/) and which is built (dist/), as its README says.
 *     This comparison does not install or build it; it fails, naming what is missing, when the
 *     checkout cannot run. It does the rest itself: a fresh database for each system (dropped
 *     at the end), brocoders' own compiled migrations (`node node_modules/typeorm/cli.js -d
 *     dist/database/data-source.js migration:run`) and seeds (`node
 *     dist/database/seeds/relational/run-seed.js`), and starts it as its `start:prod` does (`node
 *     dist/main.js`) with its env-example-relational, NODE_ENV=production, fresh random secrets
 *     and a preload that keeps its listen on loopback (bench/compare/brocoders-app.ts).
 *
 * Env (all optional but BROCODERS_DIR):
 *   BROCODERS_DIR      the checkout (see above)
 *   BROCODERS_COMMIT   its commit, recorded with the results
 *   COMPARE_ROUNDS     rounds (default 2)
 *   COMPARE_PROFILE    `below`: after the rounds, each scenario under 5× again on cleave alone
 *                      under `node --cpu-prof`, and its top self-time functions and packages
 *                      printed; `all`: every scenario; unset: none
 *   BENCH_DURATION, BENCH_WARMUP, BENCH_CONNECTIONS, BENCH_LOGIN_CONNECTIONS, BENCH_PG_URL,
 *   BENCH_READY_TIMEOUT_MS, BENCH_KEEP_LOGS: as for `npm run bench` (bench/run.ts)
 *
 * Results: printed, and written to bench/results/brocoders-latest.json.
 */
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { join } from 'node:path';
import { APP_MAIN, ROOT } from '../built';
import { createBenchDatabase, createOtherDatabase } from '../database';
import { runBench } from '../lifecycle';
import { measure, type Scenario, type ScenarioResult } from '../measure';
import { pidOf, stopChild } from '../processes';
import { argon2Baseline } from '../scenarios/argon2';
import { assertLoopbackServers, log, settings } from '../settings';
import { printTable, write } from '../table';
import { createWorkspace, workspace } from '../workspace';
import {
  bcryptCompareMs,
  brocodersCheckout,
  prepareBrocoders,
  startBrocoders,
  type BrocodersData,
  type Checkout,
} from './brocoders-app';
import { prepareCleave, startCleave, type CleaveData } from './cleave-app';
import { summariseProfile, type ProfileSummary } from './cpu-profile';

const TARGET_RATIO = 5;
const EXTRA_USERS = 20;
const SCENARIOS = ['me', 'list', 'patch', 'login'] as const;
type ScenarioId = (typeof SCENARIOS)[number];
type SystemName = 'cleave' | 'brocoders';

const rounds = Number(process.env.COMPARE_ROUNDS ?? 2);
const profileMode = process.env.COMPARE_PROFILE ?? '';

/** A started system: its port, its PID, its scenarios (tokens taken after it started). */
interface Running {
  port: number;
  pid: number;
  scenarios: Record<ScenarioId, Scenario>;
  stop(): Promise<void>;
}

interface Systems {
  checkout: Checkout;
  cleave: CleaveData;
  brocoders: BrocodersData;
  cleaveDatabase: string;
  brocodersDatabase: string;
}

async function main(): Promise<number> {
  const startedAt = new Date();
  assertLoopbackServers();
  if (!existsSync(APP_MAIN)) throw new Error(`${APP_MAIN} is missing; run npm run build first`);
  if (!Number.isInteger(rounds) || rounds < 1) throw new Error('COMPARE_ROUNDS must be >= 1');
  const checkout = brocodersCheckout();
  createWorkspace();
  log(
    `brocoders at ${checkout.dir}; ${rounds} rounds, ${settings.duration} s each (warm-up ` +
      `${settings.warmup} s), ${settings.connections} connections, login ` +
      `${settings.loginConnections}; temp dir ${workspace()}`,
  );
  const loadAverageAtStart = loadavg();
  const cleaveDatabase = await createBenchDatabase();
  const brocodersDatabase = await createOtherDatabase('brocoders_bench');
  const systems: Systems = {
    checkout,
    cleave: await prepareCleave(cleaveDatabase, EXTRA_USERS),
    brocoders: await prepareBrocoders(checkout, brocodersDatabase, EXTRA_USERS),
    cleaveDatabase,
    brocodersDatabase,
  };
  const hashing = await hashCosts(systems);
  const measured: Record<SystemName, ScenarioResult[][]> = { cleave: [], brocoders: [] };
  for (let round = 1; round <= rounds; round++) {
    measured.cleave.push([]);
    measured.brocoders.push([]);
    for (const [i, id] of SCENARIOS.entries()) {
      const first: SystemName = (round + i) % 2 === 1 ? 'cleave' : 'brocoders';
      for (const name of [first, first === 'cleave' ? 'brocoders' : 'cleave'] as const) {
        log(`round ${round}, ${id}: ${name}`);
        measured[name][round - 1].push(await measureAlone(await start(name, systems), id));
      }
    }
  }
  const summary = summarise(measured);
  const profiles = await profile(summary, systems);
  const invalid = [...measured.cleave, ...measured.brocoders]
    .flat()
    .filter((r) => r.non2xx > 0 || r.errors > 0 || r.timeouts > 0);
  printSummary(summary, hashing, invalid);
  printProfiles(profiles);
  const file = join(ROOT, 'bench', 'results', 'brocoders-latest.json');
  mkdirSync(join(ROOT, 'bench', 'results'), { recursive: true });
  writeFileSync(
    file,
    `${JSON.stringify(
      {
        startedAt: startedAt.toISOString(),
        machine: { cpus: cpus().length, loadAverageAtStart },
        settings: {
          rounds,
          durationSec: settings.duration,
          warmupSec: settings.warmup,
          connections: settings.connections,
          loginConnections: settings.loginConnections,
        },
        brocoders: { commit: checkout.commit ?? null },
        hashing,
        summary,
        rounds: measured,
        profiles,
      },
      null,
      2,
    )}\n`,
  );
  log(`wrote ${file}`);
  return invalid.length > 0 ? 1 : 0;
}

async function start(name: SystemName, systems: Systems, nodeArgs: string[] = []) {
  return name === 'cleave' ? cleaveRunning(systems, nodeArgs) : brocodersRunning(systems, nodeArgs);
}

async function cleaveRunning(systems: Systems, nodeArgs: string[]): Promise<Running> {
  const app = await startCleave(systems.cleaveDatabase, systems.cleave, nodeArgs);
  const json = { 'content-type': 'application/json' };
  const user = { authorization: `Bearer ${app.userToken}` };
  const admin = { authorization: `Bearer ${app.adminToken}` };
  const target = 'app';
  return {
    port: app.port,
    pid: pidOf(app.process),
    stop: () => stopChild(app.process),
    scenarios: {
      me: { name: 'me', target, method: 'GET', path: '/api/users/me', headers: user },
      list: { name: 'list', target, method: 'GET', path: '/api/users?limit=10', headers: admin },
      patch: {
        name: 'patch',
        target,
        method: 'PATCH',
        path: '/api/users/me',
        headers: { ...user, ...json },
        body: JSON.stringify({ name: 'Bench User Renamed' }),
      },
      login: {
        name: 'login',
        target,
        method: 'POST',
        path: '/api/auth/login',
        headers: json,
        body: JSON.stringify(systems.cleave.user),
        connections: settings.loginConnections,
      },
    },
  };
}

async function brocodersRunning(systems: Systems, nodeArgs: string[]): Promise<Running> {
  const app = await startBrocoders(systems.checkout, systems.brocodersDatabase, nodeArgs);
  const json = { 'content-type': 'application/json' };
  const login = async (account: { email: string; password: string }) => {
    const res = await fetch(`http://127.0.0.1:${app.port}/api/v1/auth/email/login`, {
      method: 'POST',
      headers: json,
      body: JSON.stringify(account),
    });
    if (res.status !== 200) throw new Error(`brocoders login: HTTP ${res.status}`);
    const { token } = (await res.json()) as { token: string };
    return { authorization: `Bearer ${token}` };
  };
  const user = await login(systems.brocoders.user);
  const admin = await login(systems.brocoders.admin);
  const target = 'brocoders';
  return {
    port: app.port,
    pid: pidOf(app.process),
    stop: () => stopChild(app.process),
    scenarios: {
      me: { name: 'me', target, method: 'GET', path: '/api/v1/auth/me', headers: user },
      list: {
        name: 'list',
        target,
        method: 'GET',
        path: '/api/v1/users?page=1&limit=10',
        headers: admin,
      },
      patch: {
        name: 'patch',
        target,
        method: 'PATCH',
        path: '/api/v1/auth/me',
        headers: { ...user, ...json },
        body: JSON.stringify({ firstName: 'Renamed' }),
      },
      login: {
        name: 'login',
        target,
        method: 'POST',
        path: '/api/v1/auth/email/login',
        headers: json,
        body: JSON.stringify(systems.brocoders.user),
        connections: settings.loginConnections,
      },
    },
  };
}

/** One scenario on a freshly started system, checked first; then it is stopped. */
async function measureAlone(running: Running, id: ScenarioId): Promise<ScenarioResult> {
  try {
    const scenario = running.scenarios[id];
    await expect2xx(running.port, scenario);
    return await measure({ ...scenario, pid: running.pid }, running.port);
  } finally {
    await running.stop();
  }
}

async function expect2xx(port: number, scenario: Scenario): Promise<void> {
  const res = await fetch(`http://127.0.0.1:${port}${scenario.path}`, {
    method: scenario.method,
    headers: scenario.headers,
    body: scenario.body,
  });
  await res.arrayBuffer();
  if (res.status < 200 || res.status > 299) {
    throw new Error(`${scenario.target} ${scenario.method} ${scenario.path}: HTTP ${res.status}`);
  }
}

interface Figures {
  requestsPerSec: number;
  p99Ms: number;
  cpuMicrosPerRequest: number | null;
}

interface ScenarioSummary {
  scenario: ScenarioId;
  /** Each system's best round (by req/s). */
  cleave: Figures & { path: string };
  brocoders: Figures & { path: string };
  /** cleave's req/s over brocoders', per round (the two measured one after the other). */
  roundRatios: number[];
  /** Their median: what the target is judged by. */
  ratio: number;
  /** brocoders' CPU per request over cleave's, per round, and their median. */
  roundCpuRatios: number[];
  cpuRatio: number | null;
  pass: boolean;
}

function median(values: number[]): number | null {
  if (values.length === 0) return null;
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

/**
 * Per scenario: each system's best round, and the ratio in each round (the two systems measured
 * back to back, so that a change in the machine's load between rounds cancels out), with its
 * median.
 */
function summarise(measured: Record<SystemName, ScenarioResult[][]>): ScenarioSummary[] {
  const runs = (name: SystemName, id: ScenarioId) =>
    measured[name].map((round) => round.find((r) => r.name === id) as ScenarioResult);
  const best = (name: SystemName, id: ScenarioId) => {
    const top = runs(name, id).reduce((a, b) => (b.requestsPerSec > a.requestsPerSec ? b : a));
    return {
      path: `${top.method} ${top.path}`,
      requestsPerSec: top.requestsPerSec,
      p99Ms: top.latencyMs.p99,
      cpuMicrosPerRequest: top.cpuMicrosPerRequest ?? null,
    };
  };
  return SCENARIOS.map((scenario) => {
    const cleaveRuns = runs('cleave', scenario);
    const brocodersRuns = runs('brocoders', scenario);
    const roundRatios = cleaveRuns.map(
      (c, i) => c.requestsPerSec / Math.max(brocodersRuns[i].requestsPerSec, 1e-9),
    );
    const roundCpuRatios = cleaveRuns.flatMap((c, i) => {
      const b = brocodersRuns[i].cpuMicrosPerRequest;
      return c.cpuMicrosPerRequest && b ? [b / c.cpuMicrosPerRequest] : [];
    });
    const ratio = median(roundRatios) as number;
    return {
      scenario,
      cleave: best('cleave', scenario),
      brocoders: best('brocoders', scenario),
      roundRatios,
      ratio,
      roundCpuRatios,
      cpuRatio: median(roundCpuRatios),
      pass: ratio >= TARGET_RATIO,
    };
  });
}

interface Hashing {
  cleave: { algorithm: string; memoryKiB: number; timeCost: number; parallelism: number };
  cleaveVerifyMs: number;
  brocoders: { algorithm: string; cost: number };
  brocodersCompareMs: number;
}

/** Each system's password hash and its parameters; one verification of each, timed alone. */
async function hashCosts(systems: Systems): Promise<Hashing> {
  const argon2 = await argon2Baseline(systems.cleave.user.password);
  log('bcryptjs compare alone, sequential');
  return {
    cleave: {
      algorithm: 'argon2id (@node-rs/argon2)',
      memoryKiB: 19456,
      timeCost: 2,
      parallelism: 1,
    },
    cleaveVerifyMs: argon2.meanMs,
    brocoders: { algorithm: 'bcrypt (bcryptjs)', cost: systems.brocoders.bcryptCost },
    brocodersCompareMs: await bcryptCompareMs(systems.checkout, systems.brocoders),
  };
}

/**
 * COMPARE_PROFILE: the scenarios under the target (or every one) once more, each on a fresh
 * cleave process under `node --cpu-prof`, alone; where its CPU went.
 */
async function profile(
  summary: ScenarioSummary[],
  systems: Systems,
): Promise<Record<string, ProfileSummary & { requests: number }>> {
  const profiles: Record<string, ProfileSummary & { requests: number }> = {};
  if (profileMode !== 'below' && profileMode !== 'all') return profiles;
  for (const { scenario, pass } of summary) {
    if (pass && profileMode === 'below') continue;
    const dir = join(workspace(), `profile-${scenario}`);
    mkdirSync(dir);
    log(`profiling cleave on ${scenario}`);
    const running = await start('cleave', systems, ['--cpu-prof', `--cpu-prof-dir=${dir}`]);
    let result: ScenarioResult;
    try {
      await expect2xx(running.port, running.scenarios[scenario]);
      result = await measure(running.scenarios[scenario], running.port);
    } finally {
      await running.stop();
    }
    profiles[scenario] = {
      ...summariseProfile(dir, result.window),
      requests: result.totalRequests,
    };
  }
  return profiles;
}

function printSummary(
  summary: ScenarioSummary[],
  hashing: Hashing,
  invalid: ScenarioResult[],
): void {
  const n = (value: number | null, digits = 0) => (value === null ? '-' : value.toFixed(digits));
  printTable(
    [
      'scenario',
      'cleave req/s',
      'p99 ms',
      'CPU µs/req',
      'brocoders req/s',
      'p99 ms',
      'CPU µs/req',
      'ratio',
      'per round',
      'CPU ratio',
      `≥ ${TARGET_RATIO}×`,
    ],
    summary.map((s) => [
      s.scenario,
      n(s.cleave.requestsPerSec),
      n(s.cleave.p99Ms),
      n(s.cleave.cpuMicrosPerRequest),
      n(s.brocoders.requestsPerSec),
      n(s.brocoders.p99Ms),
      n(s.brocoders.cpuMicrosPerRequest),
      `${n(s.ratio, 2)}×`,
      s.roundRatios.map((r) => n(r, 1)).join(' '),
      s.cpuRatio === null ? '-' : `${n(s.cpuRatio, 2)}×`,
      s.pass ? 'PASS' : 'FAIL',
    ]),
    `cleave beside brocoders/nestjs-boilerplate: req/s, p99 and CPU of each one's best of ${rounds} rounds; ` +
      'ratio = cleave/brocoders req/s, the median of the rounds (each round measures both back to back); ' +
      'CPU ratio = brocoders/cleave CPU µs per request, likewise',
  );
  const c = hashing.cleave;
  write(
    `\npasswords: cleave ${c.algorithm} m=${c.memoryKiB} KiB t=${c.timeCost} p=${c.parallelism}, ` +
      `one verify ${hashing.cleaveVerifyMs.toFixed(1)} ms; brocoders ${hashing.brocoders.algorithm} ` +
      `cost ${hashing.brocoders.cost}, one compare ${hashing.brocodersCompareMs.toFixed(1)} ms ` +
      `(ratio of one verification alone: ${(hashing.brocodersCompareMs / hashing.cleaveVerifyMs).toFixed(2)}×)\n`,
  );
  for (const r of invalid) {
    write(
      `INVALID: ${r.target} ${r.name}: ${r.non2xx} non-2xx, ${r.errors} errors, ${r.timeouts} timeouts\n`,
    );
  }
}

function printProfiles(profiles: Record<string, ProfileSummary & { requests: number }>): void {
  for (const [scenario, p] of Object.entries(profiles)) {
    const perRequest = (ms: number) => ((ms * 1000) / Math.max(1, p.requests)).toFixed(1);
    write(
      `\ncleave under --cpu-prof on ${scenario}: ${p.requests} requests measured, ` +
        `${p.busyMs.toFixed(0)} ms busy of ${p.wallMs.toFixed(0)} ms (the measured run only); ` +
        `${p.file}\n`,
    );
    const rows = (list: ProfileSummary['functions']) =>
      list.map((f) => [f.name, f.ms.toFixed(0), f.percent.toFixed(1), perRequest(f.ms)]);
    printTable(
      ['function', 'self ms', '%', 'µs/req'],
      rows(p.functions),
      'top self time, by function',
    );
    printTable(
      ['package or file', 'self ms', '%', 'µs/req'],
      rows(p.files),
      'top self time, by package',
    );
  }
}

runBench(main);
