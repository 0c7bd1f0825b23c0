import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, platform, release } from 'node:os';
import { join, relative } from 'node:path';
import { ROOT } from './built';
import { isValid, type ScenarioResult } from './measure';
import { failedLoads, printMemory, shapeMemory } from './report-memory';
import type { Argon2Figures } from './scenarios/argon2';
import { limitedDrains } from './scenarios/relay-scaling';
import { settings } from './settings';
import { printTable, write } from './table';
import {
  describeRounds,
  fmt,
  peakOf,
  type Baselines,
  type Check,
  type Measured,
  type Shape,
} from './targets';

/** Everything a run measured, and the targets it was held to. */
export interface Run extends Measured {
  startedAt: Date;
  loadAverageAtStart: number[];
  baseline: ScenarioResult;
  split: ScenarioResult[];
  argon2: Argon2Figures;
  checks: Check[];
}

const RESULTS_DIR = join(ROOT, 'bench', 'results');

/** The tables, the figures and the targets, on stdout. */
export function printReport(run: Run): void {
  printTable(
    ['scenario', 'req/s', 'p50 ms', 'p99 ms', 'ratio', 'idle MiB', 'peak MiB'],
    run.results.map((r) => {
      // One process serves each of these: the app, or the bare Fastify server.
      const memory = r.memory && Object.values(r.memory)[0];
      return [
        r.name,
        fmt(r.requestsPerSec, 0),
        fmt(r.latencyMs.p50, 1),
        fmt(r.latencyMs.p99, 1),
        fmt(r.ratioToBaseline, 3),
        fmt(memory?.idleMiB, 0),
        fmt(memory && peakOf(memory), 0),
      ];
    }),
  );
  printLogin(run);
  printRateLimits(run);
  printOutbox(run.outbox);
  printRelay(run);
  printShapes(run.shapes, run.baseline);
  printWritesInTurns(run);
  if (run.baselines) printBaselines(run.baselines);
  printBus(run);
  printMemory(run);
  printTargets(run);
}

function printRateLimits({ rateLimits: r }: Run): void {
  write(
    `\nRate limits, GET /api/users/me: on ${fmt(r.on.requestsPerSec, 0)} req/s, off ${fmt(r.off.requestsPerSec, 0)} ` +
      `(ratio ${fmt(r.ratio, 3)}, the median round's of ${r.rounds.map((x) => fmt(x, 3)).join(' ')}); ` +
      `CPU ${fmt(r.on.cpuMicrosPerRequest, 0)} vs ${fmt(r.off.cpuMicrosPerRequest, 0)} µs/req\n`,
  );
}

function printLogin({ results, argon2 }: Run): void {
  const login = results.find((r) => r.name === 'POST /api/auth/login');
  if (!login) return;
  const cores = cpus().length;
  write(
    `\nLogin: ${fmt(login.requestsPerSec, 1)} req/s at ${login.connections} connections, p50 ${fmt(login.latencyMs.p50, 0)} ms, ` +
      `p99 ${fmt(login.latencyMs.p99, 0)} ms; argon2id verify alone: ${fmt(argon2.meanMs, 1)} ms mean ` +
      `(${fmt(argon2.verifiesPerSecPerCore, 1)}/s per core, ${fmt(argon2.verifiesPerSecPerCore * cores, 1)}/s on ${cores} cores)\n`,
  );
}

function printOutbox(outbox: Run['outbox']): void {
  for (const [load, o] of Object.entries(outbox)) {
    const delay = o.commitToDeliveredMs;
    write(
      `Outbox, POST /api/orders ${load}: ${fmt(o.eventsCommittedPerSec, 0)} events committed/s, ` +
        `${fmt(o.eventsRelayedPerSec, 0)} relayed/s; commit -> delivered p50 ${fmt(delay.p50, 1)} ms, ` +
        `p99 ${fmt(delay.p99, 1)} ms, max ${fmt(delay.max, 1)} ms; ` +
        `backlog drained ${fmt(o.drainAfterLoadMs, 0)} ms after the load (${o.pendingAfterDrain} left)\n`,
    );
  }
}

