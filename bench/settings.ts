/**
 * What a bench run is told by its environment (all optional; see `run.ts` for the list), read
 * and checked once at start.
 */

import { availableParallelism } from 'node:os';

/** Every server of the bench listens here. */
export const HOST = '127.0.0.1';

const LOOPBACK_HOSTS = new Set(['127.0.0.1', 'localhost', '::1', '[::1]']);

function envInt(name: string, fallback: number, min: number, max: number): number {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < min || value > max) {
    throw new Error(`${name} must be an integer in ${min}..${max}, got ${JSON.stringify(raw)}`);
  }
  return value;
}

function envString(name: string, fallback: string): string {
  return process.env[name] || fallback;
}

export const settings = {
  duration: envInt('BENCH_DURATION', 10, 1, 3600),
  warmup: envInt('BENCH_WARMUP', 3, 0, 600),
  connections: envInt('BENCH_CONNECTIONS', 50, 1, 10_000),
  loginConnections: envInt('BENCH_LOGIN_CONNECTIONS', 8, 1, 10_000),
  outboxRate: envInt('BENCH_OUTBOX_RATE', 200, 1, 100_000),
  busCalls: envInt('BENCH_BUS_CALLS', 10_000, 100, 1_000_000),
  /**
   * Rounds of each read against its Fastify+pg baseline: the app, then the baseline, back to
   * back (which goes first alternates); the ratio is the median round's.
   */
  baselineRounds: envInt('BENCH_BASELINE_ROUNDS', 3, 1, 21),
  /**
   * Rounds of the A/B scenarios (observability, rate limits): in each, every mode is measured
   * at the same time as its baseline (each with half the connections); a cost is the median
   * round's.
   */
  overheadRounds: envInt('BENCH_OVERHEAD_ROUNDS', 5, 1, 21),
  /** Events queued at once for the relay to drain, by one process and by two. */
  relayEvents: envInt('BENCH_RELAY_EVENTS', 40_000, 100, 1_000_000),
  /** Rounds of the relay's drains, one process's and two's; the median of their ratios counts. */
  relayRounds: envInt('BENCH_RELAY_ROUNDS', 3, 1, 21),
  /**
   * Rounds of `POST /api/orders` on the one-process app and on the split shape in turns (which
   * goes first alternates); the median of their ratios is the split shape's writes ÷ one process.
   */
  shapeRounds: envInt('BENCH_SHAPE_ROUNDS', 3, 1, 21),
  /**
   * Each relay process's CPU limit when the relay's scale-out is measured again under limits,
   * in thousandths of a core (a pod's `limits.cpu`); 0 measures it only without. By default an
   * eighth of the machine's cores (250m on 2), so that the cores are less of what limits two
   * against one: two relays and the Postgres work they cause (more CPU per event than their own:
   * 35-68 µs against 25-44 here) kept the cores 53-68 % busy (74-80 % at 400m). On an evening when
   * this machine ran several times slower (Postgres 78-162 µs an event, the relays 42-71), they
   * kept them 76-82 % busy even at 250m, and the rounds' medians came to 1.65-1.83.
   */
  relayMillicores: envInt(
    'BENCH_RELAY_MILLICORES',
    Math.round((availableParallelism() * 1000) / 8),
    0,
    64_000,
  ),
  /** Clients of the mixed load (sign-ups, logins, orders, lists, /me), each a user at a time. */
  mixedClients: envInt('BENCH_MIXED_CLIENTS', 16, 1, 1000),
  /** Minutes of the embedded app's soak; 0 skips it. */
  soakMinutes: envInt('BENCH_SOAK_MINUTES', 10, 0, 24 * 60),
  /** The soak's pace, requests per second overall: steady, well below what the app can serve. */
  soakRate: envInt('BENCH_SOAK_RATE', 50, 1, 100_000),
  natsUrl: envString('BENCH_NATS_URL', 'nats://127.0.0.1:4222'),
  redisUrl: envString('BENCH_REDIS_URL', 'redis://127.0.0.1:6379/14'),
  readyTimeoutMs: envInt('BENCH_READY_TIMEOUT_MS', 60_000, 1000, 600_000),
  pgAdminUrl: envString('BENCH_PG_URL', 'postgres://postgres@127.0.0.1:5432/test'),
  keepLogs: process.env.BENCH_KEEP_LOGS === '1',
  strict: process.env.BENCH_STRICT === '1',
  /**
   * `observability`: only the logs/traces overhead scenario; `rate-limits`: only the rate
   * limits' cost on GET /api/users/me; `relay`: only the outbox relay's scale-out; `shapes`:
   * only POST /api/orders on one process and the split shape in turns; `memory`:
   * only the embedded app's mixed load and soak (quicker loops while tuning).
   */
  only: process.env.BENCH_ONLY || '',
};

/** The bench only ever talks to servers on this machine. */
export function assertLoopbackServers(): void {
  const servers: [string, string][] = [
    [settings.pgAdminUrl, 'BENCH_PG_URL'],
    [settings.natsUrl, 'BENCH_NATS_URL'],
    [settings.redisUrl, 'BENCH_REDIS_URL'],
  ];
  for (const [url, what] of servers) {
    const { hostname } = new URL(url);
    if (!LOOPBACK_HOSTS.has(hostname)) {
      throw new Error(`${what} must point at a loopback address, got ${hostname}`);
    }
  }
}

export function log(message: string): void {
  process.stdout.write(`[bench] ${message}\n`);
}

/** An error as one line of a message. */
export function describe(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
