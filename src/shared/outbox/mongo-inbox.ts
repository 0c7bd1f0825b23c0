import { Schema, type Model } from 'mongoose';
import type { MongoDatabase } from '../persistence/mongo-database';

/** An event a handler applied: `_id` is `handler:eventId`. */
interface InboxDocument {
  _id: string;
  handler: string;
  eventId: string;
  at: Date;
}

const INBOX_SCHEMA = new Schema<InboxDocument>(
  { _id: String, handler: String, eventId: String, at: Date },
  { collection: 'inbox', versionKey: false, id: false },
);

/**
 * The inbox on MongoDB, without multi-document transactions: which event each handler already
 * applied, one document each. A handler's effect cannot share one atomic write with its inbox
 * entry, so the effect itself must be safe to repeat: the handler asks `handled` first (to skip
 * the work) and `record`s the event last, once its effect is written.
 */
export class MongoInbox {
  private constructor(private readonly inbox: Model<InboxDocument>) {}

  static open(db: MongoDatabase): MongoInbox {
    return new MongoInbox(db.model('Inbox', INBOX_SCHEMA));
  }

  /** Whether the handler recorded the event already. */
  async handled({ handler, eventId }: { handler: string; eventId: string }): Promise<boolean> {
    return (await this.inbox.exists({ _id: key(handler, eventId) })) !== null;
  }

  /** Records that the handler applied the event (`at`); recording it again changes nothing. */
  async record(
    { handler, eventId }: { handler: string; eventId: string },
    at: Date,
  ): Promise<void> {
    await this.inbox.updateOne(
      { _id: key(handler, eventId) },
      { $setOnInsert: { handler, eventId, at } },
      { upsert: true },
    );
  }
}

function key(handler: string, eventId: string): string {
  return `${handler}:${eventId}`;
}
