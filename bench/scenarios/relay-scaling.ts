import { setTimeout as delay } from 'node:timers/promises';
import { withBenchClient } from '../database';
import { nextOutboxSeq } from './outbox';
import {
  cpuSeconds,
  machineBusyBetween,
  machineCpu,
  median,
  postgresCpu,
  postgresCpuBetween,
} from '../measure';
import { readMetrics } from '../node-memory';
import { CpuLimit, CpuLimitError } from '../cpu-limit';
import { pidOf, startOnFreePort, stopChild } from '../processes';
import { describe, log, settings } from '../settings';
import { appEnv } from './one-process';

/**
 * Whether the outbox relay scales out: a backlog of `events` order events is queued at once
 * in the order module's outbox (copies of a real `order.created` event, one order each, spread
 * over the bench's accounts), and drained by one app process, and (a new backlog) by two on
 * the same database. Each process relays with its own leases (`FOR UPDATE SKIP LOCKED`), so two
 * should relay about twice as fast; and since each handler counts the events it handled
 * (`bus_handler_duration_seconds_count`), the sum over the processes says whether any event
 * was handled twice.
 *
 * Each drain starts new processes, and each of them first relays a backlog as large as the
 * measured one, not recorded: the processes compare warm, as replicas that have been running
 * do. (With a shared first backlog of a quarter the size, each of two processes had relayed an
 * eighth of what the one had, and its measured drain paid for more of its compilation: the app
 * spent 70-94 µs of CPU per event with two processes, against 48-60 with one; warmed this way,
 * 25-44 µs with either.)
 *
 * In rounds (`BENCH_RELAY_ROUNDS`), one process's drain and two's back to back, which goes
 * first alternating; the ratio judged is the median of the rounds' (with an even count, the
 * mean of the middle two). This machine's speed drifts: the same drain cost one process 28 µs
 * of CPU per event in one run and 39 in the next, so one pair of drains can be 20 % off either
 * way. Two processes mostly spend more CPU per event than one alone (five runs, warm, under
 * 250m: 29-44 µs against 25-37), but not for working against each other: with a process
 * that never touches the database (random writes over 256 MB, under the same limit) beside
 * the lone relay, the lone relay spent 34-36 µs an event, two relays 31-39, and the rounds came
 * to 2.14-2.24. A neighbour on the same two cores and caches costs a relay about as much as a
 * second relay does.
 *
 * The backlog is queued by SQL, which wakes no relay (a commit through the app does): the
 * relays poll every 50 ms here, so that both processes of a drain start within 50 ms of it,
 * not up to the default 500 ms apart.
 *
 * Twice, where the machine allows it: first with the processes free to use every core, then
 * each under a CPU limit of its own (`BENCH_RELAY_MILLICORES`, as a pod's `limits.cpu` sets
 * one). On a machine of few cores that Postgres shares, two free processes compete with
 * Postgres and with each other for the cores (each drain reports how busy they were, and the
 * CPU each event cost the app and Postgres): what they relay over one measures the machine as
 * much as the relay. Each under its own limit, with cores to spare, as pods on nodes of their
 * own, two relay twice what one does only if they do not get in each other's way: that is what
 * the target judges (the free pair where no limit can be made).
 */
export interface RelayScaling extends RelayRounds {
  events: number;
  /** The same, each process under its own CPU limit; or why no limit could be made. */
  limited: LimitedRelayScaling | { skipped: string };
}

/** The drains of every round, free to use every core or each process under a limit. */
export interface RelayRounds {
  /** In the order measured, each with its round. */
  drains: RelayDrain[];
  /** Events per second with two processes over one, round by round. */
  rounds: Array<number | null>;
  /** The median of the rounds'. */
  twoToOne: number | null;
}

export interface LimitedRelayScaling extends RelayRounds {
  /** Each process's CPU limit, in thousandths of a core. */
  millicores: number;
}

/** The two-over-one ratio the target judges: under CPU limits where they could be made. */
export function judgedTwoToOne(relay: RelayScaling): RelayRounds & { millicores: number | null } {
  return limitedDrains(relay) ?? { ...relay, millicores: null };
}

