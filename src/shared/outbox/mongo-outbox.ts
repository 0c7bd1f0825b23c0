import { Schema } from 'mongoose';
import type { BusEvent } from '../bus/bus-event';

/**
 * The transactional outbox on MongoDB, without multi-document transactions: a document carries
 * the events of its own changes, and every change to it (state and events together) is one
 * atomic, version-checked write. Only `$set`, `$unset` and `$inc` are used. This file is what a
 * repository writes with (the fields, the writes); `MongoOutboxRepository` is the relay's side.
 */

/** One event waiting in (or parked in) a document's outbox. */
export interface OutboxItem {
  id: string;
  type: string;
  event: BusEvent;
  attempts: number;
  createdAt: Date;
  nextAttemptAt: Date;
  lastError?: string;
}

/** The outbox fields of a document; `version` guards every write. */
export interface OutboxFields {
  _id: string;
  version: number;
  /** Pending events, in the order they happened. */
  outbox: OutboxItem[];
  /** Parked events (too many failed attempts), until an operator replays them. */
  parked: OutboxItem[];
  /** Derived, for indexed queries; absent when there is nothing: */
  outboxDueAt?: Date;
  outboxSince?: Date;
  outboxPending?: number;
  parkedCount?: number;
  outboxLease?: { owner: string; until: Date };
}

const ITEM = new Schema<OutboxItem>(
  {
    id: { type: String, required: true },
    type: { type: String, required: true },
    event: { type: Schema.Types.Mixed, required: true },
    attempts: { type: Number, required: true },
    createdAt: { type: Date, required: true },
    nextAttemptAt: { type: Date, required: true },
    lastError: String,
  },
  { _id: false },
);

/** Adds the outbox fields and the indexes the relay and metrics query by to a document schema. */
export function addOutbox(schema: Schema): void {
  schema.add({
    version: { type: Number, required: true, default: 0 },
    outbox: { type: [ITEM], default: [] },
    parked: { type: [ITEM], default: [] },
    outboxDueAt: Date,
    outboxSince: Date,
    outboxPending: Number,
    parkedCount: Number,
    outboxLease: new Schema({ owner: String, until: Date }, { _id: false }),
  });
  schema.index({ outboxDueAt: 1 }, { partialFilterExpression: { outboxDueAt: { $exists: true } } });
  schema.index({ outboxSince: 1 }, { partialFilterExpression: { outboxSince: { $exists: true } } });
  schema.index({ parkedCount: 1 }, { partialFilterExpression: { parkedCount: { $exists: true } } });
}

/** New outbox items for `events`, due now. */
export function outboxItems(events: readonly BusEvent[], now: Date): OutboxItem[] {
  return events.map((event) => ({
    id: event.id,
    type: event.type,
    event,
    attempts: 0,
    createdAt: now,
    nextAttemptAt: now,
  }));
}

/** A version-checked document write: fields to set and (possibly none) to remove. */
export interface DocumentWrite {
  $set: Record<string, unknown>;
  $unset: Record<string, ''>;
}

/** The update document for a write; an empty `$unset` is left out (older servers reject it). */
export function toUpdate(write: DocumentWrite): Record<string, unknown> {
  return Object.keys(write.$unset).length > 0
    ? { $set: write.$set, $unset: write.$unset }
    : { $set: write.$set };
}

/**
 * The `$set`/`$unset` that store `outbox` and `parked` with their derived fields; `version` is
 * the one read before the change (the caller's filter must name it).
 */
export function outboxWrite(
  outbox: OutboxItem[],
  parked: OutboxItem[],
  version: number,
): DocumentWrite {
  const $set: Record<string, unknown> = { outbox, parked, version: version + 1 };
  const $unset: Record<string, ''> = {};
  const derived: Record<string, unknown> = {
    outboxDueAt: min(outbox.map((i) => i.nextAttemptAt)),
    outboxSince: min(outbox.map((i) => i.createdAt)),
    outboxPending: outbox.length || undefined,
    parkedCount: parked.length || undefined,
  };
  for (const [field, value] of Object.entries(derived)) {
    if (value === undefined) $unset[field] = '';
    else $set[field] = value;
  }
  return { $set, $unset };
}

/** The fields a new document starts with when its creation queues `events`. */
export function newOutbox(events: readonly BusEvent[], now: Date): Partial<OutboxFields> {
  const outbox = outboxItems(events, now);
  const { $set } = outboxWrite(outbox, [], -1);
  return $set;
}

function min(dates: Date[]): Date | undefined {
  let least: Date | undefined;
  for (const d of dates) if (!least || d < least) least = d;
  return least;
}
