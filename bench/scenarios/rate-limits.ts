import type { ScenarioResult } from '../measure';
import { measureMeOnFreshApp } from '../processes';
import { log } from '../settings';

/**
 * What the rate limits cost on GET /api/users/me, one app process at a time:
 *   on   the per-token limit counts every request (a limit too high to be met, so every answer
 *        is a 200 with the RateLimit headers: the cost of counting, not of refusing)
 *   off  RATE_LIMIT_PER_TOKEN_PER_MINUTE=0 and RATE_LIMIT_PER_ADDRESS_PER_MINUTE=0
 * in the order on off off on, so that drift in the machine's load hits both alike.
 */

type Mode = 'on' | 'off';
const ORDER: Mode[] = ['on', 'off', 'off', 'on'];
const LIMITS: Record<Mode, Record<string, string>> = {
  on: { RATE_LIMIT_PER_TOKEN_PER_MINUTE: '1000000', RATE_LIMIT_PER_ADDRESS_PER_MINUTE: '1000000' },
  off: { RATE_LIMIT_PER_TOKEN_PER_MINUTE: '0', RATE_LIMIT_PER_ADDRESS_PER_MINUTE: '0' },
};

export interface RateLimitCost {
  on: { requestsPerSec: number; cpuMicrosPerRequest: number; p99: number };
  off: { requestsPerSec: number; cpuMicrosPerRequest: number; p99: number };
  /** on / off req/s: 1 costs nothing. */
  ratio: number;
  /** on / off CPU time per request, minus 1. */
  cpu: number;
}

function measureMode(
  mode: Mode,
  appEnv: Record<string, string>,
  auth: Record<string, string>,
): Promise<ScenarioResult> {
  return measureMeOnFreshApp(
    `GET /api/users/me (rate limits ${mode})`,
    {
      label: `app-rate-limits-${mode}`,
      env: { ...appEnv, ...LIMITS[mode], SHUTDOWN_DRAIN_MS: '0' },
    },
    auth,
  );
}

const mean = (values: number[]) => values.reduce((sum, v) => sum + v, 0) / values.length;

export async function rateLimitCost(
  appEnv: Record<string, string>,
  auth: Record<string, string>,
): Promise<RateLimitCost> {
  const runs: Record<Mode, ScenarioResult[]> = { on: [], off: [] };
  for (const mode of ORDER) runs[mode].push(await measureMode(mode, appEnv, auth));
  const summary = (mode: Mode) => ({
    requestsPerSec: mean(runs[mode].map((r) => r.requestsPerSec)),
    cpuMicrosPerRequest: mean(runs[mode].map((r) => r.cpuMicrosPerRequest ?? NaN)),
    p99: Math.max(...runs[mode].map((r) => r.latencyMs.p99)),
  });
  const on = summary('on');
  const off = summary('off');
  const cost = {
    on,
    off,
    ratio: on.requestsPerSec / off.requestsPerSec,
    cpu: on.cpuMicrosPerRequest / off.cpuMicrosPerRequest - 1,
  };
  log(
    `rate limits on: ${on.requestsPerSec.toFixed(0)} req/s vs off ${off.requestsPerSec.toFixed(0)} ` +
      `(ratio ${cost.ratio.toFixed(3)}), CPU ${on.cpuMicrosPerRequest.toFixed(0)} µs/req vs ` +
      `${off.cpuMicrosPerRequest.toFixed(0)} (${cost.cpu >= 0 ? '+' : ''}${(cost.cpu * 100).toFixed(1)}%)`,
  );
  return cost;
}
