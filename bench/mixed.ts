import { randomBytes } from 'node:crypto';
import { setTimeout as delay } from 'node:timers/promises';
import { isInterrupted } from './load';
import { describe, HOST } from './settings';

/**
 * The mixed load: what a deployment's memory must hold through, rather than one request
 * repeated. Each client plays one user after another: it signs a new user up, logs in, then
 * places an order, lists its orders and reads /me, ROUNDS_PER_USER times, and starts over with
 * the next user. So sign-ups and logins (an argon2id hash each, 19 MiB apiece while it runs)
 * come in among the reads and writes, and the stores keep growing by users and orders, as in a
 * real run. Plain fetch: a small loop is enough to drive it, and it sees every answer.
 */

export const ORDER_BODY = JSON.stringify({
  items: [{ sku: 'SKU-1', name: 'Widget', quantity: 2, unitPriceCents: 1299 }],
  currency: 'EUR',
});

export type RequestKind = 'sign-up' | 'login' | 'order' | 'list' | 'me';

/** Orders, lists and /me per user before the client moves on to a new one. */
const ROUNDS_PER_USER = 5;

/** As autocannon's in the other scenarios: an answer slower than this counts as a failure. */
const TIMEOUT_MS = 10_000;

/** Kept for the report; the count has every failure. */
const FAILURE_SAMPLES = 5;

const PASSWORD = 'bench-password-1234';

export interface MixedOptions {
  port: number;
  clients: number;
  durationSec: number;
  /** Paced at this many requests per second overall; without it, as fast as answers come. */
  rate?: number;
}

/** One mixed load, as bench/results/*.json holds it. */
export interface MixedFigures {
  clients: number;
  /** The pace asked for (requests per second overall), when paced. */
  rate?: number;
  durationSec: number;
  /** Answered with a 2xx, by kind. */
  requests: Record<RequestKind, number>;
  totalRequests: number;
  requestsPerSec: number;
  latencyMs: { p50: number; p99: number; max: number };
  /** Answers that were not 2xx, errors and timeouts. */
  failures: number;
  failureSamples: string[];
}

/** What the clients share: the deadline, the pace, and what they measured. */
class Run {
  readonly requests: Record<RequestKind, number> = {
    'sign-up': 0,
    login: 0,
    order: 0,
    list: 0,
    me: 0,
  };
  readonly latencies: number[] = [];
  readonly failureSamples: string[] = [];
  failures = 0;
  private readonly until: number;
  private readonly interval: number;
  private next = Date.now();

  constructor(
    private readonly options: MixedOptions,
    readonly startedAt = Date.now(),
  ) {
    this.until = startedAt + options.durationSec * 1000;
    this.interval = options.rate ? 1000 / options.rate : 0;
  }

  done(): boolean {
    return Date.now() >= this.until || isInterrupted();
  }

  /** Sends one request (after its slot, when paced); its body on the status expected, else null. */
  async send(
    kind: RequestKind,
    method: 'GET' | 'POST',
    path: string,
    expected: number,
    { token, body }: { token?: string; body?: string } = {},
  ): Promise<string | null> {
    await this.pace();
    if (this.done()) return null;
    const started = performance.now();
    try {
      const res = await fetch(`http://${HOST}:${this.options.port}${path}`, {
        method,
        headers: {
          ...(body !== undefined && { 'content-type': 'application/json' }),
          ...(token && { authorization: `Bearer ${token}` }),
        },
        body,
        signal: AbortSignal.timeout(TIMEOUT_MS),
      });
      const text = await res.text();
      if (res.status !== expected) return this.fail(`${method} ${path}: HTTP ${res.status}`);
      this.latencies.push(performance.now() - started);
      this.requests[kind] += 1;
      return text;
    } catch (error) {
      return this.fail(`${method} ${path}: ${describe(error)}`);
    }
  }

  /**
   * Waits for the next slot: one every 1/rate s overall. A client that comes late takes the
   * next slot from now, so a slow stretch is not made up for with a burst: the load stays steady.
   */
  private async pace(): Promise<void> {
    if (!this.interval) return;
    const at = Math.max(this.next, Date.now());
    this.next = at + this.interval;
    if (at > Date.now()) await delay(at - Date.now());
  }

  private async fail(what: string): Promise<null> {
    this.failures += 1;
    if (this.failureSamples.length < FAILURE_SAMPLES) this.failureSamples.push(what);
    // A process that stopped answering must not be hammered in a tight loop.
    await delay(50);
    return null;
  }
}

/** One client: a new user after another, until the deadline. */
async function client(run: Run): Promise<void> {
  while (!run.done()) {
    const email = `bench-mixed-${randomBytes(6).toString('hex')}@example.com`;
    const credentials = JSON.stringify({ email, password: PASSWORD });
    const user = JSON.stringify({ email, password: PASSWORD, name: 'Bench Mixed' });
    if ((await run.send('sign-up', 'POST', '/api/users', 201, { body: user })) === null) continue;
    const login = await run.send('login', 'POST', '/api/auth/login', 200, { body: credentials });
    if (login === null) continue;
    const { accessToken: token } = JSON.parse(login) as { accessToken: string };
    for (let round = 0; round < ROUNDS_PER_USER && !run.done(); round += 1) {
      await run.send('order', 'POST', '/api/orders', 201, { token, body: ORDER_BODY });
      await run.send('list', 'GET', '/api/orders?limit=20', 200, { token });
      await run.send('me', 'GET', '/api/users/me', 200, { token });
    }
  }
}

/** `clients` clients for `durationSec` against the app (or gateway) on `port`. */
export async function runMixed(options: MixedOptions): Promise<MixedFigures> {
  const run = new Run(options);
  await Promise.all(Array.from({ length: options.clients }, () => client(run)));
  const durationSec = (Date.now() - run.startedAt) / 1000;
  const totalRequests = Object.values(run.requests).reduce((sum, n) => sum + n, 0);
  return {
    clients: options.clients,
    ...(options.rate && { rate: options.rate }),
    durationSec,
    requests: run.requests,
    totalRequests,
    requestsPerSec: totalRequests / durationSec,
    latencyMs: latency(run.latencies),
    failures: run.failures,
    failureSamples: run.failureSamples,
  };
}

function latency(values: number[]): MixedFigures['latencyMs'] {
  const sorted = [...values].sort((a, b) => a - b);
  const at = (q: number) =>
    sorted.length ? sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] : NaN;
  return { p50: at(0.5), p99: at(0.99), max: sorted.length ? sorted[sorted.length - 1] : NaN };
}
