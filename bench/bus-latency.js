'use strict';

/**
 * One cross-module request (the account check the order module makes) measured in-process,
 * sequentially: a direct call of the user module's handler (baseline), the bus on the local
 * transport, and the bus on NATS (request/reply over loopback). Each app is the built one
 * (dist/), on the bench's Postgres; the NATS one keeps sessions in Redis as it must.
 */
const path = require('node:path');

const ROOT = path.resolve(__dirname, '..');

function percentiles(samplesNs) {
  const sorted = [...samplesNs].sort((a, b) => a - b);
  const at = (p) =>
    sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] / 1000;
  return {
    p50Us: at(50),
    p99Us: at(99),
    meanUs: sorted.reduce((a, b) => a + b, 0) / sorted.length / 1000,
  };
}

async function timeSequential(calls, fn) {
  for (let i = 0; i < Math.min(500, calls); i++) await fn(); // warm-up
  const samples = new Array(calls);
  for (let i = 0; i < calls; i++) {
    const started = process.hrtime.bigint();
    await fn();
    samples[i] = Number(process.hrtime.bigint() - started);
  }
  return percentiles(samples);
}

/** `env`: the app's environment (databases, data dir). Returns the three measurements. */
async function busLatency({ env, userId, calls = 10_000, natsUrl, redisUrl, namespace, log }) {
  const { createApp } = require(path.join(ROOT, 'dist', 'app.js'));
  const { loadConfig } = require(path.join(ROOT, 'dist', 'shared', 'config', 'config.js'));
  const { Bus } = require(path.join(ROOT, 'dist', 'shared', 'bus', 'bus.js'));
  const { UserMessagesController } = require(
    path.join(ROOT, 'dist', 'modules', 'user', 'user-messages.controller.js'),
  );
  const results = {};
  const shapes = [
    ['local', { ...env, TRANSPORT: 'local' }],
    [
      'nats',
      {
        ...env,
        TRANSPORT: 'nats',
        NATS_URL: natsUrl,
        NATS_NAMESPACE: namespace,
        AUTH_REDIS_URL: redisUrl,
      },
    ],
  ];
  for (const [transport, appEnv] of shapes) {
    const app = await createApp(loadConfig({ ...appEnv, LOG_LEVEL: 'silent' }));
    try {
      await app.init();
      const bus = app.get(Bus);
      const handler = app.get(UserMessagesController);
      // A real account: the check reads it from the database each time.
      const payload = { userId };
      if (transport === 'local') {
        log(`bus latency: direct handler call, ${calls} sequential calls`);
        results.direct = await timeSequential(calls, () => handler.checkAccount(payload));
      }
      log(`bus latency: bus.request over ${transport}, ${calls} sequential calls`);
      results[transport] = await timeSequential(calls, () =>
        bus.request('user.check-account', payload),
      );
    } finally {
      await app.close();
    }
  }
  return results;
}

module.exports = { busLatency };
