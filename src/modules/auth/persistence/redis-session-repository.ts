import { Logger, OnApplicationShutdown } from '@nestjs/common';
import Redis from 'ioredis';
import { ServiceUnavailable } from '../../../shared/kernel/domain-error';
import type { Role } from '../../../shared/security/security.contract';
import {
  FailureCount,
  Revocation,
  Session,
  SessionRepository,
  SwapResult,
} from './session-repository';

/** How long a handled event id is remembered by the auth inbox. */
const INBOX_TTL_SECONDS = 7 * 24 * 3600;

// Every multi-step change is one Lua script, so concurrent refreshes see one order of events.
// Keys are derived inside the scripts from one prefix: fine for a standalone Redis or a
// replicated primary, not for Redis Cluster.
// A swap that reaches Redis after its caller gave up (the client was told 503) does nothing:
// otherwise the client's retry with the same token would look like reuse and revoke its
// session. That deadline is about the connection, not a rule, so it is checked against Redis'
// own clock; every rule's time (`now`) is the caller's.
// A revocation is recorded in the sorted set `revocations` (session id, scored by when) in the
// same script that revokes, and entries older than the kept window are dropped there too.
const RECORD_REVOCATION = `
local function revoke(prefix, sid, now, keepMs)
  redis.call('HSET', prefix .. 'session:' .. sid, 'revoked', '1')
  redis.call('ZADD', prefix .. 'revocations', now, sid)
  redis.call('ZREMRANGEBYSCORE', prefix .. 'revocations', '-inf', '(' .. (now - keepMs))
end
`;

const SWAP = `
local prefix, presented, nextHash, now, deadline = ARGV[1], ARGV[2], ARGV[3], tonumber(ARGV[4]), tonumber(ARGV[5])
local t = redis.call('TIME')
if tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000) > deadline then return {'late'} end
local sid = redis.call('GET', prefix .. 'refresh:' .. presented)
if not sid then return {'unknown'} end
local skey = prefix .. 'session:' .. sid
local s = redis.call('HMGET', skey, 'liveHash', 'revoked', 'expiresAtMs', 'userId', 'roles')
if not s[1] or s[2] == '1' or tonumber(s[3]) <= now then return {'unknown'} end
if s[1] ~= presented then return {'spent', sid} end
redis.call('HSET', skey, 'liveHash', nextHash)
redis.call('SET', prefix .. 'refresh:' .. nextHash, sid, 'PXAT', s[3])
return {'swapped', sid, s[4], s[5], s[3]}
`;

const REVOKE_USER = `${RECORD_REVOCATION}
local prefix, userId, inboxKey, inboxTtl, now, keepMs = ARGV[1], ARGV[2], ARGV[3], tonumber(ARGV[4]), tonumber(ARGV[5]), tonumber(ARGV[6])
if not redis.call('SET', prefix .. 'inbox:' .. inboxKey, '1', 'NX', 'EX', inboxTtl) then return {} end
local revoked = {}
for _, sid in ipairs(redis.call('SMEMBERS', prefix .. 'user-sessions:' .. userId)) do
  if redis.call('EXISTS', prefix .. 'session:' .. sid) == 1 then
    revoke(prefix, sid, now, keepMs)
    table.insert(revoked, sid)
  end
end
return revoked
`;

const REVOKE_SESSION = `${RECORD_REVOCATION}
local prefix, sid, now, keepMs = ARGV[1], ARGV[2], tonumber(ARGV[3]), tonumber(ARGV[4])
if redis.call('EXISTS', prefix .. 'session:' .. sid) == 1 then revoke(prefix, sid, now, keepMs) end
return 1
`;

const RECORD_FAILURE = `
local key, now, windowMs = KEYS[1], tonumber(ARGV[1]), tonumber(ARGV[2])
local resetAt = tonumber(redis.call('HGET', key, 'resetAtMs'))
if not resetAt or resetAt <= now then
  resetAt = now + windowMs
  redis.call('HSET', key, 'count', 0, 'resetAtMs', resetAt)
  redis.call('PEXPIREAT', key, resetAt)
end
return {redis.call('HINCRBY', key, 'count', 1), resetAt}
`;

/** The session repository on Redis: shared by every replica, and TTLs clean up after themselves. */
export class RedisSessionRepository extends SessionRepository implements OnApplicationShutdown {
  private readonly logger = new Logger('auth-redis');

  constructor(
    readonly redis: Redis,
    private readonly prefix = 'cleave:auth:',
    /** How long a caller waits for a command (ioredis' `commandTimeout`). */
    private readonly timeoutMs = 5000,
    private readonly revocationKeepMs = 16 * 60_000,
  ) {
    super();
  }

  /**
   * Connects without queueing commands while Redis is away (requests fail fast with 503) and
   * keeps reconnecting in the background; a Redis that is down at start does not stop the
   * process, `/ready` reports it.
   */
  static async connect(
    url: string,
    timeoutMs: number,
    prefix?: string,
    revocationKeepMs?: number,
  ): Promise<RedisSessionRepository> {
    const redis = new Redis(url, {
      connectTimeout: timeoutMs,
      commandTimeout: timeoutMs,
      maxRetriesPerRequest: 1,
      enableOfflineQueue: false,
      lazyConnect: true,
      retryStrategy: (attempt) => Math.min(attempt * 200, 2000),
    });
    const repository = new RedisSessionRepository(redis, prefix, timeoutMs, revocationKeepMs);
    redis.on('error', (error: Error) => repository.logger.warn(`redis: ${error.message}`));
    await redis
      .connect()
      .catch((error: Error) => repository.logger.warn(`redis not reachable yet: ${error.message}`));
    return repository;
  }

