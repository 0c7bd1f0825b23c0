import { median, type ScenarioResult } from '../measure';
import { measureMeBeside } from '../processes';
import { log, settings } from '../settings';

/**
 * What the rate limits cost on GET /api/users/me, one app process per mode:
 *   on   the per-token limit counts every request (a limit too high to be met, so every answer
 *        is a 200 with the RateLimit headers: the cost of counting, not of refusing)
 *   off  RATE_LIMIT_PER_TOKEN_PER_MINUTE=0 and RATE_LIMIT_PER_ADDRESS_PER_MINUTE=0
 * both up at once and measured at the same time, each with half the connections, in
 * BENCH_OVERHEAD_ROUNDS rounds after one that is not recorded (measureMeBeside); the ratio is
 * the median round's.
 */

type Mode = 'on' | 'off';
const LIMITS: Record<Mode, Record<string, string>> = {
  on: { RATE_LIMIT_PER_TOKEN_PER_MINUTE: '1000000', RATE_LIMIT_PER_ADDRESS_PER_MINUTE: '1000000' },
  off: { RATE_LIMIT_PER_TOKEN_PER_MINUTE: '0', RATE_LIMIT_PER_ADDRESS_PER_MINUTE: '0' },
};

export interface RateLimitCost {
  on: { requestsPerSec: number; cpuMicrosPerRequest: number; p99: number };
  off: { requestsPerSec: number; cpuMicrosPerRequest: number; p99: number };
  /** on / off req/s, the median round's: 1 costs nothing. */
  ratio: number;
  /** on / off CPU time per request, minus 1, the median round's. */
  cpu: number;
  /** on / off req/s in each round. */
  rounds: number[];
}

const mean = (values: number[]) => values.reduce((sum, v) => sum + v, 0) / values.length;

export async function rateLimitCost(
  appEnv: Record<string, string>,
  readers: Array<Record<string, string>>,
): Promise<RateLimitCost> {
  const pairs = await measureMeBeside(
    'off',
    ['on'],
    (mode) => ({
      label: `app-rate-limits-${mode}`,
      env: { ...appEnv, ...LIMITS[mode], SHUTDOWN_DRAIN_MS: '0' },
    }),
    readers,
    settings.overheadRounds,
  );
  const runs: Record<Mode, ScenarioResult[]> = {
    on: pairs.on.map((p) => p.mode),
    off: pairs.on.map((p) => p.baseline),
  };
  const summary = (mode: Mode) => ({
    requestsPerSec: mean(runs[mode].map((r) => r.requestsPerSec)),
    cpuMicrosPerRequest: mean(runs[mode].map((r) => r.cpuMicrosPerRequest ?? NaN)),
    p99: Math.max(...runs[mode].map((r) => r.latencyMs.p99)),
  });
  const on = summary('on');
  const off = summary('off');
  const rounds = runs.on.map((run, round) => ({
    ratio: run.requestsPerSec / runs.off[round].requestsPerSec,
    cpu: (run.cpuMicrosPerRequest ?? NaN) / (runs.off[round].cpuMicrosPerRequest ?? NaN) - 1,
  }));
  const cost = {
    on,
    off,
    ratio: median(rounds.map((r) => r.ratio)),
    cpu: median(rounds.map((r) => r.cpu)),
    rounds: rounds.map((r) => r.ratio),
  };
  log(
    `rate limits on: ${on.requestsPerSec.toFixed(0)} req/s vs off ${off.requestsPerSec.toFixed(0)} ` +
      `(ratio ${cost.ratio.toFixed(3)}), CPU ${on.cpuMicrosPerRequest.toFixed(0)} µs/req vs ` +
      `${off.cpuMicrosPerRequest.toFixed(0)} (${cost.cpu >= 0 ? '+' : ''}${(cost.cpu * 100).toFixed(1)}%); ` +
      `the median round's ratio, by round: ${cost.rounds.map((r) => r.toFixed(3)).join(' ')}`,
  );
  return cost;
}
