import { randomUUID } from 'node:crypto';
import type { Model } from 'mongoose';
import type { OutboxStats } from './outbox-metrics';
import {
  outboxWrite,
  toUpdate,
  type DocumentWrite,
  type OutboxFields,
  type OutboxItem,
} from './mongo-outbox';
import {
  OutboxRepository,
  type BatchOutcome,
  type ClaimedBatch,
  type ClaimedEvent,
  type FailedEntry,
} from './outbox-repository';

const MAX_WRITE_RETRIES = 20;

/**
 * The outbox on MongoDB as the relay sees it: the events embedded in a collection's documents
 * (`mongo-outbox.ts`), leased a document at a time, settled by version-checked writes.
 */
export class MongoOutboxRepository extends OutboxRepository {
  private readonly owner = randomUUID();

  constructor(private readonly model: Model<OutboxFields>) {
    super();
  }

  async claim(limit: number, leaseMs: number): Promise<ClaimedBatch> {
    const now = new Date();
    const free = {
      outboxDueAt: { $lte: now },
      $or: [{ outboxLease: { $exists: false } }, { 'outboxLease.until': { $lt: now } }],
    };
    const due = await this.model
      .find(free, { _id: 1 })
      .sort({ outboxDueAt: 1 })
      .limit(limit)
      .lean();
    if (due.length === 0) return { entries: [], full: false, settle: () => Promise.resolve() };
    const ids = due.map((d) => d._id);
    await this.model.updateMany(
      { ...free, _id: { $in: ids } },
      { $set: { outboxLease: { owner: this.owner, until: new Date(now.getTime() + leaseMs) } } },
    );
    const docs = await this.model
      .find({ _id: { $in: ids }, 'outboxLease.owner': this.owner })
      .sort({ outboxDueAt: 1 })
      .lean<OutboxFields[]>();
    const claimed: ClaimedEvent[] = [];
    for (const doc of docs) {
      // A stream's events go in order: stop at the first one still backing off.
      for (const item of doc.outbox) {
        if (item.nextAttemptAt > now) break;
        claimed.push({
          id: item.id,
          event: item.event,
          attempts: item.attempts + 1,
          stream: doc._id,
        });
      }
    }
    // The batch holds the leased documents (as read, with their versions) for its settling.
    return {
      entries: claimed,
      full: due.length === limit,
      settle: (outcome) => this.settle(docs, outcome),
    };
  }

  private async settle(docs: readonly OutboxFields[], outcome: BatchOutcome): Promise<void> {
    const sent = new Set(outcome.sent.map((e) => e.id));
    const failed = new Map(outcome.failed.map((f) => [f.entry.id, f]));
    const now = Date.now();
    const apply = (doc: OutboxFields) => {
      const outbox: OutboxItem[] = [];
      const parked = [...doc.parked];
      for (const item of doc.outbox) {
        if (sent.has(item.id)) continue;
        const failure = failed.get(item.id);
        if (!failure) {
          outbox.push(item);
          continue;
        }
        const tried = { ...item, attempts: failure.entry.attempts, lastError: failure.error };
        if (failure.park) parked.push(tried);
        else outbox.push({ ...tried, nextAttemptAt: new Date(now + failure.retryInMs) });
      }
      return { outbox, parked };
    };
    await Promise.all(
      docs.map((doc) =>
        this.rewrite(doc, (current) => {
          const { outbox, parked } = apply(current);
          const write = outboxWrite(outbox, parked, current.version);
          if (current.outboxLease?.owner === this.owner) write.$unset.outboxLease = '';
          return write;
        }),
      ),
    );
  }

  async stats(): Promise<OutboxStats> {
    const [sums] = await this.model.aggregate<{ pending: number; failed: number }>([
      { $match: { $or: [{ outboxPending: { $gt: 0 } }, { parkedCount: { $gt: 0 } }] } },
      {
        $group: {
          _id: null,
          pending: { $sum: '$outboxPending' },
          failed: { $sum: '$parkedCount' },
        },
      },
    ]);
    const [oldest] = await this.model
      .find({ outboxSince: { $exists: true } }, { outboxSince: 1 })
      .sort({ outboxSince: 1 })
      .limit(1)
      .lean();
    return {
      pending: sums?.pending ?? 0,
      failed: sums?.failed ?? 0,
      oldestPendingSeconds: oldest?.outboxSince
        ? Math.max(0, (Date.now() - oldest.outboxSince.getTime()) / 1000)
        : 0,
    };
  }

  async listFailed(): Promise<FailedEntry[]> {
    const docs = await this.model.find({ parkedCount: { $gt: 0 } }).lean<OutboxFields[]>();
    return docs
      .flatMap((doc) => doc.parked)
      .sort((a, b) => a.createdAt.getTime() - b.createdAt.getTime())
      .map((item) => ({
        id: item.id,
        type: item.type,
        attempts: item.attempts,
        createdAt: item.createdAt.toISOString(),
        lastError: item.lastError ?? null,
      }));
  }

  async replay(ids: readonly string[]): Promise<number> {
    const wanted = (item: OutboxItem) => ids.length === 0 || ids.includes(item.id);
    const filter =
      ids.length === 0 ? { parkedCount: { $gt: 0 } } : { 'parked.id': { $in: [...ids] } };
    const docs = await this.model.find(filter).lean<OutboxFields[]>();
    let replayed = 0;
    const now = new Date();
    for (const doc of docs) {
      let back: OutboxItem[] = [];
      await this.rewrite(doc, (current) => {
        back = current.parked
          .filter(wanted)
          .map((item) => ({ ...item, attempts: 0, nextAttemptAt: now }));
        return outboxWrite(
          [...current.outbox, ...back],
          current.parked.filter((item) => !wanted(item)),
          current.version,
        );
      });
      replayed += back.length;
    }
    return replayed;
  }

  /** Sent events leave the document with the write that records them: nothing to purge. */
  purgeSent(): Promise<number> {
    return Promise.resolve(0);
  }

  /**
   * Writes `change(doc)` if the document is still at the version read; otherwise reads it
   * again and recomputes, so a concurrent change is never overwritten.
   */
  private async rewrite(
    doc: OutboxFields,
    change: (current: OutboxFields) => DocumentWrite,
  ): Promise<void> {
    let current: OutboxFields | null = doc;
    for (let attempt = 0; current && attempt < MAX_WRITE_RETRIES; attempt++) {
      const result = await this.model.updateOne(
        { _id: current._id, version: current.version },
        toUpdate(change(current)),
      );
      if (result.matchedCount === 1) return;
      current = await this.model.findById(current._id).lean<OutboxFields>();
    }
    if (current) throw new Error(`outbox of ${current._id} kept changing; will retry`);
  }
}