export interface RelayDrain {
  /** From 1. */
  round: number;
  processes: number;
  /** From the first event sent to the last. */
  eventsPerSec: number;
  drainedMs: number;
  /** Handler runs for order.created over every process: `events` when none ran twice. */
  handled: number;
  handledTwice: number;
  /** Handler runs in each process: how the work was shared. */
  handledPerProcess: number[];
  /**
   * CPU (user + system) the app processes spent per event, in µs, all together: the same with
   * one process and two when the work is shared rather than repeated; where two do not relay
   * twice as fast, the machine's cores (shared with Postgres) are what ran out.
   */
  cpuMicrosPerEvent: number | null;
  /** CPU the Postgres server spent per event, in µs, over the same time. */
  postgresMicrosPerEvent: number | null;
  /**
   * How busy the machine's cores were while the backlog drained, 0..1 over all of them: near 1,
   * the cores ran out, and more processes cannot relay more here.
   */
  machineBusy: number | null;
}

/** How busy the cores were during a drain, as a percentage for the reports. */
export function busyPercent(drain: RelayDrain): string {
  return drain.machineBusy === null ? 'n/a' : `${Math.round(drain.machineBusy * 100)} %`;
}

/** The drains under CPU limits, where they were measured. */
export function limitedDrains(relay: RelayScaling): LimitedRelayScaling | null {
  return 'skipped' in relay.limited ? null : relay.limited;
}

/** How often the relays look for the backlog, which no commit announces. */
const POLL_MS = 50;

/** A drain fails when its backlog has not shrunk for this long. */
const STALLED_AFTER_MS = 30_000;

/** Copies of the newest order.created event, each its own order, spread over the accounts. */
const QUEUE_BACKLOG = `
  WITH template AS (
    SELECT type, event FROM cleave_order.outbox WHERE type = 'order.created'
    ORDER BY seq DESC LIMIT 1
  ),
  buyers AS (SELECT array_agg(id) AS ids FROM (SELECT id FROM cleave_user.users LIMIT 1000) u),
  fresh AS (
    SELECT i, gen_random_uuid() AS id, gen_random_uuid() AS order_id
    FROM generate_series(1, $1) AS i
  )
  INSERT INTO cleave_order.outbox (id, type, event)
  SELECT f.id, t.type,
    jsonb_set(jsonb_set(jsonb_set(jsonb_set(t.event,
      '{id}', to_jsonb(f.id::text)),
      '{key}', to_jsonb(f.order_id::text)),
      '{data,orderId}', to_jsonb(f.order_id::text)),
      '{data,userId}', to_jsonb(b.ids[1 + f.i % cardinality(b.ids)]::text))
  FROM fresh f, template t, buyers b
  RETURNING seq`;

/** The backlog, each process's CPU limit under limits (0: none) and the rounds. */
export interface RelayScalingOptions {
  events: number;
  millicores: number;
  rounds: number;
}

export async function relayScaling(
  databaseUrl: string,
  options: RelayScalingOptions = {
    events: settings.relayEvents,
    millicores: settings.relayMillicores,
    rounds: settings.relayRounds,
  },
): Promise<RelayScaling> {
  const from = await nextOutboxSeq();
  let scaling: RelayScaling;
  try {
    scaling = await drainsBothWays(databaseUrl, options);
  } catch (error) {
    // The drains' error is the one to see: a cleanup that fails too is only logged.
    await removeBacklogs(from).catch((cleanup: unknown) =>
      log(`relay: the backlogs were not removed (${describe(cleanup)})`),
    );
    throw error;
  }
  await removeBacklogs(from);
  return scaling;
}

async function drainsBothWays(
  databaseUrl: string,
  { events, millicores, rounds }: RelayScalingOptions,
): Promise<RelayScaling> {
  const free = await drainsWith(databaseUrl, events, 0, rounds);
  let limited: RelayScaling['limited'];
  if (millicores === 0) {
    limited = { skipped: 'BENCH_RELAY_MILLICORES=0' };
  } else {
    const probe = CpuLimit.create('probe', millicores / 1000);
    if (typeof probe === 'string') {
      limited = { skipped: probe };
    } else {
      probe.remove();
      // Where a limit cannot be applied after all, the free drains are the ones judged; a drain
      // that fails under its limit fails the run, as a free one does.
      try {
        limited = { millicores, ...(await drainsWith(databaseUrl, events, millicores, rounds)) };
      } catch (error) {
        if (!(error instanceof CpuLimitError)) throw error;
        limited = { skipped: error.message };
      }
    }
  }
  if ('skipped' in limited) log(`relay: not measured under CPU limits (${limited.skipped})`);
  return { events, ...free, limited };
}

