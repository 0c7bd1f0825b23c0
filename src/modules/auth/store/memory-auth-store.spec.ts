import { describe, expect, it } from '@jest/globals';
import { MemoryAuthStore } from './memory-auth-store';

const session = (id: string, userId = 'u1') => ({
  id,
  userId,
  roles: ['user' as const],
  expiresAtMs: Date.now() + 60_000,
});

describe('MemoryAuthStore', () => {
  it('rotates a live refresh token once, and the spent one no longer rotates', async () => {
    const store = new MemoryAuthStore();
    await store.createSession(session('s1'), 'h1');
    expect(await store.rotate('h1', 'h2', Date.now())).toMatchObject({ kind: 'rotated' });
    expect(await store.rotate('h2', 'h3', Date.now())).toMatchObject({ kind: 'rotated' });
  });

  it('treats a spent token as reuse and revokes the whole session', async () => {
    const store = new MemoryAuthStore();
    await store.createSession(session('s1'), 'h1');
    await store.rotate('h1', 'h2', Date.now());
    expect(await store.rotate('h1', 'hx', Date.now())).toEqual({ kind: 'reused', sessionId: 's1' });
    expect(await store.rotate('h2', 'h3', Date.now())).toEqual({ kind: 'unknown' });
  });

  it('rejects unknown, revoked and expired sessions', async () => {
    const store = new MemoryAuthStore();
    expect(await store.rotate('nope', 'x', Date.now())).toEqual({ kind: 'unknown' });
    await store.createSession({ ...session('s2'), expiresAtMs: Date.now() - 1 }, 'old');
    expect(await store.rotate('old', 'x', Date.now())).toEqual({ kind: 'unknown' });
    await store.createSession(session('s3', 'u9'), 'a');
    await store.createSession(session('s4', 'u9'), 'b');
    await store.revokeUserSessions('u9', { handler: 'h', eventId: 'e1' }, Date.now());
    expect(await store.findByRefresh('a', Date.now())).toBeUndefined();
    expect(await store.rotate('b', 'c', Date.now())).toEqual({ kind: 'unknown' });
  });

  it('revokes once per event: a redelivery spares sessions opened since', async () => {
    const store = new MemoryAuthStore();
    await store.createSession(session('old', 'u5'), 'h-old');
    await store.revokeUserSessions('u5', { handler: 'h', eventId: 'e1' }, Date.now());
    await store.createSession(session('new', 'u5'), 'h-new');
    await store.revokeUserSessions('u5', { handler: 'h', eventId: 'e1' }, Date.now());
    expect(await store.findByRefresh('h-new', Date.now())).toMatchObject({ id: 'new' });
    expect(await store.findByRefresh('h-old', Date.now())).toBeUndefined();
  });

  it('keeps revocations for its window only', async () => {
    const store = new MemoryAuthStore(1000);
    await store.createSession(session('s1', 'u1'), 'x1');
    await store.createSession(session('s2', 'u1'), 'x2');
    const long = Date.now() - 5000;
    await store.revokeSession('s1', long);
    expect(await store.revocationsSince(0)).toEqual([]);
    const now = Date.now();
    await store.revokeSession('s2', now);
    expect(await store.revocationsSince(0)).toEqual([{ sessionId: 's2', revokedAtMs: now }]);
  });

  it('locks after max failures within the window and reports the seconds left', async () => {
    const store = new MemoryAuthStore();
    const t0 = 1_000_000;
    for (let i = 0; i < 4; i++) await store.recordFailure('k', 900, t0 + i);
    expect(await store.lockedFor('k', 5, t0 + 10)).toBe(0);
    await store.recordFailure('k', 900, t0 + 20);
    expect(await store.lockedFor('k', 5, t0 + 30)).toBe(900);
    expect(await store.lockedFor('k', 5, t0 + 900_001)).toBe(0);
    await store.clearFailures('k');
    expect(await store.lockedFor('k', 5, t0 + 40)).toBe(0);
  });
});