function printRelay({ relay }: Run): void {
  write(
    `Outbox relay, ${relay.events} events queued at once, free to use every core: ` +
      `${describeRounds(relay)}\n`,
  );
  const limited = limitedDrains(relay);
  write(
    limited
      ? `Outbox relay, each process under ${limited.millicores}m CPU: ${describeRounds(limited)}\n`
      : `Outbox relay under CPU limits: not measured (${'skipped' in relay.limited ? relay.limited.skipped : ''})\n`,
  );
}

function printWritesInTurns({ writes }: Run): void {
  process.stdout.write(
    `POST /api/orders in turns, one process then split (or the other way round), req/s: ` +
      writes.rounds
        .map(
          (r) =>
            `round ${r.round}: ${fmt(r.one.requestsPerSec, 0)} / ${fmt(r.split.requestsPerSec, 0)} (${fmt(r.splitToOne, 3)})`,
        )
        .join('; ') +
      `; the median ${fmt(writes.splitToOne, 3)}\n`,
  );
}

function printShapes(shapes: Shape[], baseline: ScenarioResult): void {
  printTable(
    ['scenario', '1-proc req/s', 'p99 ms', 'split req/s', 'p99 ms', 'split/1-proc', 'split/bare'],
    shapes.map((x) => [
      x.name,
      fmt(x.one?.requestsPerSec, 0),
      fmt(x.one?.latencyMs.p99, 1),
      fmt(x.split.requestsPerSec, 0),
      fmt(x.split.latencyMs.p99, 1),
      fmt(x.splitToOne, 3),
      fmt(x.split.requestsPerSec / baseline.requestsPerSec, 3),
    ]),
    `Both shapes (bare Fastify: ${fmt(baseline.requestsPerSec, 0)} req/s)`,
  );
}

/**
 * Each app scenario against its database baseline: Fastify+pg for the reads (no token check:
 * the database-plus-HTTP limit), pgbench for the order statement.
 */
export function printBaselines({ ratios, pgbench }: Baselines): void {
  printTable(
    [
      'scenario',
      'req/s',
      'p99 ms',
      'µs/req',
      'baseline',
      'baseline/s',
      'p99 ms*',
      'µs/req',
      'ratio',
      'per round',
      'target',
    ],
    ratios.map((r) => [
      r.name,
      fmt(r.requestsPerSec, 0),
      fmt(r.p99Ms, 1),
      fmt(r.cpuMicrosPerRequest, 0),
      r.baseline,
      fmt(r.baselinePerSec, 0),
      fmt(r.baselineLatencyMs, 1),
      fmt(r.baselineCpuMicrosPerRequest, 0),
      fmt(r.ratio, 3),
      r.roundRatios?.map((x) => fmt(x, 2)).join(' ') ?? '',
      `>= ${r.target}`,
    ]),
    'Database baselines (same run, same connections; µs/req: CPU of the serving process; ' +
      "*pgbench's is its mean latency, it reports no percentile; a read is measured in rounds " +
      "beside its baseline, back to back, and its ratio is the median round's)",
  );
  if (pgbench) {
    write(
      `pgbench: ${fmt(pgbench.tps, 0)} tps at ${pgbench.connections} clients, ${pgbench.threads} threads, ` +
        `latency average ${fmt(pgbench.latencyAverageMs, 2)} ms, ${pgbench.transactions ?? 'n/a'} transactions` +
        `${pgbench.failed ? `, ${pgbench.failed} failed` : ''}` +
        (pgbench.withAccountCheck
          ? `; with the account check's SELECT after it (all of an order's database work, not a target): ` +
            `${fmt(pgbench.withAccountCheck.tps, 0)} tps, latency average ${fmt(pgbench.withAccountCheck.latencyAverageMs, 2)} ms`
          : '') +
        '\n',
    );
  }
}

