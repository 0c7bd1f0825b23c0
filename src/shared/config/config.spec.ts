import { describe, expect, it } from '@jest/globals';
import { ConfigError, loadConfig } from './config';

describe('loadConfig', () => {
  it('uses the documented defaults on an empty environment', () => {
    const config = loadConfig({});
    expect(config.PORT).toBe(3000);
    expect(config.MODULES).toEqual(['auth', 'user', 'order']);
    expect(config.TRANSPORT).toBe('local');
    expect(config.DATA_DIR).toBe('./data');
    expect(config.USER_DATABASE_URL).toBeUndefined();
  });

  for (const [name, value] of [
    ['PORT', 'eighty'],
    ['MODULES', 'auth,billing'],
    ['TRANSPORT', 'carrier-pigeon'],
    ['USER_DATABASE_URL', 'mysql://localhost/x'],
    ['ORDER_DATABASE_URL', 'not a url'],
    ['ADMIN_EMAIL', 'nobody'],
    ['LOG_LEVEL', 'loud'],
    ['ACCESS_TOKEN_TTL_SECONDS', '3600'],
    ['ARGON2_MEMORY_KIB', '1024'],
    ['RATE_LIMIT_PER_TOKEN_PER_MINUTE', '-1'],
    ['RATE_LIMIT_PER_ADDRESS_PER_MINUTE', 'lots'],
    ['AUTH_RATE_LIMIT_PER_MINUTE', '0'],
    ['CORS_ORIGINS', 'https://app.example.com/path'],
    ['CORS_ORIGINS', '*'],
    ['CORS_ORIGINS', 'app.example.com'],
  ]) {
    it(`rejects a bad ${name} and names it`, () => {
      expect(() => loadConfig({ [name]: value })).toThrow(ConfigError);
      expect(() => loadConfig({ [name]: value })).toThrow(name);
    });
  }

  it('limits every /api route by default, generously, and takes 0 as off', () => {
    const config = loadConfig({});
    expect(config.RATE_LIMIT_PER_TOKEN_PER_MINUTE).toBe(1200);
    expect(config.RATE_LIMIT_PER_ADDRESS_PER_MINUTE).toBe(600);
    expect(config.AUTH_RATE_LIMIT_PER_MINUTE).toBe(600);
    const off = loadConfig({
      RATE_LIMIT_PER_TOKEN_PER_MINUTE: '0',
      RATE_LIMIT_PER_ADDRESS_PER_MINUTE: '0',
    });
    expect([off.RATE_LIMIT_PER_TOKEN_PER_MINUTE, off.RATE_LIMIT_PER_ADDRESS_PER_MINUTE]).toEqual([
      0, 0,
    ]);
  });

  it('requires ADMIN_EMAIL and ADMIN_PASSWORD together', () => {
    expect(() => loadConfig({ ADMIN_EMAIL: 'a@example.com' })).toThrow('ADMIN_PASSWORD');
  });
});

describe('CORS_ORIGINS', () => {
  it('is off by default and reads a list of origins', () => {
    expect(loadConfig({}).CORS_ORIGINS).toEqual([]);
    expect(
      loadConfig({ CORS_ORIGINS: 'https://app.example.com, http://localhost:5173' }).CORS_ORIGINS,
    ).toEqual(['https://app.example.com', 'http://localhost:5173']);
  });
});

describe('TRUST_PROXY', () => {
  it('reads false, true or a list of addresses', () => {
    expect(loadConfig({}).TRUST_PROXY).toBe(false);
    expect(loadConfig({ TRUST_PROXY: 'true' }).TRUST_PROXY).toBe(true);
    expect(loadConfig({ TRUST_PROXY: '10.0.0.0/8, 127.0.0.1' }).TRUST_PROXY).toEqual([
      '10.0.0.0/8',
      '127.0.0.1',
    ]);
  });

  describe('refuses module sets that cannot work, saying why', () => {
    const refused = (env: Record<string, string>, message: RegExp) => {
      expect(() => loadConfig(env)).toThrow(ConfigError);
      expect(() => loadConfig(env)).toThrow(message);
    };

    it('a module without the modules it asks, on the local transport', () => {
      refused(
        { MODULES: 'order' },
        /MODULES: order needs user and auth over the bus; with TRANSPORT=local/,
      );
      expect(loadConfig({ MODULES: 'order', TRANSPORT: 'nats' }).MODULES).toEqual(['order']);
    });

    it('the in-memory auth store with TRANSPORT=nats', () => {
      refused({ MODULES: 'auth', TRANSPORT: 'nats' }, /AUTH_REDIS_URL: with TRANSPORT=nats/);
      expect(() =>
        loadConfig({
          MODULES: 'auth',
          TRANSPORT: 'nats',
          AUTH_REDIS_URL: 'redis://127.0.0.1:6379',
        }),
      ).not.toThrow();
    });

    it('a gateway without its upstreams, or beside other modules', () => {
      refused(
        { MODULES: 'gateway', GATEWAY_UPSTREAMS: 'auth=http://a:1' },
        /needs an upstream for user, order/,
      );
      refused({ MODULES: 'gateway,order', TRANSPORT: 'nats' }, /the gateway runs alone/);
      refused(
        { MODULES: 'gateway', GATEWAY_UPSTREAMS: 'billing=http://b:1' },
        /is not <auth\|user\|order>=http/,
      );
      const ok = loadConfig({
        MODULES: 'gateway',
        GATEWAY_UPSTREAMS: 'auth=http://a:3000,user=http://u:3000/,order=http://o:3000',
      });
      expect(ok.GATEWAY_UPSTREAMS).toEqual({
        auth: 'http://a:3000',
        user: 'http://u:3000',
        order: 'http://o:3000',
      });
    });
  });
});
