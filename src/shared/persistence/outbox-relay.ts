import { Logger } from '@nestjs/common';
import type { Bus } from '../bus/bus';
import type { BusEvent } from '../bus/bus-event';
import type { ModuleDatabase } from './module-database';
import type { OutboxMetrics, OutboxStats } from './outbox-metrics';

export interface OutboxRelayOptions {
  /** After this many failed attempts an entry is parked as `failed`. */
  maxAttempts: number;
  /** How often the relay looks for due entries when nobody nudges it. */
  pollMs: number;
  batchSize: number;
  /** Backoff after attempt n: min(base × 2^(n-1), max), with jitter. */
  backoffBaseMs: number;
  backoffMaxMs: number;
  /** How long a claimed batch stays leased to this relay before another may take it. */
  leaseMs: number;
}

interface Claimed {
  seq: string;
  id: string;
  event: BusEvent;
  attempts: number;
}

/**
 * Publishes a module's outbox through the bus. Entries are leased (so replicas share the work
 * and a crashed relay's batch is taken over after the lease), published in order, and marked
 * sent only after the transport delivered them.
 */
export class OutboxRelay {
  private readonly logger: Logger;
  private timer?: NodeJS.Timeout;
  private running?: Promise<void>;
  private again = false;
  private stopped = true;
  /** Callers waiting for particular events to be delivered. */
  private readonly waiters = new Map<string, Array<() => void>>();

  constructor(
    private readonly module: string,
    private readonly db: ModuleDatabase,
    private readonly bus: Bus,
    private readonly metrics: OutboxMetrics,
    private readonly options: OutboxRelayOptions,
  ) {
    this.logger = new Logger(`${module}-outbox`);
    metrics.track(module, () => this.stats());
  }

  start(): void {
    this.stopped = false;
    this.nudge();
  }

  /** Runs the relay soon: called after every commit that queued events. */
  nudge(): void {
    if (this.stopped) return;
    if (this.running) {
      this.again = true;
      return;
    }
    clearTimeout(this.timer);
    this.running = this.drain().finally(() => {
      this.running = undefined;
      if (this.stopped) return;
      if (this.again) {
        this.again = false;
        this.nudge();
      } else {
        this.timer = setTimeout(() => this.nudge(), this.options.pollMs);
      }
    });
  }

  /**
   * Resolves once this relay delivered the event, or after `timeoutMs` (the event then stays
   * queued and is delivered later). For effects a client must see before the answer, such as
   * revoked sessions after a password change.
   */
  delivered(eventId: string, timeoutMs: number): Promise<boolean> {
    return new Promise<boolean>((resolve) => {
      const timer = setTimeout(() => done(false), timeoutMs);
      const done = (ok: boolean) => {
        clearTimeout(timer);
        const rest = (this.waiters.get(eventId) ?? []).filter((w) => w !== onSent);
        if (rest.length > 0) this.waiters.set(eventId, rest);
        else this.waiters.delete(eventId);
        resolve(ok);
      };
      const onSent = () => done(true);
      this.waiters.set(eventId, [...(this.waiters.get(eventId) ?? []), onSent]);
      this.nudge();
    });
  }

