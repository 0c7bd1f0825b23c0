import { Logger } from '@nestjs/common';
import { inBackground } from '../observability/bus-context';
import type { Bus } from '../bus/bus';
import type { BusEvent } from '../bus/bus-event';
import { retryDelayMs } from '../bus/retry';
import type { OutboxConfig } from '../config/app-config';
import type { OutboxMetrics, OutboxStats } from './outbox-metrics';
import type { ClaimedEvent, FailedAttempt, OutboxRepository } from './outbox-repository';

export interface OutboxRelayOptions {
  /** After this many failed attempts an entry is parked as `failed`. */
  maxAttempts: number;
  /** How often the relay looks for due entries when nobody nudges it. */
  pollMs: number;
  /**
   * After a batch during which commits nudged it, how long the relay waits before it claims
   * again, so that the events committed meanwhile go out in one claim; 0: it claims at once.
   */
  gatherMs: number;
  /** Entries claimed at once; after a full batch, twice as many, up to `maxBatchSize`. */
  batchSize: number;
  maxBatchSize: number;
  /** Streams published at once (events within a stream stay in order). */
  concurrency: number;
  /** Backoff after attempt n: min(base × 2^(n-1), max), with jitter. */
  backoffBaseMs: number;
  backoffMaxMs: number;
  /** How long a claimed batch stays leased to this relay before another may take it. */
  leaseMs: number;
  /** Sent entries are kept this long (for inspection), then removed. */
  retentionMs: number;
}

/** What one batch came to. */
export interface RelayedBatch {
  /** Events claimed. */
  claimed: number;
  /** The claim took as many as it could: more may be due. */
  full: boolean;
  /** Every event claimed was published: none failed, none was put back. */
  clean: boolean;
  /**
   * Any event claimed was tried. False when every one was put back untried, as after a claim
   * that took half its lease, or when nothing was claimed.
   */
  started: boolean;
}

/** How often a relay removes sent entries past their retention, and at most how many at once. */
const PURGE_EVERY_MS = 60_000;
const PURGE_LIMIT = 10_000;

/**
 * Publishes a module's outbox through the bus. Entries are leased (so replicas share the work
 * and a crashed relay's batch is taken over after the lease), published in order, and marked
 * sent only after the transport delivered them.
 */
export class OutboxRelay {
  private readonly logger: Logger;
  private timer?: NodeJS.Timeout;
  private purgeTimer?: NodeJS.Timeout;
  private running?: Promise<void>;
  private again = false;
  /** Ends the wait of `gather` at once (when stopping). */
  private endGather?: () => void;
  private stopped = true;
  /** Backing off after a batch came back untried: nudges wait for the next poll. */
  private resting = false;
  /** Callers waiting for particular events to be delivered. */
  private readonly waiters = new Map<string, Array<(event: BusEvent, receipt: unknown) => void>>();

  constructor(
    private readonly module: string,
    private readonly outbox: OutboxRepository,
    private readonly bus: Bus,
    private readonly metrics: OutboxMetrics,
    private readonly options: OutboxRelayOptions,
  ) {
    this.logger = new Logger(`${module}-outbox`);
    metrics.track(module, () => this.stats());
  }

  start(): void {
    this.stopped = false;
    this.resting = false;
    this.nudge();
    this.purgeTimer = setInterval(() => void this.purge(), PURGE_EVERY_MS);
    this.purgeTimer.unref();
  }

  /** Removes sent entries past their retention (bounded per run). */
  async purge(): Promise<number> {
    try {
      return await this.outbox.purgeSent(this.options.retentionMs, PURGE_LIMIT);
    } catch (error) {
      this.logger.warn(
        `purge of sent events failed: ${error instanceof Error ? error.message : String(error)}`,
      );
      return 0;
    }
  }

  /** Runs the relay soon: called after every commit that queued events. */
  nudge(): void {
    if (this.stopped || this.resting) return;
    if (this.running) {
      this.again = true;
      return;
    }
    clearTimeout(this.timer);
    // Started on the next microtask, once `running` is set: a nudge from inside it waits.
    const drained = Promise.resolve().then(() => inBackground(() => this.drain()));
    this.running = drained.then(
      (backedOff) => this.next(backedOff),
      () => this.next(false),
    );
  }

