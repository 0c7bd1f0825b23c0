import { generateKeyPairSync } from 'node:crypto';
import { afterAll, beforeAll, expect, it, jest } from '@jest/globals';
import { describeOrSkip, itOrSkip } from '../../support/skip';
import { ADMIN } from '../../support/app';
import {
  buildImage,
  Container,
  containerEngine,
  createVolume,
  describeEnd,
} from '../../support/container';
import type { ContainerConstraints } from '../../support/chart';
import { eventually } from '../../support/api';
import {
  call,
  constantLoad,
  expectExactSummary,
  mixedBurst,
  signUp,
} from '../../support/http-client';
import { availableServices } from '../../support/services';
import { apiSmoke } from '../../support/smoke';
import { renderedOneProcess, renderedSplit, startRendered } from '../../support/rendered-split';
import { MEMORY_NEEDS_MIB } from '../../../src/memory-check';
import { splitEnvironment } from '../../support/split';
import { launchSplit } from '../../../src/launcher/split';

jest.setTimeout(25 * 60_000);

const available = availableServices();
const DRAIN_MS = 1500;
const TIMEOUT_MS = 10_000;
const ORDER = {
  currency: 'EUR',
  items: [{ sku: 'IMG-1', name: 'Widget', quantity: 3, unitPriceCents: 700 }],
};

/** The load every container must hold through within its limits. */
const BURST = { clients: 16, durationMs: 20_000 };

/** What the default values render, on a free port, with the tests' admin and short drains. */
const oneProcess = () =>
  renderedOneProcess({
    'secrets.ADMIN_EMAIL': ADMIN.email,
    'secrets.ADMIN_PASSWORD': ADMIN.password,
    'config.SHUTDOWN_DRAIN_MS': String(DRAIN_MS),
    'config.SHUTDOWN_TIMEOUT_MS': String(TIMEOUT_MS),
  });

/** Running, never killed, its peak under the limit; the figures printed for the closing note. */
async function expectWithinLimits(
  container: Container,
  label: string,
  constraints: ContainerConstraints,
  requests: number,
): Promise<void> {
  const state = await container.state();
  expect({ label, ...state }).toEqual({ label, running: true, exitCode: 0, oomKilled: false });
  const peak = await container.peakMemoryBytes();
  const limit = constraints.memoryBytes;
  const mib = (bytes: number) => `${Math.round(bytes / 2 ** 20)} MiB`;
  process.stdout.write(
    `[image] ${label}: peak ${mib(peak)} of a ${limit ? mib(limit) : 'unset'} limit (cpu ${constraints.cpus ?? 'unset'}) after ${requests} requests\n`,
  );
  expect(limit).toBeDefined();
  expect(peak).toBeLessThan(limit!);
}

/**
 * The image as users run it (`docker run`), built from this checkout once per run: the whole
 * system on embedded defaults, read-only but for its volume, as uid 1000; and the split shape,
 * one container per module on NATS behind the gateway container.
 */
