import { Schema, type Model } from 'mongoose';
import type { MongoDatabase } from '../../../shared/persistence/mongo-database';
import { AccountView, type AccountState } from './account-view';

interface AccountDocument {
  _id: string;
  version?: number;
  deleted: boolean;
  updatedAt: Date;
}

const ACCOUNT_SCHEMA = new Schema<AccountDocument>(
  { _id: String, version: Number, deleted: Boolean, updatedAt: Date },
  { collection: 'account_view', versionKey: false, id: false },
);

/**
 * The account view on MongoDB: one document per account, each change one conditional write
 * (a filter that holds only where the new state wins, or an insert where none exists).
 */
export class MongoAccountView extends AccountView {
  private constructor(private readonly accounts: Model<AccountDocument>) {
    super();
  }

  static open(db: MongoDatabase): MongoAccountView {
    return new MongoAccountView(db.model('AccountView', ACCOUNT_SCHEMA));
  }

  async record(userId: string, state: AccountState): Promise<boolean> {
    const wins = state.deleted
      ? { deleted: { $ne: true } }
      : state.version !== undefined
        ? {
            deleted: { $ne: true },
            $or: [{ version: { $exists: false } }, { version: { $lt: state.version } }],
          }
        : undefined;
    const set = {
      deleted: state.deleted,
      updatedAt: new Date(),
      ...(state.version !== undefined && { version: state.version }),
    };
    // Twice at most: a conditional update where the account is known, else an insert; an insert
    // that loses to a concurrent one means the account is known now, so the update decides.
    for (let attempt = 0; attempt < 2; attempt++) {
      if (
        wins &&
        (await this.accounts.updateOne({ _id: userId, ...wins }, { $set: set })).matchedCount > 0
      ) {
        return true;
      }
      try {
        await this.accounts.create({ _id: userId, ...set });
        return true;
      } catch (error) {
        if ((error as { code?: number }).code !== 11000) throw error;
        if (!wins) return false;
      }
    }
    return false;
  }

  async isDeleted(userId: string): Promise<boolean> {
    const doc = await this.accounts.findById(userId).lean<AccountDocument>();
    return doc?.deleted === true;
  }
}
