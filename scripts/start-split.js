#!/usr/bin/env node
// `npm run start:split`: the split shape on this machine. One process per module (auth, user,
// order) with TRANSPORT=nats, and the gateway in front on PORT (default 3000), all on loopback.
// Every other setting comes from the environment as for `npm start`; the auth module needs
// Redis here (AUTH_REDIS_URL, default redis://127.0.0.1:6379) and the bus NATS (NATS_URL,
// default nats://127.0.0.1:4222). Ctrl-C (or SIGTERM) stops them all. The launcher is the one
// the bench and the tests use (src/launcher/split.ts).
'use strict';
const { launchSplit } = require('../dist/launcher/split.js');

let shape;
let stopping = false;

async function stop(code) {
  if (stopping) return;
  stopping = true;
  if (shape) await Promise.all(shape.all().map((p) => p.stop(15_000)));
  process.exit(code);
}

async function main() {
  const env = {
    ...process.env,
    AUTH_REDIS_URL: process.env.AUTH_REDIS_URL || 'redis://127.0.0.1:6379',
  };
  delete env.PORT;
  shape = await launchSplit({ env, gatewayPort: Number(process.env.PORT || 3000) });
  for (const [name, launched] of [['gateway', shape.gateway], ...Object.entries(shape.modules)]) {
    launched.process.exited.then(() => {
      if (stopping) return;
      process.stderr.write(`[split] ${name} exited (${launched.process.exitCode}); stopping the others\n`);
      void stop(1);
    });
  }
  const upstreams = Object.entries(shape.modules).map(([m, l]) => `${m}=${l.url}`);
  process.stdout.write(`[split] gateway on ${shape.url} -> ${upstreams.join(', ')}\n`);
}

for (const signal of ['SIGINT', 'SIGTERM']) process.on(signal, () => void stop(0));
main().catch((error) => {
  process.stderr.write(`[split] ${error.message}\n`);
  void stop(1);
});