  /** Stops polling after the batch in hand is finished. */
  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    await this.running;
  }

  /** Relays until nothing is due. */
  private async drain(): Promise<void> {
    try {
      while (!this.stopped && (await this.relayBatch()) === this.options.batchSize) {
        // a full batch: there may be more
      }
    } catch (error) {
      this.logger.warn(`relay paused: ${error instanceof Error ? error.message : String(error)}`);
    }
  }

  /** One leased batch: publish each entry in order, then record the outcome. */
  async relayBatch(): Promise<number> {
    const batch = await this.db.sql<Claimed>(
      'outbox-claim',
      `UPDATE outbox SET locked_until = now() + make_interval(secs => $2::float8 / 1000), attempts = attempts + 1
       WHERE seq IN (
         SELECT seq FROM outbox
         WHERE status = 'pending' AND next_attempt_at <= now()
           AND (locked_until IS NULL OR locked_until < now())
         ORDER BY seq LIMIT $1 FOR UPDATE SKIP LOCKED)
       RETURNING seq, id, event, attempts`,
      [this.options.batchSize, this.options.leaseMs],
    );
    batch.sort((a, b) => Number(a.seq) - Number(b.seq));
    const sent: string[] = [];
    for (const entry of batch) {
      try {
        await this.bus.publish(entry.event);
        sent.push(entry.seq);
      } catch (error) {
        await this.recordFailure(entry, error);
      }
    }
    if (sent.length > 0) {
      await this.db.sql(
        'outbox-sent',
        `UPDATE outbox SET status = 'sent', sent_at = now(), locked_until = NULL, last_error = NULL
         WHERE seq = ANY($1::bigint[])`,
        [sent],
      );
      this.metrics.published.inc({ module: this.module }, sent.length);
      const delivered = new Set(sent);
      for (const entry of batch) {
        if (delivered.has(entry.seq)) for (const wake of this.waiters.get(entry.id) ?? []) wake();
      }
    }
    return batch.length;
  }

  private async recordFailure(entry: Claimed, error: unknown): Promise<void> {
    const message = (error instanceof Error ? error.message : String(error)).slice(0, 500);
    const parked = entry.attempts >= this.options.maxAttempts;
    const delay = Math.min(
      this.options.backoffBaseMs * 2 ** (entry.attempts - 1),
      this.options.backoffMaxMs,
    );
    const jittered = Math.round(delay * (0.5 + Math.random() / 2));
    await this.db.sql(
      'outbox-failed',
      `UPDATE outbox SET status = CASE WHEN $2 THEN 'failed' ELSE 'pending' END,
         next_attempt_at = now() + make_interval(secs => $3::float8 / 1000),
         locked_until = NULL, last_error = $4
       WHERE seq = $1`,
      [entry.seq, parked, jittered, message],
    );
    this.metrics.failures.inc({ module: this.module });
    const what = `event ${entry.event.type} ${entry.id} (attempt ${entry.attempts})`;
    if (parked) this.logger.error(`${what} parked as failed: ${message}`);
    else this.logger.warn(`${what} failed, retrying in ${jittered} ms: ${message}`);
  }

  /** Backlog figures for metrics. */
  async stats(): Promise<OutboxStats> {
    const [row] = await this.db.sql<{ pending: number; failed: number; oldest: number | null }>(
      'outbox-stats',
      `SELECT count(*) FILTER (WHERE status = 'pending')::int AS pending,
              count(*) FILTER (WHERE status = 'failed')::int AS failed,
              extract(epoch FROM now() - min(created_at) FILTER (WHERE status = 'pending'))::float8 AS oldest
       FROM outbox WHERE status <> 'sent'`,
      [],
    );
    return { pending: row?.pending ?? 0, failed: row?.failed ?? 0, oldestPendingSeconds: row?.oldest ?? 0 };
  }
}

/** The relay options from configuration. */
export function relayOptions(config: {
  OUTBOX_MAX_ATTEMPTS: number;
  OUTBOX_POLL_MS: number;
  OUTBOX_BACKOFF_BASE_MS: number;
  OUTBOX_BACKOFF_MAX_MS: number;
  OUTBOX_LEASE_MS: number;
}): OutboxRelayOptions {
  return {
    maxAttempts: config.OUTBOX_MAX_ATTEMPTS,
    pollMs: config.OUTBOX_POLL_MS,
    batchSize: 100,
    backoffBaseMs: config.OUTBOX_BACKOFF_BASE_MS,
    backoffMaxMs: config.OUTBOX_BACKOFF_MAX_MS,
    leaseMs: config.OUTBOX_LEASE_MS,
  };
}
