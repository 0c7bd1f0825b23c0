import { join } from 'node:path';
import type { ReadinessCheck } from '../../../shared/observability/readiness';
import { acceptedTokenAgeSeconds } from '../../../shared/security/security.contract';
import { MemorySessionRepository } from './memory-session-repository';
import { RedisSessionRepository } from './redis-session-repository';
import type { SessionRepository } from './session-repository';

/**
 * Opens the auth module's database and the session repository on it: Redis when
 * `AUTH_REDIS_URL` is set (shared by every replica), else memory (one process) with its
 * revocations journaled under `DATA_DIR/auth`. Either keeps a revocation as long as a token of
 * its session could still be accepted (`acceptedTokenAgeSeconds`).
 */
export function openSessionRepository(config: {
  AUTH_REDIS_URL?: string;
  DATA_DIR: string;
  DB_TIMEOUT_MS: number;
  ACCESS_TOKEN_TTL_SECONDS: number;
}): Promise<SessionRepository> {
  const keepMs = acceptedTokenAgeSeconds(config.ACCESS_TOKEN_TTL_SECONDS) * 1000;
  return config.AUTH_REDIS_URL
    ? RedisSessionRepository.connect(config.AUTH_REDIS_URL, config.DB_TIMEOUT_MS, undefined, keepMs)
    : MemorySessionRepository.withJournal(
        join(config.DATA_DIR, 'auth', 'revocations.jsonl'),
        keepMs,
      );
}

/** What `/ready` asks of the auth database: a ping when it is Redis; memory needs no check. */
export function redisCheck(sessions: SessionRepository): ReadinessCheck | undefined {
  return sessions instanceof RedisSessionRepository ? () => sessions.ping() : undefined;
}
