import { describe, expect, it } from '@jest/globals';
import { createRootLogger, moduleOfRoute, REDACTED_PATHS } from './logger';

function capture(level = 'info' as const) {
  const lines: Array<Record<string, unknown>> = [];
  const logger = createRootLogger({ logLevel: level, logFormat: 'json' }, 'cleave-test', {
    write: (line: string) => void lines.push(JSON.parse(line) as Record<string, unknown>),
  });
  return { logger, lines };
}

describe('the root logger', () => {
  it('writes JSON lines naming the service, and redacts credentials, tokens, cookies and bodies at the top level and where HTTP objects and payloads keep them', () => {
    const { logger, lines } = capture();
    logger.info(
      {
        password: 'hunter2-secret',
        authorization: 'Bearer abc.def.ghi',
        headers: { authorization: 'Bearer abc.def.ghi', cookie: 'sid=1', 'set-cookie': 'sid=2' },
        req: { body: { email: 'a@b.co', password: 'hunter2-secret' } },
        tokens: { accessToken: 'at-secret', refreshToken: 'rt-secret' },
        user: {
          newPassword: 'np-secret',
          currentPassword: 'cp-secret',
          passwordHash: '$argon2id$x',
        },
        kept: 'visible',
      },
      'line',
    );
    const text = JSON.stringify(lines);
    for (const secret of [
      'hunter2-secret',
      'abc.def.ghi',
      'sid=1',
      'sid=2',
      'at-secret',
      'rt-secret',
      'np-secret',
      'cp-secret',
      '$argon2id$x',
    ]) {
      expect(text).not.toContain(secret);
    }
    expect(lines[0]).toMatchObject({
      service: 'cleave-test',
      kept: 'visible',
      msg: 'line',
      password: '[redacted]',
    });
    expect(REDACTED_PATHS).toContain('req.headers.authorization');
  });

  it('honours LOG_LEVEL', () => {
    const { logger, lines } = capture('warn' as 'info');
    logger.info('dropped');
    logger.warn('kept');
    expect(lines.map((l) => l.msg)).toEqual(['kept']);
  });

  it('names the module of a route template, never a raw path', () => {
    expect(moduleOfRoute('/api/orders/:id')).toBe('order');
    expect(moduleOfRoute('/api/users/me')).toBe('user');
    expect(moduleOfRoute('/api/auth/*')).toBe('auth');
    expect(moduleOfRoute('/health')).toBe('edge');
  });
});