  async createSession(session: Session, refreshHash: string): Promise<void> {
    const skey = `${this.prefix}session:${session.id}`;
    await this.redis
      .multi()
      .hset(skey, {
        userId: session.userId,
        roles: JSON.stringify(session.roles),
        expiresAtMs: String(session.expiresAtMs),
        liveHash: refreshHash,
        revoked: '0',
      })
      .pexpireat(skey, session.expiresAtMs)
      .set(`${this.prefix}refresh:${refreshHash}`, session.id, 'PXAT', session.expiresAtMs)
      .sadd(`${this.prefix}user-sessions:${session.userId}`, session.id)
      .pexpireat(`${this.prefix}user-sessions:${session.userId}`, session.expiresAtMs)
      .exec();
  }

  async swapRefresh(presentedHash: string, nextHash: string, nowMs: number): Promise<SwapResult> {
    const reply = (await this.redis.eval(
      SWAP,
      0,
      this.prefix,
      presentedHash,
      nextHash,
      String(nowMs),
      String(Date.now() + this.timeoutMs),
    )) as string[];
    if (reply[0] === 'late') throw new ServiceUnavailable('The auth store');
    if (reply[0] === 'swapped') {
      const [, id, userId, roles, expiresAtMs] = reply;
      return {
        kind: 'swapped',
        session: {
          id: id,
          userId: userId,
          roles: JSON.parse(roles) as Role[],
          expiresAtMs: Number(expiresAtMs),
        },
      };
    }
    if (reply[0] === 'spent' && reply[1]) return { kind: 'spent', sessionId: reply[1] };
    return { kind: 'unknown' };
  }

  async findByRefresh(refreshHash: string, nowMs: number): Promise<Session | undefined> {
    const id = await this.redis.get(`${this.prefix}refresh:${refreshHash}`);
    if (!id) return undefined;
    const s = await this.redis.hgetall(`${this.prefix}session:${id}`);
    if (
      !s.liveHash ||
      s.revoked === '1' ||
      Number(s.expiresAtMs) <= nowMs ||
      s.liveHash !== refreshHash
    ) {
      return undefined;
    }
    return {
      id,
      userId: s.userId,
      roles: JSON.parse(s.roles) as Role[],
      expiresAtMs: Number(s.expiresAtMs),
    };
  }

  async revokeSession(sessionId: string, nowMs: number): Promise<void> {
    await this.redis.eval(
      REVOKE_SESSION,
      0,
      this.prefix,
      sessionId,
      String(nowMs),
      String(this.revocationKeepMs),
    );
  }

  async revokeUserSessions(
    userId: string,
    inbox: { handler: string; eventId: string },
    nowMs: number,
  ): Promise<string[]> {
    return (await this.redis.eval(
      REVOKE_USER,
      0,
      this.prefix,
      userId,
      `${inbox.handler}:${inbox.eventId}`,
      String(INBOX_TTL_SECONDS),
      String(nowMs),
      String(this.revocationKeepMs),
    )) as string[];
  }

  async revocationsSince(sinceMs: number): Promise<Revocation[]> {
    const flat = await this.redis.zrangebyscore(
      `${this.prefix}revocations`,
      sinceMs,
      '+inf',
      'WITHSCORES',
    );
    const found: Revocation[] = [];
    for (let i = 0; i + 1 < flat.length; i += 2) {
      const [sessionId, at] = [flat[i], flat[i + 1]];
      if (sessionId !== undefined) found.push({ sessionId, revokedAtMs: Number(at) });
    }
    return found;
  }

  async recordFailure(key: string, nowMs: number, windowMs: number): Promise<FailureCount> {
    const [count, resetAtMs] = (await this.redis.eval(
      RECORD_FAILURE,
      1,
      this.failureKey(key),
      String(nowMs),
      String(windowMs),
    )) as [number, number];
    return { count: Number(count), resetAtMs: Number(resetAtMs) };
  }

  async failures(key: string): Promise<FailureCount | undefined> {
    const [count, resetAtMs] = await this.redis.hmget(this.failureKey(key), 'count', 'resetAtMs');
    if (count === null || resetAtMs === null) return undefined;
    return { count: Number(count), resetAtMs: Number(resetAtMs) };
  }

  async clearFailures(key: string): Promise<void> {
    await this.redis.del(this.failureKey(key));
  }

  /** A hash {count, resetAtMs}; `fail:` keys of earlier versions were strings and expire alone. */
  private failureKey(key: string): string {
    return `${this.prefix}failures:${key}`;
  }

  async ping(): Promise<void> {
    await this.redis.ping();
  }

  async onApplicationShutdown(): Promise<void> {
    await this.redis.quit().catch(() => this.redis.disconnect());
  }
}
