import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, expect, it, jest } from '@jest/globals';
import { call, expectExactSummary, signUp } from '../../support/http-client';
import { previousRelease } from '../../support/previous-release';
import { AppProcess } from '../../support/process';
import { missingServices } from '../../support/services';
import { describeOrSkip } from '../../support/skip';

jest.setTimeout(300_000);

const ORDER = {
  currency: 'EUR',
  items: [{ sku: 'UP-1', name: 'Widget', quantity: 3, unitPriceCents: 250 }],
};

/**
 * The default install upgraded in place: the previous release ran on embedded storage (one
 * Postgres instance per module, under DATA_DIR/user and DATA_DIR/order); this release keeps one
 * instance for every module (DATA_DIR/postgres) and, at its first start on such a directory,
 * copies each module's data in. Nothing a client was told was stored may be missing after.
 */
describeOrSkip(
  'upgrading the one-process default install from the previous release',
  missingServices('release'),
  () => {
    const previous = previousRelease();
    let dataDir = '';
    const running: AppProcess[] = [];
    afterAll(async () => {
      for (const app of running) await app.kill();
      if (dataDir) await rm(dataDir, { recursive: true, force: true });
    });

    const start = async (entry?: string) => {
      const app = await AppProcess.start(
        { DATA_DIR: dataDir, LOG_LEVEL: 'info', SHUTDOWN_DRAIN_MS: '0' },
        { captureLogs: true, readyWithinMs: 180_000, ...(entry && { entry }) },
      );
      running.push(app);
      return app;
    };
    const stop = async (app: AppProcess) => {
      await app.kill('SIGTERM');
      expect(app.exitCode).toBe(0);
    };
    const said = (app: AppProcess) =>
      app.logLines.map((line) => String((JSON.parse(line) as { msg?: unknown }).msg));

    it(`keeps every account, order and summary ${previous.version} stored, and copies them once`, async () => {
      dataDir = await mkdtemp(join(tmpdir(), 'cleave-upgrade-'));
      const old = await start(previous.main);
      const users = [await signUp(old.url), await signUp(old.url)];
      const placed: string[][] = [];
      for (const user of users) {
        const client = { url: old.url, token: user.token };
        const ids: string[] = [];
        for (let i = 0; i < 3; i++) {
          const res = await call(client, 'POST', '/api/orders', ORDER);
          expect(res.status).toBe(201);
          ids.push(res.json.id as string);
        }
        expect((await call(client, 'POST', `/api/orders/${ids[0]}/cancel`)).status).toBe(200);
        await expectExactSummary(client, ids);
        placed.push(ids);
      }
      await stop(old);
      expect(existsSync(join(dataDir, 'user', 'PG_VERSION'))).toBe(true);

      const upgraded = await start();
      expect(said(upgraded).filter((l) => /^copied \d+ row\(s\)/.test(l))).toHaveLength(2);
      expect(existsSync(join(dataDir, 'user'))).toBe(false);
      expect(existsSync(join(dataDir, 'user.before-0.2.0', 'PG_VERSION'))).toBe(true);
      for (const [n, user] of users.entries()) {
        // Sessions lived in memory (the default): the accounts and their passwords did not.
        const login = await fetch(`${upgraded.url}/api/auth/login`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ email: user.email, password: user.password }),
        });
        expect(login.status).toBe(200);
        const { accessToken } = (await login.json()) as { accessToken: string };
        const client = { url: upgraded.url, token: accessToken };
        const orders = await expectExactSummary(client, placed[n]);
        expect(orders.map((o) => o.id).sort()).toEqual([...placed[n]].sort());
        expect(orders.filter((o) => o.status === 'cancelled').map((o) => o.id)).toEqual([
          placed[n][0],
        ]);
        // And it goes on: a new order, its event, the summary.
        const more = await call(client, 'POST', '/api/orders', ORDER);
        expect(more.status).toBe(201);
        await expectExactSummary(client, [...placed[n], more.json.id as string]);
      }
      await stop(upgraded);

      // Copied once: the next start finds nothing to copy.
      const again = await start();
      expect(said(again).some((l) => l.startsWith('copying the data of'))).toBe(false);
      await stop(again);
    });
  },
);
