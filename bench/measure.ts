import { readdirSync, readFileSync } from 'node:fs';
import type autocannon from 'autocannon';
import { runLoad } from './load';
import { watchMemory, type Memory, type Pids } from './memory';
import { HOST, log, settings } from './settings';

/** One HTTP load: a request repeated by many connections. */
export interface Scenario {
  name: string;
  /**
   * What serves it: `app` (one process), `split` (the gateway), `bare-fastify`, `pg-fastify`
   * (Fastify and node-postgres running the app's SQL), `brocoders` (brocoders/nestjs-boilerplate,
   * bench/compare/).
   */
  target: 'app' | 'split' | 'bare-fastify' | 'pg-fastify' | 'brocoders';
  method: 'GET' | 'POST' | 'PATCH';
  path: string;
  headers: Record<string, string>;
  /**
   * Headers (each an account's Authorization) that each connection's requests take in turn,
   * over `headers`: many clients' reads, rather than one client's many times over.
   */
  users?: Array<Record<string, string>>;
  body?: string;
  /** Connections; settings.connections by default. */
  connections?: number;
  /** Paced at this many requests per second overall, rather than as fast as it goes. */
  rate?: number;
  /**
   * Its load generated in a worker thread of its own: for loads run at the same time, so that
   * neither waits on the other's in this process's event loop.
   */
  ownThread?: boolean;
  /** Seconds of warm-up before it is measured; settings.warmup by default. */
  warmup?: number;
  /** The process whose CPU time per request is measured. */
  pid?: number;
  /** The processes that serve it, by name: their resident memory is recorded (`memory`). */
  processes?: Pids;
}

export interface LatencyMs {
  p50: number;
  p90: number;
  p99: number;
  mean: number;
  max: number;
}

/** A measured scenario, as bench/results/*.json holds it. */
export interface ScenarioResult {
  name: string;
  method: string;
  path: string;
  target: Scenario['target'];
  requestsPerSec: number;
  latencyMs: LatencyMs;
  totalRequests: number;
  durationSec: number;
  connections: number;
  non2xx: number;
  errors: number;
  timeouts: number;
  statusCodeStats: autocannon.Result['statusCodeStats'];
  throughputBytesPerSec: number;
  /** When the measured run began and ended (ISO timestamps). */
  window: { start: string; end: string };
  cpuMicrosPerRequest?: number;
  /** Resident memory of each process that served it: idle before, peak during (MiB). */
  memory?: Memory;
  /** req/s over the bare Fastify baseline's, measured in the same run. */
  ratioToBaseline?: number | null;
}

// Linux' USER_HZ: /proc/<pid>/stat counts CPU time in these.
const CLOCK_TICKS = 100;

/** Warm-up (discarded), then the measured run; with `processes`, their memory through both. */
export async function measure(scenario: Scenario, port: number): Promise<ScenarioResult> {
  if (!scenario.processes) return measureLoad(scenario, port);
  const { result, memory } = await watchMemory(scenario.processes, () =>
    measureLoad(scenario, port),
  );
  return { ...result, memory };
}

async function measureLoad(scenario: Scenario, port: number): Promise<ScenarioResult> {
  const base: autocannon.Options = {
    url: `http://${HOST}:${port}${scenario.path}`,
    method: scenario.method,
    headers: scenario.headers,
    body: scenario.body,
    ...(scenario.users && { requests: scenario.users.map((headers) => ({ headers })) }),
    connections: scenario.connections ?? settings.connections,
    ...(scenario.rate && { overallRate: scenario.rate }),
    ...(scenario.ownThread && { workers: 1 }),
    pipelining: 1,
    timeout: 10,
  };
  const warmup = scenario.warmup ?? settings.warmup;
  if (warmup > 0) {
    log(`${scenario.name}: warm-up ${warmup} s`);
    await runLoad({ ...base, duration: warmup });
  }
  log(`${scenario.name}: measuring ${settings.duration} s at ${base.connections} connections`);
  const start = new Date();
  const cpuBefore = cpuSeconds(scenario.pid);
  const r = await runLoad({ ...base, duration: settings.duration });
  const cpuAfter = cpuSeconds(scenario.pid);
  const window = { start: start.toISOString(), end: new Date().toISOString() };
  return {
    ...describeScenario(scenario),
    ...summarise(r),
    window,
    ...(cpuBefore !== null &&
      cpuAfter !== null && {
        cpuMicrosPerRequest: ((cpuAfter - cpuBefore) * 1e6) / Math.max(1, r.requests.total),
      }),
  };
}