  /**
   * After a drain: if a commit nudged it meanwhile, again after `gatherMs` (`gather`), else at
   * the next poll. After one that backed off, the next poll in any case: until then, the
   * commits' nudges change nothing (a slow database is most often a busy one).
   */
  private next(backedOff: boolean): void {
    this.running = undefined;
    if (this.stopped) return;
    const again = this.again && !backedOff;
    this.again = false;
    if (again) return this.gather();
    this.resting = backedOff;
    this.timer = setTimeout(() => {
      this.resting = false;
      this.nudge();
    }, this.options.pollMs);
  }

  /**
   * Under load (commits nudged it during the last drain), the next drain waits `gatherMs`, so
   * that the events committed meanwhile go out in one claim: a claim and its settling cost two
   * statements however many events they carry. Claiming again at once, the split shape's order
   * relay took 25 events a claim under `POST /api/orders` at 50 connections; waiting 10 ms, 60,
   * and the split shape spent 8 % less CPU an order (Postgres 11 % less). A commit after a quiet
   * spell is relayed at once: only a relay already busy waits.
   */
  private gather(): void {
    if (this.options.gatherMs <= 0) return this.nudge();
    this.running = new Promise<void>((resolve) => {
      this.timer = setTimeout(resolve, this.options.gatherMs);
      this.endGather = resolve;
    }).then(() => {
      this.endGather = undefined;
      this.running = undefined;
      // The claim about to be made takes whatever was committed before it: the nudges of the
      // wait ask for nothing more.
      this.again = false;
      this.nudge();
    });
  }

  /**
   * Resolves once this relay delivered the event, or after `timeoutMs` (the event then stays
   * queued and is delivered later). For effects a client must see before the answer, such as
   * revoked sessions after a password change.
   */
  delivered(eventId: string, timeoutMs: number): Promise<boolean> {
    const deadline = Date.now() + timeoutMs;
    const published = new Promise<{ event: BusEvent; receipt: unknown } | undefined>((resolve) => {
      const timer = setTimeout(() => done(undefined), timeoutMs);
      const done = (result: { event: BusEvent; receipt: unknown } | undefined) => {
        clearTimeout(timer);
        const rest = (this.waiters.get(eventId) ?? []).filter((w) => w !== onSent);
        if (rest.length > 0) this.waiters.set(eventId, rest);
        else this.waiters.delete(eventId);
        resolve(result);
      };
      const onSent = (event: BusEvent, receipt: unknown) => done({ event, receipt });
      this.waiters.set(eventId, [...(this.waiters.get(eventId) ?? []), onSent]);
      this.nudge();
    });
    // Published is not yet handled on every transport: wait for the handlers too.
    return published.then((sent) =>
      sent
        ? this.bus.awaitHandled(sent.event, sent.receipt, Math.max(0, deadline - Date.now()))
        : false,
    );
  }

