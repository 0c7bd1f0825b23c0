import { setTimeout as delay } from 'node:timers/promises';
import { withBenchClient } from '../database';

/** The order outbox's next `seq`: the first event committed (or queued) from now on. */
export async function nextOutboxSeq(): Promise<string> {
  return withBenchClient(async (c) => {
    const { rows } = await c.query<{ next: string }>(
      `SELECT coalesce(max(seq), 0) + 1 AS next FROM cleave_order.outbox`,
    );
    return rows[0].next;
  });
}

/** The order outbox during one measured window (see `outboxFigures`). */
export interface OutboxFigures {
  eventsCommittedPerSec: number;
  eventsRelayedPerSec: number;
  commitToDeliveredMs: { p50: number | null; p99: number | null; max: number | null };
  /** Events still pending when the wait for the backlog to drain ended. */
  pendingAfterDrain: number | null;
  drainAfterLoadMs: number;
}

interface WindowRow {
  sent_in_window: number;
  created_in_window: number;
  p50: number | null;
  p99: number | null;
  max: number | null;
}

const DRAIN_WITHIN_MS = 30_000;

const WINDOW_QUERY = `SELECT
     count(*) FILTER (WHERE sent_at BETWEEN $1 AND $2)::int AS sent_in_window,
     count(*) FILTER (WHERE created_at BETWEEN $1 AND $2)::int AS created_in_window,
     percentile_cont(0.5) WITHIN GROUP (ORDER BY extract(epoch FROM sent_at - created_at))
       FILTER (WHERE created_at BETWEEN $1 AND $2 AND status = 'sent') AS p50,
     percentile_cont(0.99) WITHIN GROUP (ORDER BY extract(epoch FROM sent_at - created_at))
       FILTER (WHERE created_at BETWEEN $1 AND $2 AND status = 'sent') AS p99,
     max(extract(epoch FROM sent_at - created_at))
       FILTER (WHERE created_at BETWEEN $1 AND $2 AND status = 'sent') AS max
   FROM cleave_order.outbox`;

/**
 * The order outbox during one measured window: events relayed per second (sent in the window)
 * and, for events committed in the window, the delay from commit to delivered-and-marked-sent.
 * Waits (bounded) for the backlog of the window to drain first, and reports how long that took.
 */
export async function outboxFigures(window: {
  start: string;
  end: string;
}): Promise<OutboxFigures> {
  const drainStart = Date.now();
  const pending = await drain(drainStart);
  const drainMs = Date.now() - drainStart;
  const { rows } = await withBenchClient((c) =>
    c.query<WindowRow>(WINDOW_QUERY, [window.start, window.end]),
  );
  const r = rows[0];
  const seconds = (Date.parse(window.end) - Date.parse(window.start)) / 1000;
  const ms = (value: number | null) => (value === null ? null : value * 1000);
  return {
    eventsCommittedPerSec: r.created_in_window / seconds,
    eventsRelayedPerSec: r.sent_in_window / seconds,
    commitToDeliveredMs: { p50: ms(r.p50), p99: ms(r.p99), max: ms(r.max) },
    pendingAfterDrain: pending,
    drainAfterLoadMs: drainMs,
  };
}

/** Waits (bounded) until no order event is pending; how many still are. */
export function drainOutbox(): Promise<number | null> {
  return drain(Date.now());
}

/** Until no event is pending or the deadline passed; the last count of pending events. */
async function drain(since: number): Promise<number | null> {
  let pending: number | null = null;
  while (Date.now() - since < DRAIN_WITHIN_MS) {
    const { rows } = await withBenchClient((c) =>
      c.query<{ n: number }>(
        `SELECT count(*)::int AS n FROM cleave_order.outbox WHERE status = 'pending'`,
      ),
    );
    pending = rows[0].n;
    if (pending === 0) break;
    await delay(100);
  }
  return pending;
}
