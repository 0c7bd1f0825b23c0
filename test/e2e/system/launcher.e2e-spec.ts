import { readdirSync, readFileSync } from 'node:fs';
import { afterAll, expect, it, jest } from '@jest/globals';
import { describeOrSkip } from '../../support/skip';
import { join } from 'node:path';
import { ManagedProcess } from '../../../src/launcher/managed-process';
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
