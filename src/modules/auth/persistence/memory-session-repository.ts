import { Injectable, OnApplicationShutdown } from '@nestjs/common';
import { RevocationJournalFile } from './revocation-journal-file';
import {
  FailureCount,
  Revocation,
  Session,
  SessionRepository,
  SwapResult,
} from './session-repository';

interface SessionState extends Session {
  liveHash: string;
  revoked: boolean;
}

/**
 * One process only: state dies with the process, and replicas cannot share it; but for its
 * revocations, which a journal file keeps across restarts (see `RevocationJournalFile`).
 */
@Injectable()
export class MemorySessionRepository extends SessionRepository implements OnApplicationShutdown {
  /** Revoked session → when, oldest first (insertion order). */
  private readonly revocations = new Map<string, number>();
  private journal?: RevocationJournalFile;

  constructor(private readonly revocationKeepMs = 16 * 60_000) {
    super();
  }

  /** A repository whose revocations are journaled in `path` (and read back from it). */
  static async withJournal(
    path: string,
    revocationKeepMs: number,
  ): Promise<MemorySessionRepository> {
    const repository = new MemorySessionRepository(revocationKeepMs);
    const { journal, kept } = await RevocationJournalFile.open(path, Date.now() - revocationKeepMs);
    for (const { sessionId, revokedAtMs } of kept)
      repository.revocations.set(sessionId, revokedAtMs);
    repository.journal = journal;
    return repository;
  }

  async onApplicationShutdown(): Promise<void> {
    await this.journal?.close();
  }

  private readonly sessions = new Map<string, SessionState>();
  /** Every refresh hash ever issued → its session (live or spent). */
  private readonly byHash = new Map<string, string>();
  private readonly failureCounts = new Map<string, FailureCount>();
  /** Inbox: (handler, event id) pairs already handled. */
  private readonly handled = new Set<string>();

  createSession(session: Session, refreshHash: string): Promise<void> {
    this.sessions.set(session.id, { ...session, liveHash: refreshHash, revoked: false });
    this.byHash.set(refreshHash, session.id);
    return Promise.resolve();
  }

  swapRefresh(presentedHash: string, nextHash: string, nowMs: number): Promise<SwapResult> {
    const state = this.live(presentedHash, nowMs, true);
    if (!state) return Promise.resolve({ kind: 'unknown' });
    if (state.liveHash !== presentedHash) {
      return Promise.resolve({ kind: 'spent', sessionId: state.id });
    }
    state.liveHash = nextHash;
    this.byHash.set(nextHash, state.id);
    return Promise.resolve({ kind: 'swapped', session: publicPart(state) });
  }

  findByRefresh(refreshHash: string, nowMs: number): Promise<Session | undefined> {
    const state = this.live(refreshHash, nowMs, false);
    return Promise.resolve(state ? publicPart(state) : undefined);
  }

  revokeSession(sessionId: string, nowMs: number): Promise<void> {
    const state = this.sessions.get(sessionId);
    return state ? this.revoke([state], nowMs) : Promise.resolve();
  }

  revokeUserSessions(
    userId: string,
    inbox: { handler: string; eventId: string },
    nowMs: number,
  ): Promise<string[]> {
    const key = `${inbox.handler}:${inbox.eventId}`;
    if (this.handled.has(key)) return Promise.resolve([]);
    this.handled.add(key);
    const mine = [...this.sessions.values()].filter((state) => state.userId === userId);
    return this.revoke(mine, nowMs).then(() => mine.map((state) => state.id));
  }

  revocationsSince(sinceMs: number): Promise<Revocation[]> {
    const from = Math.max(sinceMs, Date.now() - this.revocationKeepMs);
    const found: Revocation[] = [];
    for (const [sessionId, revokedAtMs] of this.revocations) {
      if (revokedAtMs >= from) found.push({ sessionId, revokedAtMs });
    }
    return Promise.resolve(found);
  }

  /** Revokes at once (atomic: nothing else runs meanwhile), then journals before resolving. */
  private revoke(states: SessionState[], nowMs: number): Promise<void> {
    for (const state of states) {
      state.revoked = true;
      this.revocations.delete(state.id);
      this.revocations.set(state.id, nowMs);
    }
    // Oldest first, as revocations arrive in time order; anything out of order past the window
    // is never answered (see revocationsSince) and goes once those before it have.
    for (const [sessionId, at] of this.revocations) {
      if (at >= nowMs - this.revocationKeepMs) break;
      this.revocations.delete(sessionId);
    }
    return (
      this.journal?.append(states.map((s) => ({ sessionId: s.id, revokedAtMs: nowMs }))) ??
      Promise.resolve()
    );
  }

  recordFailure(key: string, nowMs: number, windowMs: number): Promise<FailureCount> {
    const current = this.failureCounts.get(key);
    const entry =
      current && current.resetAtMs > nowMs ? current : { count: 0, resetAtMs: nowMs + windowMs };
    entry.count += 1;
    this.failureCounts.set(key, entry);
    return Promise.resolve({ ...entry });
  }

  failures(key: string): Promise<FailureCount | undefined> {
    const entry = this.failureCounts.get(key);
    return Promise.resolve(entry && { ...entry });
  }

  clearFailures(key: string): Promise<void> {
    this.failureCounts.delete(key);
    return Promise.resolve();
  }

  /** The session behind a hash, when it is neither revoked nor expired (and, unless `anyHash`, the hash is live). */
  private live(hash: string, nowMs: number, anyHash: boolean): SessionState | undefined {
    const id = this.byHash.get(hash);
    const state = id === undefined ? undefined : this.sessions.get(id);
    if (!state || state.revoked || state.expiresAtMs <= nowMs) {
      if (state && (state.revoked || state.expiresAtMs <= nowMs)) this.forget(state);
      return undefined;
    }
    if (!anyHash && state.liveHash !== hash) return undefined;
    return state;
  }

  private forget(state: SessionState): void {
    if (state.expiresAtMs > Date.now()) return;
    this.sessions.delete(state.id);
    for (const [hash, id] of this.byHash) if (id === state.id) this.byHash.delete(hash);
  }
}

function publicPart(state: SessionState): Session {
  return { id: state.id, userId: state.userId, roles: state.roles, expiresAtMs: state.expiresAtMs };
}
