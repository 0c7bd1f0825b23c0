import { describe, expect, it } from '@jest/globals';
import { ConfigError, loadConfig } from './config';

describe('loadConfig', () => {
  it('uses the documented defaults on an empty environment', () => {
    const config = loadConfig({});
    expect(config.http.port).toBe(3000);
    expect(config.modules).toEqual(['auth', 'user', 'order']);
    expect(config.bus.transport).toBe('local');
    expect(config.databases.user.dataDir).toBe('./data');
    expect(config.databases.user.url).toBeUndefined();
    expect(config.outbox.gatherMs).toBe(10);
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
    ['OUTBOX_GATHER_MS', '5000'],
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
    expect(config.http.rateLimits.perToken).toBe(1200);
    expect(config.http.rateLimits.perAddress).toBe(600);
    expect(config.http.rateLimits.authPerAddress).toBe(600);
    const off = loadConfig({
      RATE_LIMIT_PER_TOKEN_PER_MINUTE: '0',
      RATE_LIMIT_PER_ADDRESS_PER_MINUTE: '0',
    });
    expect([off.http.rateLimits.perToken, off.http.rateLimits.perAddress]).toEqual([0, 0]);
  });

  it('requires ADMIN_EMAIL and ADMIN_PASSWORD together', () => {
    expect(() => loadConfig({ ADMIN_EMAIL: 'a@example.com' })).toThrow('ADMIN_PASSWORD');
  });
});

describe('CORS_ORIGINS', () => {
  it('is off by default and reads a list of origins', () => {
    expect(loadConfig({}).http.corsOrigins).toEqual([]);
    expect(
      loadConfig({ CORS_ORIGINS: 'https://app.example.com, http://localhost:5173' }).http
        .corsOrigins,
    ).toEqual(['https://app.example.com', 'http://localhost:5173']);
  });
});

describe('TRUST_PROXY', () => {
  it('reads false, true or a list of addresses', () => {
    expect(loadConfig({}).http.trustProxy).toBe(false);
    expect(loadConfig({ TRUST_PROXY: 'true' }).http.trustProxy).toBe(true);
    expect(loadConfig({ TRUST_PROXY: '10.0.0.0/8, 127.0.0.1' }).http.trustProxy).toEqual([
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
      expect(loadConfig({ MODULES: 'order', TRANSPORT: 'nats' }).modules).toEqual(['order']);
    });

    it('the auth module in memory with TRANSPORT=nats', () => {
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
      expect(ok.gateway.upstreams).toEqual({
        auth: 'http://a:3000',
        user: 'http://u:3000',
        order: 'http://o:3000',
      });
    });
  });
});

describe('the groups', () => {
  it('give each part the variables it is for, under their own names', () => {
    const config = loadConfig({
      MODULES: 'order',
      TRANSPORT: 'nats',
      NATS_URL: 'nats://bus:4222',
      BUS_TIMEOUT_MS: '2500',
      ORDER_DATABASE_URL: 'mongodb://db/cleave',
      DATA_DIR: '/var/cleave',
      DB_TIMEOUT_MS: '700',
      ACCESS_TOKEN_TTL_SECONDS: '300',
      OUTBOX_BACKOFF_BASE_MS: '50',
      OUTBOX_BACKOFF_MAX_MS: '5000',
      OUTBOX_GATHER_MS: '0',
      RATE_LIMIT_PER_TOKEN_PER_MINUTE: '10',
      ADMIN_EMAIL: 'admin@example.com',
      ADMIN_PASSWORD: 'correct-horse-1',
    });
    expect(config.bus).toMatchObject({
      transport: 'nats',
      timeoutMs: 2500,
      source: 'order',
      nats: {
        url: 'nats://bus:4222',
        backoff: { baseMs: 50, maxMs: 5000 },
        broadcastReplayMs: 360_000,
      },
    });
    expect(config.databases.order).toEqual({
      url: 'mongodb://db/cleave',
      dataDir: '/var/cleave',
      timeoutMs: 700,
    });
    expect(config.databases.auth.url).toBeUndefined();
    expect(config.outbox.backoff).toEqual({ baseMs: 50, maxMs: 5000 });
    expect(config.outbox.gatherMs).toBe(0);
    expect(config.tokens).toMatchObject({ accessTtlSeconds: 300, verifiedHere: true });
    expect(config.http.rateLimits.perToken).toBe(10);
    expect(config.admin).toEqual({ email: 'admin@example.com', password: 'correct-horse-1' });
    expect(config.observability.serviceName).toBe('cleave-order');
  });

  it('derive how long an access token is accepted once: its lifetime and a minute, which the NATS broadcast replay spans', () => {
    const config = loadConfig({ ACCESS_TOKEN_TTL_SECONDS: '300' });
    expect(config.tokens.acceptedAgeSeconds).toBe(360);
    expect(config.bus.nats.broadcastReplayMs).toBe(360_000);
  });

  it('are read-only, all the way down', () => {
    const config = loadConfig({ CORS_ORIGINS: 'https://app.example.com' });
    expect(Object.isFrozen(config)).toBe(true);
    expect(Object.isFrozen(config.bus.nats.backoff)).toBe(true);
    expect(Object.isFrozen(config.http.corsOrigins)).toBe(true);
  });

  it('give the gateway no bus and no token checks, whatever TRANSPORT says', () => {
    const config = loadConfig({
      MODULES: 'gateway',
      TRANSPORT: 'nats',
      GATEWAY_UPSTREAMS: 'auth=http://a:3000,user=http://u:3000,order=http://o:3000',
      OTEL_SERVICE_NAME: 'edge',
    });
    expect(config.bus.transport).toBe('local');
    expect(config.tokens.verifiedHere).toBe(false);
    expect(config.observability.serviceName).toBe('edge');
  });

  it('take the OTLP encodings the trace exporter speaks, and refuse gRPC with the port to use', () => {
    expect(() => loadConfig({ OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json' })).not.toThrow();
    expect(() => loadConfig({ OTEL_EXPORTER_OTLP_TRACES_PROTOCOL: 'http/protobuf' })).not.toThrow();
    expect(() => loadConfig({ OTEL_EXPORTER_OTLP_PROTOCOL: 'grpc' })).toThrow(
      /OTEL_EXPORTER_OTLP_PROTOCOL: must be http\/protobuf or http\/json: .*4318/,
    );
    expect(() => loadConfig({ OTEL_EXPORTER_OTLP_TRACES_PROTOCOL: 'http/xml' })).toThrow(
      /OTEL_EXPORTER_OTLP_TRACES_PROTOCOL: must be http\/protobuf or http\/json/,
    );
  });

  it('are made only from a valid environment: every bad variable is named at once', () => {
    expect(() => loadConfig({ PORT: 'eighty', OUTBOX_POLL_MS: '1' })).toThrow(
      /PORT: .*\n {2}OUTBOX_POLL_MS: /,
    );
  });
});
