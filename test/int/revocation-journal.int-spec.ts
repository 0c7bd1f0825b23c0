import { appendFile, mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from '@jest/globals';
import { MemorySessionRepository } from '../../src/modules/auth/persistence/memory-session-repository';
import { RevocationJournalFile } from '../../src/modules/auth/persistence/revocation-journal-file';

describe('the in-memory session repository’s revocation journal', () => {
  const dirs: string[] = [];
  afterAll(async () => {
    for (const dir of dirs) await rm(dir, { recursive: true, force: true });
  });
  const path = async () => {
    const dir = await mkdtemp(join(tmpdir(), 'cleave-journal-'));
    dirs.push(dir);
    return join(dir, 'auth', 'revocations.jsonl');
  };
  const session = (id: string) => ({
    id,
    userId: 'u',
    roles: ['user' as const],
    expiresAtMs: Date.now() + 60_000,
  });

  it('gives a restarted repository the revocations made before, within the window', async () => {
    const file = await path();
    const first = await MemorySessionRepository.withJournal(file, 60_000);
    await first.createSession(session('s1'), 'h1');
    await first.createSession(session('s2'), 'h2');
    const at = Date.now();
    await first.revokeSession('s1', at);
    await first.revokeUserSessions('u', { handler: 'h', eventId: 'e' }, at + 1);
    await first.onApplicationShutdown();
    const second = await MemorySessionRepository.withJournal(file, 60_000);
    expect((await second.revocationsSince(0)).map((r) => r.sessionId).sort()).toEqual(['s1', 's2']);
    await second.onApplicationShutdown();
  });

  it('drops what is past the window and a line a crash cut short, and compacts the file', async () => {
    const file = await path();
    const { journal } = await RevocationJournalFile.open(file, 0);
    await journal.append([
      { sessionId: 'old', revokedAtMs: 1000 },
      { sessionId: 'new', revokedAtMs: 5000 },
    ]);
    await journal.close();
    await appendFile(file, '{"s":"cut","t":');
    const reopened = await RevocationJournalFile.open(file, 2000);
    expect(reopened.kept).toEqual([{ sessionId: 'new', revokedAtMs: 5000 }]);
    await reopened.journal.close();
    expect(await readFile(file, 'utf8')).toBe('{"s":"new","t":5000}\n');
  });
});