function describeScenario({ name, method, path, target }: Scenario) {
  return { name, method, path, target };
}

function summarise(r: autocannon.Result) {
  return {
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
  };
}

/** CPU time (user + system) a process has used so far, in seconds (Linux /proc). */
export function cpuSeconds(pid: number | undefined): number | null {
  if (!pid) return null;
  try {
    const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
    const ticks = Number(fields[11]) + Number(fields[12]);
    return ticks / CLOCK_TICKS;
  } catch {
    return null;
  }
}

/** The machine's CPU time so far over all cores, busy and in all, in seconds (/proc/stat). */
export function machineCpu(): { busy: number; total: number } | null {
  try {
    const [cpu] = readFileSync('/proc/stat', 'utf8').split('\n');
    // user, nice, system, idle, iowait, irq, softirq, steal (guest time is counted in user).
    const ticks = cpu.trim().split(/\s+/).slice(1, 9).map(Number);
    const total = ticks.reduce((a, b) => a + b, 0);
    // idle and iowait are the only fields that are not busy time.
    const busy = total - (ticks[3] ?? 0) - (ticks[4] ?? 0);
    return { busy: busy / CLOCK_TICKS, total: total / CLOCK_TICKS };
  } catch {
    return null;
  }
}

/** How busy the machine's cores were from `before` to `after` (two `machineCpu`), 0..1. */
export function machineBusyBetween(
  before: { busy: number; total: number } | null,
  after: { busy: number; total: number } | null,
): number | null {
  if (!before || !after || after.total <= before.total) return null;
  return (after.busy - before.busy) / (after.total - before.total);
}

/**
 * CPU seconds used so far by each process named `postgres` on this machine (the server and its
 * backends), by PID; null where `/proc` cannot say. `postgresCpuBetween` takes two of these.
 */
export function postgresCpu(): Map<number, number> | null {
  try {
    const seconds = new Map<number, number>();
    for (const entry of readdirSync('/proc')) {
      if (!/^\d+$/.test(entry)) continue;
      try {
        if (readFileSync(`/proc/${entry}/comm`, 'utf8').trim() !== 'postgres') continue;
      } catch {
        continue;
      }
      const pid = Number(entry);
      const used = cpuSeconds(pid);
      if (used !== null) seconds.set(pid, used);
    }
    return seconds;
  } catch {
    return null;
  }
}

/**
 * The CPU seconds Postgres spent from `before` to `after`: of each process there at the end, what
 * it used since the start (all of it, for one that started since). A backend that ended in
 * between takes its time with it, and is not counted.
 */
export function postgresCpuBetween(
  before: Map<number, number> | null,
  after: Map<number, number> | null,
): number | null {
  if (!before || !after) return null;
  let total = 0;
  for (const [pid, used] of after) total += Math.max(0, used - (before.get(pid) ?? 0));
  return total;
}

/** Whether every response was 2xx, with no errors or timeouts. */
export function isValid(result: ScenarioResult): boolean {
  return result.non2xx === 0 && result.errors === 0 && result.timeouts === 0;
}

/** The median of `values` (NaNs left out; the mean of the middle two for an even count). */
export function median(values: readonly number[]): number {
  const sorted = values.filter((v) => !Number.isNaN(v)).sort((a, b) => a - b);
  if (sorted.length === 0) return NaN;
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}
