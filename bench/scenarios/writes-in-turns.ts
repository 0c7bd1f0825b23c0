import { setTimeout as delay } from 'node:timers/promises';
import { withBenchClient } from '../database';
import { median, measure, type ScenarioResult } from '../measure';
import { ORDER_BODY } from '../mixed';
import { pidOf, startOnFreePort, stopChild } from '../processes';
import { log, settings } from '../settings';
import { appEnv, logIn, type Fixture } from './one-process';
import { nextOutboxSeq } from './outbox';
import { startSplitShape, type StartedShape } from './split';

/**
 * The split shape's writes against one process's, in turns: `POST /api/orders` at full load on
 * the one-process app, then on the split shape (or the other way round: which goes first
 * alternates), each started for its turn and stopped after it, on the same database, in
 * `rounds` rounds; the ratio judged is the median round's. Measured minutes apart, as the
 * shapes' own scenarios are, the two loads meet different machines: on this shared machine the
 * same process's CPU per request moved 2-3 times over within one scenario (2026-12-07, the
 * observability rounds' `off` processes: 67-206 µs a request of `/me`). Back to back, a pair
 * meets the same one. Each turn ends once every order event it caused has been handled (the
 * outbox relayed, the user module's summary counted), so that no turn leaves work to the next.
 */
export interface WritesInTurns {
  rounds: WritesRound[];
  /** The median of the rounds' split ÷ one process. */
  splitToOne: number | null;
}

export interface WritesRound {
  round: number;
  one: ScenarioResult;
  split: ScenarioResult;
  splitToOne: number | null;
}

type Shape = 'one' | 'split';

/** A turn's handlers must be done within this after its load ends. */
const SETTLE_WITHIN_MS = 60_000;

/** The handler that counts each order.created in its buyer's summary (the user module's). */
const SUMMARY_HANDLER = 'user-order-summary-created';

export async function writesInTurns(
  databaseUrl: string,
  splitEnv: Record<string, string>,
  fixture: Fixture,
  rounds = settings.shapeRounds,
): Promise<WritesInTurns> {
  const measured: WritesRound[] = [];
  for (let round = 1; round <= rounds; round++) {
    const turns: Shape[] = round % 2 === 1 ? ['one', 'split'] : ['split', 'one'];
    const results: Partial<Record<Shape, ScenarioResult>> = {};
    for (const shape of turns) {
      results[shape] = await turn(shape, round, databaseUrl, splitEnv, fixture);
    }
    const { one, split } = results as Record<Shape, ScenarioResult>;
    const splitToOne = one.requestsPerSec > 0 ? split.requestsPerSec / one.requestsPerSec : null;
    log(
      `writes in turns, round ${round}: one process ${Math.round(one.requestsPerSec)}/s, ` +
        `split ${Math.round(split.requestsPerSec)}/s (${splitToOne?.toFixed(3) ?? 'n/a'})`,
    );
    measured.push({ round, one, split, splitToOne });
  }
  const middle = median(measured.map((r) => r.splitToOne ?? NaN));
  return { rounds: measured, splitToOne: Number.isNaN(middle) ? null : middle };
}

/** One shape started, its orders measured, its events handled, stopped. */
async function turn(
  shape: Shape,
  round: number,
  databaseUrl: string,
  splitEnv: Record<string, string>,
  fixture: Fixture,
): Promise<ScenarioResult> {
  const from = await nextOutboxSeq();
  const started =
    shape === 'one'
      ? await startOne(databaseUrl, round)
      : await startSplitShape(splitEnv, `writes-split-${round}`);
  try {
    const auth = await logIn(started.port, fixture.email, fixture.password, `login (${shape})`);
    const result = await measure(
      {
        name: `POST /api/orders (${shape === 'one' ? 'one process' : 'split'}, round ${round})`,
        target: shape === 'one' ? 'app' : 'split',
        method: 'POST',
        path: '/api/orders',
        headers: { ...auth, 'content-type': 'application/json' },
        body: ORDER_BODY,
        // A shape started for its turn is warmed as long as it is measured, as the shapes'
        // own scenarios meet them after a mixed load and other scenarios.
        warmup: Math.max(settings.warmup, settings.duration),
        processes: started.processes,
        pid: started.processes[shape === 'one' ? 'app' : 'order'],
      },
      started.port,
    );
    // A failed request makes the run invalid, as in every other load (`invalidResults`).
    await settled(from);
    return result;
  } finally {
    await started.stop();
  }
}

async function startOne(databaseUrl: string, round: number): Promise<StartedShape> {
  const { child, port } = await startOnFreePort({
    label: `writes-one-${round}`,
    env: appEnv(databaseUrl),
  });
  return { port, processes: { app: pidOf(child) }, stop: () => stopChild(child) };
}

/**
 * Until every event of the turn (from `seq` on) was relayed and every order.created among them
 * counted by the user module (its inbox holds it); fails after `SETTLE_WITHIN_MS`.
 */
async function settled(from: string): Promise<void> {
  const deadline = Date.now() + SETTLE_WITHIN_MS;
  for (;;) {
    const { rows } = await withBenchClient((c) =>
      c.query<{ pending: number; unhandled: number }>(
        `SELECT
           (SELECT count(*)::int FROM cleave_order.outbox
             WHERE seq >= $1 AND status = 'pending') AS pending,
           (SELECT count(*)::int FROM cleave_order.outbox o
             WHERE o.seq >= $1 AND o.type = 'order.created'
               AND NOT EXISTS (SELECT 1 FROM cleave_user.inbox i
                               WHERE i.event_id = o.id AND i.handler = $2)) AS unhandled`,
        [from, SUMMARY_HANDLER],
      ),
    );
    const { pending, unhandled } = rows[0];
    if (pending === 0 && unhandled === 0) return;
    if (Date.now() > deadline) {
      throw new Error(
        `${pending} events pending, ${unhandled} order.created not handled ${SETTLE_WITHIN_MS} ms after the load`,
      );
    }
    await delay(100);
  }
}
