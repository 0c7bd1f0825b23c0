import { readdirSync, readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { afterAll, expect, it, jest } from '@jest/globals';
import { describeOrSkip } from '../../support/skip';
import { join } from 'node:path';
import { isPortTaken, ManagedProcess } from '../../../src/launcher/managed-process';
import { ADMIN } from '../../support/app';
import { dropNatsNamespace, natsNamespace } from '../../support/nats';
import { AppProcess } from '../../support/process';
import { availableServices, SERVICES } from '../../support/services';
import { COMPILED, MAIN } from '../../support/paths';

jest.setTimeout(120_000);

/**
 * The launcher as `npm run start:split` runs it: compiled, with the application's entry point
 * (`main.js`) beside it, which is what its default start spawns.
 */
// eslint-disable-next-line @typescript-eslint/no-require-imports -- the compiled file, on purpose
const { launchSplit } = require(
  join(COMPILED, 'launcher', 'split.js'),
) as typeof import('../../../src/launcher/split');

const missing = ['postgres', 'redis', 'nats'].filter((s) => !availableServices().has(s));

/** PIDs of the processes whose environment has `NATS_NAMESPACE=namespace` (Linux /proc). */
function processesOf(namespace: string): number[] {
  return readdirSync('/proc')
    .filter((entry) => /^\d+$/.test(entry))
    .filter((pid) => {
      try {
        return readFileSync(`/proc/${pid}/environ`, 'utf8')
          .split('\0')
          .includes(`NATS_NAMESPACE=${namespace}`);
      } catch {
        return false; // gone, or not ours to read
      }
    })
    .map(Number);
}

/**
 * The launcher `npm run start:split`, the bench and the tests share: it brings the split shape
 * up as one system, or leaves nothing running.
 */
describeOrSkip(
  'the split launcher',
  missing.length > 0 ? `needs ${missing.join(', ')}` : false,
  () => {
    const cleanups: Array<() => Promise<void>> = [];
    afterAll(async () => {
      for (const cleanup of cleanups.reverse()) await cleanup().catch(() => undefined);
    });

    const environment = async () => {
      const data = await AppProcess.prepare('postgres');
      cleanups.push(() => data.cleanup());
      const namespace = natsNamespace();
      cleanups.push(() => dropNatsNamespace(SERVICES.nats, namespace));
      return {
        namespace,
        env: {
          PATH: process.env.PATH ?? '',
          ...data.env,
          NATS_URL: SERVICES.nats,
          NATS_NAMESPACE: namespace,
          AUTH_REDIS_URL: SERVICES.redis,
          ADMIN_EMAIL: ADMIN.email,
          ADMIN_PASSWORD: ADMIN.password,
          LOG_LEVEL: 'warn',
        },
      };
    };

    it('starts the modules, then the gateway in front of them; stops every process by PID', async () => {
      const { env, namespace } = await environment();
      const shape = await launchSplit({ env, output: () => 'ignore' });
      cleanups.push(() => Promise.all(shape.all().map((p) => p.kill())).then(() => undefined));
      expect(processesOf(namespace).sort()).toEqual(
        shape
          .all()
          .map((p) => p.pid)
          .sort(),
      );
      const ready = await (await fetch(`${shape.url}/ready`)).json();
      expect(ready).toMatchObject({ status: 'ok' });
      for (const module of ['auth', 'user', 'order'] as const) {
        expect(shape.modules[module].env).toMatchObject({ MODULES: module, TRANSPORT: 'nats' });
      }
      expect(shape.gateway.env.GATEWAY_UPSTREAMS).toBe(
        `auth=${shape.modules.auth.url},user=${shape.modules.user.url},order=${shape.modules.order.url}`,
      );
      await Promise.all(shape.all().map((p) => p.stop(15_000)));
      expect(shape.all().map((p) => p.running)).toEqual([false, false, false, false]);
      expect(processesOf(namespace)).toEqual([]);
    });

    it('starts a module again on another port when another process took its port first, never taking that one for it', async () => {
      const { env, namespace } = await environment();
      const started: ManagedProcess[] = [];
      cleanups.push(() => Promise.all(started.map((p) => p.kill())).then(() => undefined));
      // What another launcher's ready process looks like on the port chosen for the user module:
      // it answers 200 to everything, and listens before the user module does.
      let squatter: { server: Server; port: number; error?: unknown } | undefined;
      cleanups.push(
        () =>
          new Promise<void>((resolve) =>
            squatter ? squatter.server.close(() => resolve()) : resolve(),
          ),
      );
      const shape = await launchSplit({
        env,
        start: async (name, processEnv) => {
          if (name === 'user' && !squatter) {
            const server = createServer((_req, res) => res.end('{"status":"ok"}'));
            await new Promise<void>((resolve) =>
              server.listen(Number(processEnv.PORT), '127.0.0.1', resolve),
            );
            squatter = { server, port: Number(processEnv.PORT) };
          }
          const process = ManagedProcess.spawn({ label: name, env: processEnv, entry: MAIN });
          started.push(process);
          try {
            await process.waitReady(`http://127.0.0.1:${processEnv.PORT}/ready`);
          } catch (error) {
            if (name === 'user' && squatter && squatter.error === undefined) squatter.error = error;
            await process.kill();
            throw error;
          }
          return process;
        },
      });
      cleanups.push(() => Promise.all(shape.all().map((p) => p.kill())).then(() => undefined));
      expect(isPortTaken(squatter?.error)).toBe(true);
      expect(String(squatter?.error)).toContain(`port ${squatter?.port}: another process holds it`);
      expect(shape.modules.user.port).not.toBe(squatter?.port);
      expect(shape.gateway.env.GATEWAY_UPSTREAMS).toContain(`user=${shape.modules.user.url}`);
      // The user module is the real one, and the system works through it.
      const ready = await (await fetch(`${shape.modules.user.url}/ready`)).json();
      expect(ready).toMatchObject({ status: 'ok', checks: { 'user-db': { status: 'up' } } });
      const signUp = await fetch(`${shape.url}/api/users`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({
          email: 'squat@example.com',
          password: 'correct-horse-1',
          name: 'S',
        }),
      });
      expect(signUp.status).toBe(201);
      // Only the four processes of the shape are left (the first user module exited).
      expect(processesOf(namespace).sort()).toEqual(
        shape
          .all()
          .map((p) => p.pid)
          .sort(),
      );
    });

    it('leaves nothing running when a process does not come up', async () => {
      const { env, namespace } = await environment();
      const started: ManagedProcess[] = [];
      cleanups.push(() => Promise.all(started.map((p) => p.kill())).then(() => undefined));
      const failing = launchSplit({
        env,
        // auth and user come up; order never does.
        start: async (name, processEnv) => {
          if (name === 'order') throw new Error('order did not come up');
          const process = ManagedProcess.spawn({ label: name, env: processEnv, entry: MAIN });
          started.push(process);
          await process.waitReady(`http://127.0.0.1:${processEnv.PORT}/ready`);
          return process;
        },
      });
      await expect(failing).rejects.toThrow('order did not come up');
      expect(started.map((p) => p.label).sort()).toEqual(['auth', 'user']);
      expect(started.map((p) => p.running)).toEqual([false, false]);
      expect(processesOf(namespace)).toEqual([]);
    });
  },
);
