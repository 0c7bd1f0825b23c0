#!/usr/bin/env node
// `npm run start:split`: the split shape on this machine. One process per module (auth, user,
// order) with TRANSPORT=nats, and the gateway in front on PORT (default 3000), all on loopback.
// Every other setting comes from the environment as for `npm start`; the auth module needs
// Redis here (AUTH_REDIS_URL, default redis://127.0.0.1:6379) and the bus NATS (NATS_URL,
// default nats://127.0.0.1:4222). Ctrl-C (or SIGTERM) stops them all.
'use strict';
const { spawn } = require('node:child_process');
const net = require('node:net');
const path = require('node:path');

const MAIN = path.join(__dirname, '..', 'dist', 'main.js');
const HOST = '127.0.0.1';
const children = [];
let stopping = false;

function freePort() {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(0, HOST, () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}

function start(name, env) {
  const child = spawn(process.execPath, [MAIN], { env: { ...process.env, ...env }, stdio: 'inherit' });
  children.push({ name, child });
  child.once('exit', (code, signal) => {
    if (stopping) return;
    process.stderr.write(`[split] ${name} exited (${signal ?? code}); stopping the others\n`);
    stop(1);
  });
  return child;
}

async function waitReady(name, port, deadlineMs = 60_000) {
  const deadline = Date.now() + deadlineMs;
  while (Date.now() < deadline) {
    const ok = await fetch(`http://${HOST}:${port}/ready`).then((r) => r.ok, () => false);
    if (ok) return;
    if (stopping) return;
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  throw new Error(`${name} was not ready within ${deadlineMs} ms`);
}

function stop(code) {
  if (stopping) return;
  stopping = true;
  const alive = children.filter(({ child }) => child.exitCode === null && child.signalCode === null);
  for (const { child } of alive) child.kill('SIGTERM');
  const kill = setTimeout(() => alive.forEach(({ child }) => child.kill('SIGKILL')), 15_000);
  Promise.all(alive.map(({ child }) => new Promise((resolve) => child.once('exit', resolve)))).then(() => {
    clearTimeout(kill);
    process.exit(code);
  });
}

async function main() {
  const common = {
    TRANSPORT: 'nats',
    HOST,
    AUTH_REDIS_URL: process.env.AUTH_REDIS_URL || 'redis://127.0.0.1:6379',
  };
  const ports = {};
  for (const module of ['auth', 'user', 'order']) {
    ports[module] = await freePort();
    start(module, { ...common, MODULES: module, PORT: String(ports[module]) });
  }
  await Promise.all(Object.entries(ports).map(([module, port]) => waitReady(module, port)));
  const upstreams = Object.entries(ports).map(([module, port]) => `${module}=http://${HOST}:${port}`);
  const gatewayPort = process.env.PORT || '3000';
  start('gateway', { ...common, MODULES: 'gateway', PORT: gatewayPort, GATEWAY_UPSTREAMS: upstreams.join(',') });
  await waitReady('gateway', gatewayPort);
  process.stdout.write(`[split] gateway on http://${HOST}:${gatewayPort} -> ${upstreams.join(', ')}\n`);
}

for (const signal of ['SIGINT', 'SIGTERM']) process.on(signal, () => stop(0));
main().catch((error) => {
  process.stderr.write(`[split] ${error.message}\n`);
  stop(1);
});
