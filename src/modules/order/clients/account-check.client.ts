import { Injectable } from '@nestjs/common';
import { Bus } from '../../../shared/bus/bus';
import { isUnavailable } from '../../../shared/http/domain-error';
import { CheckAccountReply, CheckAccountRequest, USER_PATTERNS } from '../../user/user.contract';

/** How long a confirmed account may stand in for the user module while it is unreachable. */
const FALLBACK_MS = 60_000;
const MAX_CONFIRMED = 100_000;

/**
 * Asks the user module whether an account still exists (`user.check-account` over the bus,
 * with its timeout and breaker; answered in `modules/user/answer-peers/`). While the user module cannot be reached (its breaker open, or
 * it times out), an account confirmed within the last FALLBACK_MS still counts: a safe
 * fallback, since it existed a moment ago and its deletion cancels its open orders anyway. An
 * unknown account fails closed (the caller gets 503).
 */
@Injectable()
export class AccountCheck {
  /** Accounts the user module confirmed recently, until when (insertion order: oldest first). */
  private readonly confirmed = new Map<string, number>();

  constructor(private readonly bus: Bus) {}

  async exists(userId: string): Promise<boolean> {
    try {
      const { exists } = await this.bus.request<CheckAccountReply, CheckAccountRequest>(
        USER_PATTERNS.checkAccount,
        { userId },
      );
      this.remember(userId, exists);
      return exists;
    } catch (error) {
      if (isUnavailable(error) && (this.confirmed.get(userId) ?? 0) > Date.now()) return true;
      throw error;
    }
  }

  /** On `user.deleted`: the account is no longer confirmed. */
  forget(userId: string): void {
    this.confirmed.delete(userId);
  }

  private remember(userId: string, exists: boolean): void {
    if (!exists) return this.forget(userId);
    this.confirmed.delete(userId);
    this.confirmed.set(userId, Date.now() + FALLBACK_MS);
    if (this.confirmed.size > MAX_CONFIRMED)
      this.confirmed.delete(this.confirmed.keys().next().value!);
  }
}