function printBus({ bus }: Run): void {
  const adds = (us: number) => fmt(us - bus.direct.p50Us, 0);
  write(
    `\nOne cross-module request (user.check-account), ${settings.busCalls} sequential calls, microseconds:\n` +
      `  direct handler call   p50 ${fmt(bus.direct.p50Us, 0)}  p99 ${fmt(bus.direct.p99Us, 0)}\n` +
      `  bus, local transport  p50 ${fmt(bus.local.p50Us, 0)}  p99 ${fmt(bus.local.p99Us, 0)}  (adds ${adds(bus.local.p50Us)} at p50)\n` +
      `  bus, NATS             p50 ${fmt(bus.nats.p50Us, 0)}  p99 ${fmt(bus.nats.p99Us, 0)}  (adds ${adds(bus.nats.p50Us)} at p50)\n`,
  );
}

/** Each target's PASS or FAIL; every load that had a failed request (the run is invalid). */
export function printTargets(run: Pick<Run, 'checks' | 'mixed' | 'soak'> & Partial<Run>): void {
  write('\nTargets\n');
  for (const c of run.checks) write(`  ${c.pass ? 'PASS' : 'FAIL'}  ${c.name}  (${c.detail})\n`);
  const invalid = invalidResults(run);
  for (const r of invalid) {
    write(
      `  INVALID  ${r.name}: ${r.non2xx} non-2xx, ${r.errors} errors, ${r.timeouts} timeouts ${JSON.stringify(r.statusCodeStats)}\n`,
    );
  }
  const failed = failedLoads(run);
  for (const load of failed) {
    write(
      `  INVALID  ${load.name}: ${load.failures} failed requests, e.g. ${load.failureSamples.join('; ')}\n`,
    );
  }
  if (invalid.length === 0 && failed.length === 0)
    write('  OK    every measured response was 2xx, no errors or timeouts\n');
}

/** Measured loads with a response that was not 2xx, an error or a timeout: the run is invalid. */
export function invalidResults(
  run: Partial<Pick<Run, 'results' | 'split' | 'writes'>>,
): ScenarioResult[] {
  const inTurns = run.writes?.rounds.flatMap((r) => [r.one, r.split]) ?? [];
  return [...(run.results ?? []), ...(run.split ?? []), ...inTurns].filter((r) => !isValid(r));
}

/** Whether any load of the run had a failed request. */
export function isInvalid(run: Pick<Run, 'mixed' | 'soak'> & Partial<Run>): boolean {
  return invalidResults(run).length > 0 || failedLoads(run).length > 0;
}

/** bench/results/<timestamp>.json and bench/results/latest.json. */
export function writeResults(run: Run): void {
  const json = `${JSON.stringify(resultsFile(run), null, 2)}\n`;
  mkdirSync(RESULTS_DIR, { recursive: true });
  const file = join(RESULTS_DIR, `${run.startedAt.toISOString().replace(/[:.]/g, '-')}.json`);
  writeFileSync(file, json);
  writeFileSync(join(RESULTS_DIR, 'latest.json'), json);
  write(`\nResults written to ${relative(ROOT, file)} and bench/results/latest.json\n`);
}

function resultsFile(run: Run) {
  return {
    startedAt: run.startedAt.toISOString(),
    finishedAt: new Date().toISOString(),
    settings: {
      durationSec: settings.duration,
      warmupSec: settings.warmup,
      connections: settings.connections,
      logLevel: 'info',
      mixedClients: settings.mixedClients,
      soakMinutes: settings.soakMinutes,
      soakRatePerSec: settings.soakRate,
    },
    environment: {
      node: process.version,
      platform: `${platform()} ${release()}`,
      cpus: cpus().length,
      cpuModel: cpus()[0] ? cpus()[0].model : null,
      loadAverageAtStart: run.loadAverageAtStart,
      loadAverageAtEnd: loadavg(),
    },
    scenarios: run.results,
    observability: run.observability,
    rateLimits: run.rateLimits,
    split: run.split,
    shapes: run.shapes.map((x) => ({ name: x.name, splitToOne: x.splitToOne })),
    writesInTurns: run.writes,
    busLatencyUs: run.bus,
    baselines: run.baselines,
    argon2: run.argon2,
    outbox: run.outbox,
    relay: run.relay,
    mixed: run.mixed,
    memoryMiB: shapeMemory(run),
    chartMemoryLimit: run.chartLimit,
    soak: run.soak,
    targets: run.checks,
    allTargetsPass: run.checks.every((c) => c.pass),
    valid: !isInvalid(run),
  };
}
