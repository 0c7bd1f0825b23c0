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

/**
 * Where a module keeps its outbox: a table next to its tables (Postgres), or entries embedded
 * in the documents whose changes they describe (MongoDB). The relay is the same for both.
 */
export interface OutboxStore {
  /** Leases up to `limit` due events for `leaseMs`, in publishing order. */
  claim(limit: number, leaseMs: number): Promise<ClaimedEvent[]>;
  /**
   * Records one batch's outcome: `sent` are done, `failed` retry later or are parked, and
   * `released` (not attempted) are due again at once.
   */
  settle(outcome: {
    sent: ClaimedEvent[];
    failed: FailedAttempt[];
    released: ClaimedEvent[];
  }): Promise<void>;
  stats(): Promise<OutboxStats>;
  listFailed(): Promise<FailedEntry[]>;
  /** Puts parked entries (all, or the given event ids) back in line with a fresh attempt count. */
  replay(ids: readonly string[]): Promise<number>;
  /** Forgets up to `limit` entries sent more than `retentionMs` ago; how many it removed. */
  purgeSent(retentionMs: number, limit: number): Promise<number>;
}