/**
 * Removes the backlogs' events (from `seq` on: about 200,000 a mode a round by default) and the
 * handlers' inbox entries for them, and vacuums what they touched, the accounts' rows too: the
 * scenarios after this one meet the outbox and the inbox as before it, and no dead rows. (The
 * accounts' order counts stay raised by the events handled.)
 */
async function removeBacklogs(from: string): Promise<void> {
  await withBenchClient(async (c) => {
    await c.query(
      `DELETE FROM cleave_user.inbox i USING cleave_order.outbox o
       WHERE o.seq >= $1 AND i.event_id = o.id`,
      [from],
    );
    await c.query(`DELETE FROM cleave_order.outbox WHERE seq >= $1`, [from]);
    await c.query(`VACUUM (ANALYZE) cleave_order.outbox, cleave_user.inbox, cleave_user.users`);
  });
}

/**
 * `rounds` rounds of one process's drain and two's, back to back, under `millicores` each
 * unless 0. Which goes first alternates, so that a machine that speeds up or slows down during
 * the run favours neither.
 */
async function drainsWith(
  databaseUrl: string,
  events: number,
  millicores: number,
  rounds: number,
): Promise<RelayRounds> {
  const drains: RelayDrain[] = [];
  const ratios: Array<number | null> = [];
  for (let round = 1; round <= rounds; round++) {
    const rates = new Map<number, number>();
    for (const processes of round % 2 === 1 ? [1, 2] : [2, 1]) {
      const drain = await drainWith({ round, processes, databaseUrl, events, millicores });
      drains.push(drain);
      rates.set(processes, drain.eventsPerSec);
    }
    const one = rates.get(1) ?? 0;
    ratios.push(one > 0 ? (rates.get(2) ?? 0) / one : null);
  }
  const middle = median(ratios.map((r) => r ?? NaN));
  return { drains, rounds: ratios, twoToOne: Number.isNaN(middle) ? null : middle };
}

async function drainWith({
  round,
  processes,
  databaseUrl,
  events,
  millicores,
}: {
  round: number;
  processes: number;
  databaseUrl: string;
  events: number;
  millicores: number;
}): Promise<RelayDrain> {
  const ports: number[] = [];
  const apps = [];
  const limits: CpuLimit[] = [];
  const limited = millicores > 0 ? `, each under ${millicores}m CPU` : '';
  try {
    for (let i = 0; i < processes; i++) {
      const { child, port } = await startOnFreePort({
        label: `relay-${round}-${processes}-${i}${millicores > 0 ? `-${millicores}m` : ''}`,
        env: {
          ...appEnv(databaseUrl),
          OUTBOX_POLL_MS: String(POLL_MS),
          // Stopped at once after its drain: no load balancer to drain from.
          SHUTDOWN_DRAIN_MS: '0',
        },
      });
      ports.push(port);
      apps.push(child);
      if (millicores > 0) {
        const limit = CpuLimit.create(`relay-${round}-${processes}-${i}`, millicores / 1000);
        if (typeof limit === 'string') throw new CpuLimitError(limit);
        limits.push(limit);
        limit.add(pidOf(child));
      }
    }
    // First, not recorded, as many events for each process as the measured backlog: each is as
    // warm (its code compiled, its pools open) as the one process of the one-process drain.
    const warmUp = events * processes;
    await waitSent(await queueBacklog(warmUp), warmUp);
    const before = await handledOn(ports);
    const pids = apps.map((app) => app.pid);
    const queued = await queueBacklog(events);
    const cpuBefore = totalCpu(pids);
    const postgresBefore = postgresCpu();
    const machineBefore = machineCpu();
    const started = Date.now();
    const sent = await waitSent(queued, events);
    const drainedMs = Date.now() - started;
    const cpuAfter = totalCpu(pids);
    const postgresAfter = postgresCpu();
    const machineAfter = machineCpu();
    const after = await handledOn(ports);
    const handledPerProcess = after.map((n, i) => n - before[i]);
    const handled = handledPerProcess.reduce((a, b) => a + b, 0);
    const seconds = (sent.last - sent.first) / 1000;
    const drain = {
      round,
      processes,
      eventsPerSec: seconds > 0 ? events / seconds : 0,
      drainedMs,
      handled,
      handledTwice: handled - events,
      handledPerProcess,
      cpuMicrosPerEvent: perEvent(
        cpuBefore !== null && cpuAfter !== null ? cpuAfter - cpuBefore : null,
        events,
      ),
      postgresMicrosPerEvent: perEvent(postgresCpuBetween(postgresBefore, postgresAfter), events),
      machineBusy: machineBusyBetween(machineBefore, machineAfter),
    };
    log(
      `relay, round ${round}: ${processes} process(es)${limited} drained ${events} events at ${Math.round(drain.eventsPerSec)}/s, ` +
        `handled ${handledPerProcess.join(' + ')}, ${Math.round(drain.cpuMicrosPerEvent ?? NaN)} µs CPU per event ` +
        `(Postgres ${Math.round(drain.postgresMicrosPerEvent ?? NaN)} µs), ` +
        `cores ${busyPercent(drain)} busy`,
    );
    return drain;
  } finally {
    for (const app of apps) await stopChild(app);
    for (const limit of limits) limit.remove();
  }
}

