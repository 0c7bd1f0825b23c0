import { join } from 'node:path';
import type { DatabaseConfig } from '../../../shared/config/app-config';
import type { ReadinessCheck } from '../../../shared/observability/readiness';
import { MemorySessionRepository } from './memory-session-repository';
import { RedisSessionRepository } from './redis-session-repository';
import type { SessionRepository } from './session-repository';

/**
 * Opens the auth module's database and the session repository on it: Redis when its URL
 * (`AUTH_REDIS_URL`) is set (shared by every replica), else memory (one process) with its
 * revocations journaled under `DATA_DIR/auth`. Either keeps a revocation as long as a token of
 * its session could still be accepted (`acceptedAgeSeconds`).
 */
export function openSessionRepository(
  database: DatabaseConfig,
  acceptedAgeSeconds: number,
): Promise<SessionRepository> {
  const keepMs = acceptedAgeSeconds * 1000;
  return database.url
    ? RedisSessionRepository.connect(database.url, database.timeoutMs, undefined, keepMs)
    : MemorySessionRepository.withJournal(
        join(database.dataDir, 'auth', 'revocations.jsonl'),
        keepMs,
      );
}

/** What `/ready` asks of the auth database: a ping when it is Redis; memory needs no check. */
export function redisCheck(sessions: SessionRepository): ReadinessCheck | undefined {
  return sessions instanceof RedisSessionRepository ? () => sessions.ping() : undefined;
}
