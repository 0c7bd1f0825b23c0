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
  /** Not attempted (an earlier event of its stream failed): due again at once. */
  released: ClaimedEvent[];
}

/** Events leased to one relay, and the one way to end that lease. */
export interface ClaimedBatch {
  readonly entries: readonly ClaimedEvent[];
  /** Records the batch's outcome and releases its lease; once. */
  settle(outcome: BatchOutcome): Promise<void>;
}

/**
 * Where a module keeps its outbox: a table next to its tables (Postgres), or entries embedded
 * in the documents whose changes they describe (MongoDB). The relay is the same for both.
 */
export interface OutboxStore {
  /** Leases up to `limit` due events for `leaseMs`, in publishing order. */
  claim(limit: number, leaseMs: number): Promise<ClaimedBatch>;
  stats(): Promise<OutboxStats>;
  listFailed(): Promise<FailedEntry[]>;
  /** Puts parked entries (all, or the given event ids) back in line with a fresh attempt count. */
  replay(ids: readonly string[]): Promise<number>;
  /** Forgets up to `limit` entries sent more than `retentionMs` ago; how many it removed. */
  purgeSent(retentionMs: number, limit: number): Promise<number>;
}
