import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { MemorySessionRepository } from '../../src/modules/auth/persistence/memory-session-repository';
import { RedisSessionRepository } from '../../src/modules/auth/persistence/redis-session-repository';
import { Session, SessionRepository } from '../../src/modules/auth/persistence/session-repository';
import { sessionRepositoryTargets, SERVICES } from '../support/services';

const session = (userId = randomUUID(), ttlMs = 60_000): Session => ({
  id: randomUUID(),
  userId,
  roles: ['user'],
  expiresAtMs: Date.now() + ttlMs,
});
const hash = () => randomUUID();
/** How long the repositories under test keep a revocation. */
const KEEP_MS = 60_000;

/** One contract, every adapter: the auth module cannot tell them apart. */
for (const kind of sessionRepositoryTargets()) {
  describe(`session repository contract on ${kind}`, () => {
    let sessions: SessionRepository;
    let prefix: string;
    beforeAll(async () => {
      prefix = `cleave:test:${randomUUID()}:`;
      sessions =
        kind === 'redis'
          ? await RedisSessionRepository.connect(SERVICES.redis, 2000, prefix, KEEP_MS)
          : new MemorySessionRepository(KEEP_MS);
    });
    afterAll(async () => {
      if (sessions instanceof RedisSessionRepository) {
        const keys = await sessions.redis.keys(`${prefix}*`);
        if (keys.length > 0) await sessions.redis.del(...keys);
        await sessions.onApplicationShutdown();
      }
    });

    it('swaps a live refresh token, and the new one is live', async () => {
      const s = session();
      const [h1, h2, h3] = [hash(), hash(), hash()];
      await sessions.createSession(s, h1);
      expect(await sessions.swapRefresh(h1, h2, Date.now())).toEqual({
        kind: 'swapped',
        session: s,
      });
      expect(await sessions.findByRefresh(h1, Date.now())).toBeUndefined();
      expect(await sessions.findByRefresh(h2, Date.now())).toEqual(s);
      expect(await sessions.swapRefresh(h2, h3, Date.now())).toMatchObject({ kind: 'swapped' });
    });

    it('names the session of a spent token and changes nothing', async () => {
      const [h1, h2] = [hash(), hash()];
      const s = session();
      await sessions.createSession(s, h1);
      await sessions.swapRefresh(h1, h2, Date.now());
      const at = Date.now();
      expect(await sessions.swapRefresh(h1, hash(), at)).toEqual({
        kind: 'spent',
        sessionId: s.id,
      });
      expect(await sessions.findByRefresh(h2, Date.now())).toEqual(s);
      expect(await sessions.revocationsSince(at)).not.toContainEqual(
        expect.objectContaining({ sessionId: s.id }),
      );
    });

    it('lets exactly one of many concurrent swaps with one token win; the others see it spent', async () => {
      const h1 = hash();
      const s = session();
      const next = Array.from({ length: 10 }, hash);
      await sessions.createSession(s, h1);
      const results = await Promise.all(next.map((h) => sessions.swapRefresh(h1, h, Date.now())));
      expect(results.filter((r) => r.kind === 'swapped')).toHaveLength(1);
      expect(results.filter((r) => r.kind === 'spent')).toHaveLength(next.length - 1);
      const winner = next[results.findIndex((r) => r.kind === 'swapped')];
      expect(await sessions.findByRefresh(winner, Date.now())).toEqual(s);
    });

    it('rejects unknown tokens and expired or revoked sessions', async () => {
      expect(await sessions.swapRefresh(hash(), hash(), Date.now())).toEqual({ kind: 'unknown' });
      const expired = hash();
      await sessions.createSession(session(undefined, 1_000), expired);
      expect(await sessions.swapRefresh(expired, hash(), Date.now() + 2_000)).toEqual({
        kind: 'unknown',
      });
      const s = session();
      const h = hash();
      await sessions.createSession(s, h);
      const at = Date.now();
      await sessions.revokeSession(s.id, at);
      expect(await sessions.findByRefresh(h, Date.now())).toBeUndefined();
      expect(await sessions.revocationsSince(at)).toContainEqual({
        sessionId: s.id,
        revokedAtMs: at,
      });
      expect(await sessions.revocationsSince(at + 1)).not.toContainEqual(
        expect.objectContaining({ sessionId: s.id }),
      );
    });

    it("revokes all of a user's sessions once per event, records each, and a redelivery spares newer ones", async () => {
      const userId = randomUUID();
      const [a, b, c] = [hash(), hash(), hash()];
      const mine = [session(userId), session(userId)];
      for (const [i, h] of [a, b].entries()) await sessions.createSession(mine[i] ?? session(), h);
      const other = hash();
      await sessions.createSession(session(), other);
      const inbox = { handler: 'test', eventId: randomUUID() };
      const at = Date.now();
      const revoked = await sessions.revokeUserSessions(userId, inbox, at);
      expect(revoked.sort()).toEqual(mine.map((m) => m.id).sort());
      expect(await sessions.revocationsSince(at)).toEqual(
        expect.arrayContaining(revoked.map((sessionId) => ({ sessionId, revokedAtMs: at }))),
      );
      expect(await sessions.findByRefresh(a, Date.now())).toBeUndefined();
      expect(await sessions.swapRefresh(b, hash(), Date.now())).toEqual({ kind: 'unknown' });
      expect(await sessions.findByRefresh(other, Date.now())).toBeDefined();
      const later = session(userId);
      await sessions.createSession(later, c);
      expect(await sessions.revokeUserSessions(userId, inbox, Date.now())).toEqual([]);
      expect(await sessions.findByRefresh(c, Date.now())).toEqual(later);
    });

    it('keeps revocations for its window only', async () => {
      const s = session();
      await sessions.createSession(s, hash());
      await sessions.revokeSession(s.id, Date.now() - KEEP_MS - 1000);
      const fresh = session();
      await sessions.createSession(fresh, hash());
      await sessions.revokeSession(fresh.id, Date.now());
      const kept = (await sessions.revocationsSince(0)).map((r) => r.sessionId);
      expect(kept).toContain(fresh.id);
      expect(kept).not.toContain(s.id);
    });

    it("counts failures in a window set by the caller's clock, and starts a new one after it", async () => {
      const key = `login:${randomUUID()}`;
      const t = Date.now();
      const window = 60_000;
      expect(await sessions.failures(key)).toBeUndefined();
      expect(await sessions.recordFailure(key, t, window)).toEqual({
        count: 1,
        resetAtMs: t + window,
      });
      expect(await sessions.recordFailure(key, t + 10, window)).toEqual({
        count: 2,
        resetAtMs: t + window,
      });
      expect(await sessions.failures(key)).toEqual({ count: 2, resetAtMs: t + window });
      // At the window's end, by the caller's clock, a failure opens a new window.
      expect(await sessions.recordFailure(key, t + window, window)).toEqual({
        count: 1,
        resetAtMs: t + 2 * window,
      });
      await sessions.clearFailures(key);
      expect(await sessions.failures(key)).toBeUndefined();
    });

    it('counts every one of many concurrent failures once', async () => {
      const key = `login:${randomUUID()}`;
      const t = Date.now();
      const counts = await Promise.all(
        Array.from({ length: 20 }, () => sessions.recordFailure(key, t, 60_000)),
      );
      expect(counts.map((c) => c.count).sort((a, b) => a - b)).toEqual(
        Array.from({ length: 20 }, (_, i) => i + 1),
      );
    });
  });

  if (kind === 'redis') {
    describe('session repository on Redis: a swap that arrives after its caller gave up', () => {
      it('changes nothing, so the client’s retry with the same token still swaps it', async () => {
        const prefix = `cleave:test:${randomUUID()}:`;
        const live = await RedisSessionRepository.connect(SERVICES.redis, 2000, prefix);
        // A caller whose wait already ended: its deadline is in the past when Redis runs it.
        const late = new RedisSessionRepository(live.redis, prefix, -1000);
        try {
          const s = session();
          const [h1, h2] = [hash(), hash()];
          await live.createSession(s, h1);
          await expect(late.swapRefresh(h1, h2, Date.now())).rejects.toMatchObject({
            code: 'SERVICE.UNAVAILABLE',
          });
          expect(await live.findByRefresh(h1, Date.now())).toEqual(s);
          expect(await live.swapRefresh(h1, h2, Date.now())).toEqual({
            kind: 'swapped',
            session: s,
          });
        } finally {
          const keys = await live.redis.keys(`${prefix}*`);
          if (keys.length > 0) await live.redis.del(...keys);
          await live.onApplicationShutdown();
        }
      });
    });
  }
}