  /** Stops polling after the batch in hand is finished. */
  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    clearInterval(this.purgeTimer);
    this.endGather?.();
    await this.running;
  }

  /**
   * Relays until nothing is due. A full claim says there may be more: after a batch that went
   * through (nothing failed or put back) within a quarter of its lease, the next claims twice as
   * many, up to `maxBatchSize`, so that a backlog pays the claim's and the settle's round trips
   * once per many events (each waits behind the writes that made the backlog); after any other,
   * `batchSize` again. True when it backed off: a batch came back whole, untried, because its
   * claim took half its lease.
   */
  private async drain(): Promise<boolean> {
    let size = this.options.batchSize;
    try {
      while (!this.stopped) {
        const started = Date.now();
        const batch = await this.relayBatch(size);
        // Nothing tried (the claim itself took half the lease): back off until the next poll,
        // rather than claim and put back again and again while the database is slow.
        if (batch.claimed > 0 && !batch.started) return true;
        if (!batch.full) break;
        const smooth = batch.clean && Date.now() - started < this.options.leaseMs / 4;
        size = smooth ? Math.min(size * 2, this.options.maxBatchSize) : this.options.batchSize;
      }
    } catch (error) {
      this.logger.warn(`relay paused: ${error instanceof Error ? error.message : String(error)}`);
    }
    return false;
  }

  /**
   * One leased batch of up to `size`. Events of one stream (the repository's, else the event's
   * `key`; events with neither form one stream) are published in order; different streams go in
   * parallel, up to `concurrency` at a time. After a failure the rest of its stream waits for the
   * next round. Past half the lease nothing more starts: the rest is put back, so that the batch
   * is settled while its lease holds (a publish under way ends within the bus timeout, 3 s by
   * default against a lease of 10 s), however slow the bus is.
   */
  async relayBatch(size = this.options.batchSize): Promise<RelayedBatch> {
    // The lease runs from when the claim was sent, not from its answer: a slow claim shortens it.
    const putBackAt = Date.now() + this.options.leaseMs / 2;
    const batch = await this.outbox.claim(size, this.options.leaseMs);
    const streams = new Map<string, ClaimedEvent[]>();
    for (const entry of batch.entries) {
      const stream = entry.stream ?? entry.event.key ?? '';
      const events = streams.get(stream);
      if (events) events.push(entry);
      else streams.set(stream, [entry]);
    }
    const sent: ClaimedEvent[] = [];
    const receipts = new Map<string, unknown>();
    const failed: FailedAttempt[] = [];
    const released: ClaimedEvent[] = [];
    const queue = [...streams.values()];
    const worker = async () => {
      for (let stream = queue.shift(); stream; stream = queue.shift()) {
        let stalled = false;
        for (const entry of stream) {
          if (stalled || Date.now() >= putBackAt) {
            released.push(entry);
            continue;
          }
          try {
            receipts.set(entry.id, await this.bus.publish(entry.event));
            sent.push(entry);
          } catch (error) {
            failed.push(this.failure(entry, error));
            stalled = true;
          }
        }
      }
    };
    await Promise.all(
      Array.from({ length: Math.min(this.options.concurrency, queue.length) }, worker),
    );
    await batch.settle({ sent, failed, released });
    if (sent.length > 0) this.metrics.published.inc({ module: this.module }, sent.length);
    if (failed.length > 0) this.metrics.failures.inc({ module: this.module }, failed.length);
    for (const entry of sent) {
      for (const wake of this.waiters.get(entry.id) ?? [])
        wake(entry.event, receipts.get(entry.id));
    }
    return {
      claimed: batch.entries.length,
      full: batch.full,
      clean: failed.length === 0 && released.length === 0,
      started: sent.length + failed.length > 0,
    };
  }

  private failure(entry: ClaimedEvent, error: unknown): FailedAttempt {
    const message = (error instanceof Error ? error.message : String(error)).slice(0, 500);
    const park = entry.attempts >= this.options.maxAttempts;
    const delay = retryDelayMs(entry.attempts, {
      baseMs: this.options.backoffBaseMs,
      maxMs: this.options.backoffMaxMs,
    });
    const retryInMs = Math.round(delay * (0.5 + Math.random() / 2));
    const what = `event ${entry.event.type} ${entry.id} (attempt ${entry.attempts})`;
    if (park) this.logger.error(`${what} parked as failed: ${message}`);
    else this.logger.warn(`${what} failed, retrying in ${retryInMs} ms: ${message}`);
    return { entry, park, retryInMs, error: message };
  }

  /** Backlog figures for metrics. */
  stats(): Promise<OutboxStats> {
    return this.outbox.stats();
  }
}

/** The relay options from configuration. */
export function relayOptions(config: OutboxConfig): OutboxRelayOptions {
  return {
    maxAttempts: config.maxAttempts,
    pollMs: config.pollMs,
    gatherMs: config.gatherMs,
    batchSize: 100,
    maxBatchSize: 1000,
    concurrency: 100,
    backoffBaseMs: config.backoff.baseMs,
    backoffMaxMs: config.backoff.maxMs,
    leaseMs: config.leaseMs,
    retentionMs: config.retentionHours * 3600 * 1000,
  };
}