/** Queues `events` copies of the newest order.created event; the range of their `seq`. */
function queueBacklog(events: number): Promise<{ from: string; to: string }> {
  return withBenchClient(async (c) => {
    const { rows } = await c.query<{ seq: string }>(QUEUE_BACKLOG, [events]);
    if (rows.length !== events) throw new Error(`queued ${rows.length} of ${events} events`);
    const seqs = rows.map((r) => BigInt(r.seq));
    const min = (a: bigint, b: bigint) => (a < b ? a : b);
    const max = (a: bigint, b: bigint) => (a > b ? a : b);
    return { from: String(seqs.reduce(min)), to: String(seqs.reduce(max)) };
  });
}

/**
 * When the backlog (outbox entries `from`..`to`) was all sent: the first and last `sent_at`.
 * Polls how many are still pending (through the outbox's index of pending entries, so each
 * poll reads what is left, not the backlog), then reads the times once. Fails once the backlog
 * has not shrunk for `STALLED_AFTER_MS`, however long it is.
 */
async function waitSent(
  queued: { from: string; to: string },
  events: number,
): Promise<{ first: number; last: number }> {
  return withBenchClient(async (c) => {
    let least = events;
    let shrunk = Date.now();
    for (;;) {
      const { rows } = await c.query<{ pending: number }>(
        `SELECT count(*)::int AS pending FROM cleave_order.outbox
         WHERE status = 'pending' AND seq BETWEEN $1 AND $2`,
        [queued.from, queued.to],
      );
      const { pending } = rows[0];
      if (pending === 0) break;
      if (pending < least) {
        least = pending;
        shrunk = Date.now();
      } else if (Date.now() - shrunk > STALLED_AFTER_MS) {
        throw new Error(
          `the relay left ${pending} of ${events} events pending, none sent for ${STALLED_AFTER_MS} ms`,
        );
      }
      await delay(100);
    }
    const { rows } = await c.query<{ sent: number; first: Date | null; last: Date | null }>(
      `SELECT count(*)::int AS sent, min(sent_at) AS first, max(sent_at) AS last
       FROM cleave_order.outbox WHERE seq BETWEEN $1 AND $2 AND status = 'sent'`,
      [queued.from, queued.to],
    );
    const { sent, first, last } = rows[0];
    if (sent !== events || !first || !last) {
      throw new Error(`the relay sent ${sent} of ${events} events (the rest failed)`);
    }
    return { first: first.getTime(), last: last.getTime() };
  });
}

/** How many order.created events the handlers of each of these processes ran. */
async function handledOn(ports: number[]): Promise<number[]> {
  const counts: number[] = [];
  for (const port of ports) {
    const metrics = await readMetrics(port);
    if (!metrics) throw new Error(`the process on port ${port} did not answer /metrics`);
    const handled = metrics.value('bus_handler_duration_seconds_count', {
      kind: 'event',
      pattern: 'order.created',
      outcome: 'ok',
    });
    counts.push(handled ?? 0);
  }
  return counts;
}

/** CPU seconds over `events`, in µs each. */
function perEvent(seconds: number | null, events: number): number | null {
  return seconds === null ? null : (seconds * 1e6) / events;
}

/** CPU seconds the processes used so far, together; null when one cannot be read. */
function totalCpu(pids: Array<number | undefined>): number | null {
  let total = 0;
  for (const pid of pids) {
    const seconds = cpuSeconds(pid);
    if (seconds === null) return null;
    total += seconds;
  }
  return total;
}
