import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, expect, it, jest } from '@jest/globals';
import { describeOrSkip } from '../../support/skip';
import { AppProcess } from '../../support/process';
import { renderedSplit, startRendered } from '../../support/rendered-split';
import { availableServices } from '../../support/services';
import { apiSmoke } from '../../support/smoke';
import { NODE_ARGS } from '../../../src/launcher/managed-process';

jest.setTimeout(180_000);

const available = availableServices();
const missing = ['helm', 'postgres', 'redis', 'nats'].filter((s) => !available.has(s));

/**
 * What values-split.yaml renders really runs: one process per Deployment, each with exactly the
 * environment the chart gives its container (ConfigMap and Secret resolved, Service host names
 * mapped to loopback ports), and the API smoke journey passes through the gateway. A wrong
 * variable name, upstream or missing credential in the chart fails here.
 */
describeOrSkip(
  'the split shape as the chart renders it',
  missing.length > 0 ? `needs ${missing.join(', ')}` : false,
  () => {
    const cleanups: Array<() => Promise<void>> = [];
    afterAll(async () => {
      for (const cleanup of cleanups.reverse()) await cleanup().catch(() => undefined);
    });

    it('runs as local processes and passes the API smoke suite through the gateway', async () => {
      const rendered = await renderedSplit();
      cleanups.push(() => rendered.cleanup());
      const names = rendered.deployments.map((d) => d.name).sort();
      expect(names).toEqual(['cleave-auth', 'cleave-gateway', 'cleave-order', 'cleave-user']);
      const start = async (deployment: (typeof rendered.deployments)[number]) => {
        // The image runs `node <NODE_ARGS> dist/main.js`; here the entry point compiled for the
        // tests, which AppProcess starts with the same options.
        expect(deployment.command).toEqual(['node', ...NODE_ARGS, 'dist/main.js']);
        // What differs from a pod: loopback ports, and a directory for its emptyDir at /data.
        const dataDir = await mkdtemp(join(tmpdir(), `${deployment.name}-`));
        cleanups.push(() => rm(dataDir, { recursive: true, force: true }));
        const process = await AppProcess.start(
          {
            ...deployment.env,
            HOST: '127.0.0.1',
            PORT: String(deployment.port),
            DATA_DIR: dataDir,
          },
          { exactEnv: true, readyWithinMs: 90_000 },
        );
        cleanups.push(() => process.kill());
        return process;
      };
      const gateway = await startRendered(rendered.deployments, start);
      await apiSmoke(gateway.url);
    });
  },
);