describeOrSkip(
  'the container image',
  available.has('container') ? false : 'no container engine (see the [skip] line above)',
  () => {
    const cleanups: Array<() => Promise<void>> = [];
    beforeAll(async () => {
      const { ms } = await buildImage();
      process.stdout.write(`[image] ${containerEngine()} build took ${ms} ms\n`);
    });
    afterAll(async () => {
      for (const cleanup of cleanups.reverse()) await cleanup().catch(() => undefined);
    });

    it('one process as `helm install` renders it by default: within its limits (memory, CPU, uid, read-only root) it starts, serves the smoke journey and a burst of writes and is never killed; only /data is written; it survives a restart and stops gracefully', async () => {
      const rendered = await oneProcess();
      const volume = await createVolume();
      cleanups.push(() => volume.remove());
      const container = await Container.start(rendered.env, rendered.port, {
        volume: volume.name,
        constraints: rendered.constraints,
        command: rendered.command,
      });
      cleanups.push(() => container.remove());
      const readyMs = await container.waitReady();
      process.stdout.write(`[image] one process: /ready answered 200 ${readyMs} ms after start\n`);
      expect((await fetch(`${container.url}/health`)).status).toBe(200);
      await apiSmoke(container.url);
      const burst = await mixedBurst(container.url, BURST);
      expect(burst.failures).toEqual([]);
      await expectWithinLimits(container, 'one process', rendered.constraints, burst.sent);

      // Who runs it, and where it may write.
      expect((await container.exec(['id', '-u'])).output).toBe('1000');
      const write = (path: string) =>
        container.exec(['node', '-e', `require('fs').writeFileSync(${JSON.stringify(path)}, 'x')`]);
      expect((await write('/data/probe')).code).toBe(0);
      for (const outside of ['/app/probe', '/tmp/probe', '/home/node/probe']) {
        const attempt = await write(outside);
        expect({ outside, code: attempt.code }).not.toEqual({ outside, code: 0 });
        expect(attempt.output).toMatch(/EROFS|EACCES/);
      }

      const account = await signUp(container.url);
      const client = { url: container.url, token: account.token };
      const placed = await call(client, 'POST', '/api/orders', ORDER);
      expect(placed.status).toBe(201);

      // `docker stop` under constant load: exit 0 within drain + timeout, no accepted request fails.
      const load = constantLoad(client);
      let created: string[];
      try {
        await load.warmedUp();
        const signalled = Date.now();
        await container.stop(Math.ceil((DRAIN_MS + TIMEOUT_MS) / 1000) + 10);
        const took = Date.now() - signalled;
        await load.stop();
        process.stdout.write(`[image] stop took ${took} ms (drain ${DRAIN_MS} ms)\n`);
        expect(await container.inspect('{{.State.ExitCode}}')).toBe('0');
        expect(took).toBeLessThan(DRAIN_MS + TIMEOUT_MS);
        const answered = load.outcomes.filter((o) => o.status !== undefined);
        for (const outcome of answered) expect([201, 503]).toContain(outcome.status);
        created = load.created();
      } finally {
        await load.stop();
      }

      // The same container again, on the same volume: the account and every order are there.
      await container.restart();
      await container.waitReady();
      const again = await fetch(`${container.url}/api/auth/login`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ email: account.email, password: account.password }),
      });
      expect(again.status).toBe(200);
      const { accessToken } = (await again.json()) as { accessToken: string };
      const restarted = { url: container.url, token: accessToken };
      const first = await call(restarted, 'GET', `/api/orders/${String(placed.json.id)}`);
      expect(first.json).toMatchObject({ id: placed.json.id, totalCents: 2100 });
      await expectExactSummary(restarted, [String(placed.json.id), ...created], 20_000);
    });

    itOrSkip(
      'split shape from the same image: gateway, auth, user and order containers on NATS pass the API smoke suite',
      ['postgres', 'redis', 'nats'].every((s) => available.has(s))
        ? false
        : 'needs postgres, redis and nats',
      async () => {
        const environment = await splitEnvironment({
          // The container's own volume, not the host's directory.
          DATA_DIR: '/data',
          AUTH_SIGNING_KEY: JSON.stringify(
            generateKeyPairSync('ed25519').privateKey.export({ format: 'jwk' }),
          ),
        });
        cleanups.push(() => environment.cleanup());
        // The launcher npm run start:split uses, with a container per process.
        const shape = await launchSplit<Container>({
          env: environment.env,
          start: async (_name, env) => {
            const container = await Container.start(env, Number(env.PORT));
            cleanups.push(() => container.remove());
            await container.waitReady();
            return container;
          },
        });
        await apiSmoke(shape.url);
      },
    );

    itOrSkip(
      'the split shape as the Helm chart renders it runs from the image',
      ['helm', 'postgres', 'redis', 'nats'].every((s) => available.has(s))
        ? false
        : 'needs helm, postgres, redis and nats',
      async () => {
        const rendered = await renderedSplit();
        cleanups.push(() => rendered.cleanup());
        const started = new Map<string, Container>();
        const start = async (deployment: (typeof rendered.deployments)[number]) => {
          // The environment, command and limits the chart gives the pod, on the host's loopback
          // instead of a Service.
          const container = await Container.start(
            { ...deployment.env, HOST: '127.0.0.1' },
            deployment.port,
            { constraints: deployment.constraints, command: deployment.command },
          );
          cleanups.push(() => container.remove());
          started.set(deployment.name, container);
          await container.waitReady();
          return container;
        };
        const gateway = await startRendered(rendered.deployments, start);
        await apiSmoke(gateway.url);
        const burst = await mixedBurst(gateway.url, BURST);
        expect(burst.failures).toEqual([]);
        for (const deployment of rendered.deployments) {
          await expectWithinLimits(
            started.get(deployment.name)!,
            deployment.name,
            deployment.constraints,
            burst.sent,
          );
        }
      },
    );

    it('a memory limit below the measured peak is caught: the container is killed at its limit, and said to be', async () => {
      const rendered = await oneProcess();
      const memoryBytes = (MEMORY_NEEDS_MIB.embedded.peak / 2) * 2 ** 20;
      const run = async (): Promise<string> => {
        const container = await Container.start(
          { ...rendered.env, MEMORY_CHECK: 'off' },
          rendered.port,
          { constraints: { ...rendered.constraints, memoryBytes }, command: rendered.command },
        );
        cleanups.push(() => container.remove());
        // It dies while starting or under the burst; either way the run must notice and say how.
        const reached = await container
          .waitReady()
          .then(() => mixedBurst(container.url, BURST))
          .then(
            () => 'the burst',
            (error: Error) => error.message.split('\n')[0],
          );
        await eventually(async () => expect((await container.state()).running).toBe(false), 30_000);
        const end = describeEnd(await container.state());
        process.stdout.write(
          `[image] limit ${memoryBytes / 2 ** 20} MiB: ${reached}; the container ${end}\n`,
        );
        return end;
      };
      // On this host V8 sometimes dies of SIGSEGV (exit 139) starting under the limit, with no
      // OOM kill in the kernel's log: a crash of the runtime under memory pressure, not a way
      // the limit goes unnoticed. It did in 1 of 4 starts by hand, and twice in a row in one CI
      // run. So up to five starts, until one ends otherwise; that end must be the kill, named.
      let end = await run();
      for (let start = 2; start <= 5 && end === 'exited with code 139'; start++) end = await run();
      expect(end).toMatch(/^was killed at its memory limit \(OOMKilled/);
    });

    it('refuses to start, saying how much memory it needs, where the limit leaves too little to start (before it could be killed)', async () => {
      const rendered = await oneProcess();
      const memoryBytes = (MEMORY_NEEDS_MIB.embedded.start / 2) * 2 ** 20;
      const container = await Container.start(rendered.env, rendered.port, {
        constraints: { ...rendered.constraints, memoryBytes },
        command: rendered.command,
      });
      cleanups.push(() => container.remove());
      await eventually(async () => expect((await container.state()).running).toBe(false), 60_000);
      expect(await container.state()).toMatchObject({ exitCode: 1, oomKilled: false });
      expect(await container.logs()).toContain(
        `cleave cannot start: cleave needs about ${MEMORY_NEEDS_MIB.embedded.start} MiB to start`,
      );
    });
  },
);
