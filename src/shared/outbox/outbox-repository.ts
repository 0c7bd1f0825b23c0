import type { BusEvent } from '../bus/bus-event';
import type { OutboxStats } from './outbox-metrics';

/** An event the relay holds a lease on, with the number of this publishing attempt. */
export interface ClaimedEvent {
  id: string;
  event: BusEvent;
  attempts: number;
  /**
   * Events of one stream (one aggregate, e.g. one order) are published in order: after one
   * fails, the later ones of its stream wait for the next round. Undefined: no such ordering.
   */
  stream?: string;
}

export interface FailedAttempt {
  entry: ClaimedEvent;
  /** No attempts left: park it as failed. */
  park: boolean;
  retryInMs: number;
  error: string;
}

/** What an operator needs to see of a parked (failed) outbox entry. */
export interface FailedEntry {
  id: string;
  type: string;
  attempts: number;
  createdAt: string;
  lastError: string | null;
}

/** What became of each event of a claimed batch. */
export interface BatchOutcome {
  /** Delivered: done. */
  sent: ClaimedEvent[];
  /** Failed: due again after `retryInMs`, or parked. */
  failed: FailedAttempt[];
  /**
   * Not attempted (an earlier event of its stream failed, or the batch reached half its lease):
   * due again at once.
   */
  released: ClaimedEvent[];
}

/** Events leased to one relay, and the one way to end that lease. */
export interface ClaimedBatch {
  readonly entries: readonly ClaimedEvent[];
  /** The claim reached its limit: more may be due. */
  readonly full: boolean;
  /** Records the batch's outcome and releases its lease; once. */
  settle(outcome: BatchOutcome): Promise<void>;
}

/**
 * A module's outbox as its relay and the operator's command see it. The events are written by
 * the module's own repository, in the same atomic write as the change they describe; this port
 * leases, settles, counts and replays them. Adapters: a table next to the module's tables
 * (`PostgresOutboxRepository`, on Postgres or PGlite), or entries embedded in the documents whose
 * changes they describe (`MongoOutboxRepository`). The relay is the same for both;
 * `test/int/outbox.int-spec.ts` is the contract both pass.
 */
export abstract class OutboxRepository {
  /**
   * Leases up to `limit` due events for `leaseMs`, in publishing order. On MongoDB the limit
   * counts documents, each with the due events it carries.
   */
  abstract claim(limit: number, leaseMs: number): Promise<ClaimedBatch>;
  abstract stats(): Promise<OutboxStats>;
  abstract listFailed(): Promise<FailedEntry[]>;
  /** Puts parked entries (all, or the given event ids) back in line with a fresh attempt count. */
  abstract replay(ids: readonly string[]): Promise<number>;
  /** Forgets up to `limit` entries sent more than `retentionMs` ago; how many it removed. */
  abstract purgeSent(retentionMs: number, limit: number): Promise<number>;
}
