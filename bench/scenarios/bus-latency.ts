import type { NestFastifyApplication as Nest } from '@nestjs/platform-fastify';
import { built } from '../built';
import { log, settings } from '../settings';

/**
 * One cross-module request (the account check the order module makes) measured in-process,
 * sequentially: a direct call of the user module's handler (baseline), the bus on the local
 * transport, and the bus on NATS (request/reply over loopback). Each app is the built one
 * (dist/), on the bench's Postgres; the NATS one keeps sessions in Redis as it must.
 *
 * The direct call and the local transport are timed in turns, one call of each, in alternating
 * order, in the same app: both see the same moments of a machine whose speed drifts (measured
 * one after the other, their p50s differed by 30-70 µs from one run to the next here).
 *
 * Both are warmed up in turns first, for BENCH_WARMUP seconds (and at least 500 calls each) as
 * every other scenario is: after 500 calls alone, the local transport's p50 over 8,000 calls
 * was 63-67 µs above the direct call's, and 49-54 µs in the two rounds of 8,000 after it (three
 * runs, 2026-12-07): the bus's longer path was still being optimised by V8 during the first.
 */

export interface Percentiles {
  p50Us: number;
  p99Us: number;
  meanUs: number;
}

export interface BusLatency {
  direct: Percentiles;
  local: Percentiles;
  nats: Percentiles;
}

export interface BusLatencyOptions {
  /** The app's environment (databases, data dir). */
  env: Record<string, string>;
  /** A real account: the check reads it from the database each time. */
  userId: string;
  calls: number;
  natsUrl: string;
  redisUrl: string;
  namespace: string;
}

/** The parts of the built app this scenario uses. */
const loadApp = () => ({
  ...built<typeof import('../../src/app')>('app.js'),
  ...built<typeof import('../../src/shared/config/config')>('shared/config/config.js'),
  ...built<typeof import('../../src/shared/bus/bus')>('shared/bus/bus.js'),
  ...built<typeof import('../../src/modules/user/answer-peers/user-messages.controller')>(
    'modules/user/answer-peers/user-messages.controller.js',
  ),
  ...built<typeof import('../../src/modules/user/user.contract')>('modules/user/user.contract.js'),
});

function percentiles(samplesNs: number[]): Percentiles {
  const sorted = [...samplesNs].sort((a, b) => a - b);
  const at = (p: number) =>
    sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] / 1000;
  return {
    p50Us: at(50),
    p99Us: at(99),
    meanUs: sorted.reduce((a, b) => a + b, 0) / sorted.length / 1000,
  };
}

async function timeSequential(calls: number, fn: () => Promise<unknown>): Promise<Percentiles> {
  const [samples] = await timeInTurns(calls, [fn]);
  return percentiles(samples);
}

/**
 * `calls` sequential calls of each of `fns`, one of each in turn, the order alternating (ns),
 * after the warm-up.
 */
async function timeInTurns(
  calls: number,
  fns: readonly (() => Promise<unknown>)[],
): Promise<number[][]> {
  const warmUntil = Date.now() + settings.warmup * 1000;
  for (let i = 0; i < Math.min(500, calls) || Date.now() < warmUntil; i++) {
    for (const fn of fns) await fn();
  }
  const samples = fns.map(() => new Array<number>(calls));
  for (let i = 0; i < calls; i++) {
    for (let j = 0; j < fns.length; j++) {
      const k = i % 2 === 0 ? j : fns.length - 1 - j;
      const started = process.hrtime.bigint();
      await fns[k]();
      samples[k][i] = Number(process.hrtime.bigint() - started);
    }
  }
  return samples;
}

export async function busLatency(options: BusLatencyOptions): Promise<BusLatency> {
  const { env, calls } = options;
  const payload = { userId: options.userId };
  const local = await withApp({ ...env, TRANSPORT: 'local' }, async (nest) => {
    // Looked up once: a lookup in a timed call would be timed with it.
    const { Bus, CheckAccount, UserMessagesController } = loadApp();
    const handler = nest.get(UserMessagesController);
    const bus = nest.get(Bus);
    log(
      `bus latency: direct handler call and bus.request over local, ${calls} calls each in turns`,
    );
    const [direct, local] = await timeInTurns(calls, [
      () => handler.checkAccount(payload),
      () => bus.request(CheckAccount, payload),
    ]);
    return { direct: percentiles(direct), local: percentiles(local) };
  });
  const natsEnv = {
    ...env,
    TRANSPORT: 'nats',
    NATS_URL: options.natsUrl,
    NATS_NAMESPACE: options.namespace,
    AUTH_REDIS_URL: options.redisUrl,
  };
  const nats = await withApp(natsEnv, (nest) => timeBus(nest, 'nats', calls, payload));
  return { ...local, nats };
}

/** The built app on `env`, initialised (not listening) for `fn`, then closed. */
async function withApp<T>(env: Record<string, string>, fn: (nest: Nest) => Promise<T>): Promise<T> {
  const { createApp, loadConfig } = loadApp();
  const nest = await createApp(loadConfig({ ...env, LOG_LEVEL: 'silent' }));
  try {
    await nest.init();
    return await fn(nest);
  } finally {
    await nest.close();
  }
}

function timeBus(nest: Nest, transport: string, calls: number, payload: object) {
  const { Bus, CheckAccount } = loadApp();
  const bus = nest.get(Bus);
  log(`bus latency: bus.request over ${transport}, ${calls} sequential calls`);
  return timeSequential(calls, () => bus.request(CheckAccount, payload));
}
