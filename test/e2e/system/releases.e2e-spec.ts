import { afterAll, beforeAll, describe, expect, it, jest } from '@jest/globals';
import request from 'supertest';
import type { SplitProcess } from '../../../src/launcher/split';
import { BUSINESS_MODULES, type BusinessModule } from '../../../src/shared/modules/registry';
import {
  type Account,
  bearer,
  createOrder,
  eventually,
  loginAdmin,
  orderStatus,
  setOrderStatus,
  signUpAndLogin,
} from '../../support/api';
import { expectExactSummary } from '../../support/http-client';
import {
  CURRENT_RELEASE,
  previousRelease,
  type Release,
  servedVersion,
} from '../../support/previous-release';
import { refusedEverywhere, splitServers } from '../../support/revocation';
import { missingServices, SPLIT_SERVICES } from '../../support/services';
import { describeOrSkip } from '../../support/skip';
import { apiSmoke } from '../../support/smoke';
import { type SplitApp, startSplitApp } from '../../support/split';

// Six topologies, each a split shape started, journeyed through and stopped.
jest.setTimeout(120_000);

const PROCESSES: SplitProcess[] = [...BUSINESS_MODULES, 'gateway'];

interface Topology {
  name: string;
  releases: Record<SplitProcess, Release>;
}

/**
 * One module at one release, and every other process at the other, the gateway included: the
 * gateway goes with the majority, as it would while that one module's Deployment is the only
 * one that differs (the rolling-update suite runs the gateway across releases too).
 */
function oneModuleAt(module: BusinessModule, alone: Release, rest: Release): Topology {
  return {
    name: `${module} at ${alone.version}; ${PROCESSES.filter((p) => p !== module).join(', ')} at ${rest.version}`,
    releases: Object.fromEntries(PROCESSES.map((p) => [p, p === module ? alone : rest])) as Record<
      SplitProcess,
      Release
    >,
  };
}

const skip = missingServices(...SPLIT_SERVICES, 'release');
const previous = previousRelease();
const TOPOLOGIES = (['user', 'order', 'auth'] as const).flatMap((module) => [
  oneModuleAt(module, previous, CURRENT_RELEASE),
  oneModuleAt(module, CURRENT_RELEASE, previous),
]);

/**
 * The previous release beside this one on one NATS server, in every topology where one
 * module's release differs from the rest: the API journey, and what travels on the bus between
 * them. An event one release writes and the other cannot read leaves a summary wrong or an
 * order open; a revocation one cannot read leaves a token working; a request one cannot answer
 * fails the journey.
 */
describeOrSkip(`the previous release (${previous.version}) beside this one`, skip, () => {
  describe.each(TOPOLOGIES)('$name', ({ releases }) => {
    let app: SplitApp;
    let admin: Account;
    beforeAll(async () => {
      // A NATS namespace and stores of its own (splitEnvironment), each process from its release.
      app = await startSplitApp({ LOG_LEVEL: 'error' }, { entry: (name) => releases[name].main });
      admin = await loginAdmin(app);
    });
    afterAll(() => app?.close());

    it('runs each process from its release', async () => {
      for (const name of PROCESSES) {
        const url = name === 'gateway' ? app.url : app.processes[name].url;
        expect({ name, version: await servedVersion(url) }).toEqual({
          name,
          version: releases[name].version,
        });
      }
    });

    it('passes the API smoke journey', () => apiSmoke(app.url));

    it("keeps the user's order summary exact as orders are placed, confirmed and cancelled", async () => {
      const account = await signUpAndLogin(app);
      const [confirmed, cancelled, pending] = [
        await createOrder(app, account),
        await createOrder(app, account),
        await createOrder(app, account),
      ];
      await setOrderStatus(app, admin, confirmed.id, 'confirmed');
      await request(app.url)
        .post(`/api/orders/${cancelled.id}/cancel`)
        .set(...bearer(account))
        .expect(200);
      const orders = await expectExactSummary({ url: app.url, token: account.accessToken }, [
        confirmed.id,
        cancelled.id,
        pending.id,
      ]);
      expect(orders).toHaveLength(3);
      const me = await request(app.url)
        .get('/api/users/me')
        .set(...bearer(account))
        .expect(200);
      expect((me.body as { orderSummary: unknown }).orderSummary).toEqual({ total: 3, open: 2 });
    });

    it("deleting an account cancels its open orders and refuses its token on every module's routes", async () => {
      const account = await signUpAndLogin(app);
      const pending = await createOrder(app, account);
      const confirmed = await createOrder(app, account);
      await setOrderStatus(app, admin, confirmed.id, 'confirmed');
      await request(app.url)
        .delete('/api/users/me')
        .set(...bearer(account))
        .expect(204);
      await refusedEverywhere(splitServers(app), account.accessToken);
      await eventually(async () => {
        const statuses = [pending.id, confirmed.id].map((id) => orderStatus(app, admin, id));
        expect(await Promise.all(statuses)).toEqual(['cancelled', 'cancelled']);
      }, 15_000);
    });
  });
});
