import { afterAll, expect, it, jest } from '@jest/globals';
import type { SplitProcess } from '../../../src/launcher/split';
import { BUSINESS_MODULES } from '../../../src/shared/modules/registry';
import { eventually } from '../../support/api';
import { ReadinessBalancer } from '../../support/balancer';
import { Deployment, type Step } from '../../support/deployment';
import { call, expectExactSummary } from '../../support/http-client';
import { parkedMessages } from '../../support/metrics';
import { CURRENT_RELEASE, previousRelease, type Release } from '../../support/previous-release';
import { missingServices, SPLIT_SERVICES } from '../../support/services';
import { describeOrSkip } from '../../support/skip';
import { startSplitApp } from '../../support/split';
import { signUpPool, SteadyLoad } from '../../support/steady-load';

// The file's bound. The update and the rollback start and stop 16 replicas one after the other:
// 2 to 2.5 minutes in all beside another suite on 2 cores; 6 to 7 with the machine's load average
// near 20 (each start then takes 15 to 40 s instead of 3 to 7).
jest.setTimeout(600_000);

const DRAIN_MS = 1500;
const SHUTDOWN_TIMEOUT_MS = 10_000;
const USERS = 30;
const LOAD = { concurrency: 8, pauseMs: 100 };
/** Every Deployment, rolled in this order: the modules, then the gateway in front of them. */
const DEPLOYMENTS: SplitProcess[] = [...BUSINESS_MODULES, 'gateway'];

interface Phase {
  to: string;
  ms: number;
  steps: Step[];
}

/**
 * Lost events: for each user, how far the order summary (fed by `order.created` events) is from
 * the number of orders that user got 201 for, in either direction (a lost or a doubled event).
 */
async function lostEvents(url: string, tokens: string[], created: string[][]): Promise<number> {
  let lost = 0;
  for (const [user, token] of tokens.entries()) {
    const me = await call({ url, token }, 'GET', '/api/users/me');
    const { total } = (me.json as { orderSummary: { total: number } }).orderSummary;
    lost += Math.abs(created[user].length - total);
  }
  return lost;
}

/** What the run did, for stdout: the counts, each step's duration, the first failures. */
function report(load: SteadyLoad, phases: Phase[], lost: number, parked: number): string {
  const seconds = (ms: number) => `${(ms / 1000).toFixed(1)} s`;
  const failed = load.failed();
  return [
    '',
    `[rolling] ${previous.version} → ${CURRENT_RELEASE.version} → ${previous.version}, ${USERS} users, at most ${LOAD.concurrency} requests in flight:`,
    `  requests sent ${load.sent.length}, failed ${failed.length}, lost events ${lost}, parked messages ${parked}`,
    ...phases.flatMap(({ to, ms, steps }) => [
      `  to ${to}: ${seconds(ms)}`,
      ...DEPLOYMENTS.map((name) => {
        const own = steps.filter((s) => s.deployment === name);
        return `    ${name.padEnd(8)}${own.map((s) => `${s.action} ${s.version} ${seconds(s.ms)}`).join(', ')}`;
      }),
    ]),
    ...failed
      .slice(0, 20)
      .map(
        (f) =>
          `  failed: ${f.operation} ${f.status ?? f.error} at +${seconds(f.at - load.startedAt)}`,
      ),
    '',
  ].join('\n');
}

const skip = missingServices(...SPLIT_SERVICES, 'release');
const previous = previousRelease();

/**
 * A rolling update of every Deployment from the previous release to this one, and the rollback,
 * as Kubernetes does them with `maxSurge: 1, maxUnavailable: 0`, under a steady load of many
 * users. What stands for what:
 * - a Deployment: two replicas (real processes) of one module, or of the gateway
 *   (test/support/deployment.ts; the Deployment controller's rollout is `rollTo`);
 * - its Service: a ReadinessBalancer on loopback, probing each replica's /ready every 250 ms
 *   (test/support/balancer.ts); the gateways' GATEWAY_UPSTREAMS name the modules' Services, and
 *   the users reach the gateways through theirs (the Ingress's backend);
 * - the pod's termination: SIGTERM, the process's own drain (SHUTDOWN_DRAIN_MS, shortened to
 *   1.5 s from the chart's 5 s, still six probe periods), and its exit.
 * Goals: no failed request (no 5xx, no reset, no other status than the operation's), no lost
 * event (each user's order summary counts exactly the orders that user got 201 for), no parked
 * message; and the duration of each step, printed.
 */
describeOrSkip(
  `a rolling update from ${previous.version} to ${CURRENT_RELEASE.version} and the rollback, under load`,
  skip,
  () => {
    const cleanups: Array<() => Promise<void>> = [];
    afterAll(async () => {
      for (const cleanup of cleanups.reverse()) await cleanup();
    });

    /** Every Deployment at two replicas of `release`, each behind its Service. */
    const deploy = async (release: Release, parked: { count: number }) => {
      const services = Object.fromEntries(
        await Promise.all(DEPLOYMENTS.map(async (d) => [d, await ReadinessBalancer.start()])),
      ) as Record<SplitProcess, ReadinessBalancer>;
      cleanups.push(async () => {
        for (const service of Object.values(services)) await service.close();
      });
      const app = await startSplitApp(
        {
          LOG_LEVEL: 'error',
          SHUTDOWN_DRAIN_MS: String(DRAIN_MS),
          SHUTDOWN_TIMEOUT_MS: String(SHUTDOWN_TIMEOUT_MS),
        },
        {
          entry: () => release.main,
          upstream: (module, url) => {
            services[module].add(url);
            return services[module].url;
          },
        },
      );
      cleanups.push(() => app.close());
      const deployments = DEPLOYMENTS.map((name) => {
        const deployment = new Deployment(
          name,
          name === 'gateway' ? app.gatewayEnv : app.moduleEnv[name],
          services[name],
          {
            stopWithinMs: DRAIN_MS + SHUTDOWN_TIMEOUT_MS + 5000,
            // The parked-messages hook: what a replica parked, read before it goes away.
            beforeStop: async ({ process }) =>
              void (parked.count += await parkedMessages(process.url)),
          },
        );
        deployment.adopt(name === 'gateway' ? app.gateway : app.processes[name], release);
        cleanups.push(() => deployment.killAll());
        return deployment;
      });
      await Promise.all(deployments.map((d) => d.scaleUp(release)));
      return { front: services.gateway.url, deployments };
    };

    it('loses no request, no event and parks no message while every Deployment is rolled forward and back', async () => {
      const parked = { count: 0 };
      const { front, deployments } = await deploy(previous, parked);
      const tokens = await signUpPool(front, USERS);
      const load = new SteadyLoad(front, tokens, LOAD);
      cleanups.push(() => load.stop());
      await load.flowing(50, 30_000);

      const phases: Phase[] = [];
      let lost = Number.NaN;
      try {
        for (const release of [CURRENT_RELEASE, previous]) {
          const phase: Phase = { to: release.version, ms: 0, steps: [] };
          phases.push(phase);
          const started = Date.now();
          for (const deployment of deployments) {
            await deployment.rollTo(release, (step) => phase.steps.push(step));
          }
          phase.ms = Date.now() - started;
          // After the update and after the rollback: the load still flows.
          await load.flowing(50, 30_000);
        }
        await load.stop();
        // Once the events are through (a redelivery may wait NATS_ACK_WAIT_MS, 30 s).
        await eventually(
          async () => expect((lost = await lostEvents(front, tokens, load.created))).toBe(0),
          40_000,
          500,
        ).catch(() => undefined);
        for (const deployment of deployments) {
          for (const { process } of deployment.replicas) {
            parked.count += await parkedMessages(process.url);
          }
        }
      } finally {
        // Also when a step failed: what happened until then.
        process.stdout.write(report(load, phases, lost, parked.count));
      }

      expect(load.failed()).toEqual([]);
      expect(lost).toBe(0);
      expect(parked.count).toBe(0);
      // And every order that got 201 is there, with the summary equal to what the orders say.
      for (const [user, token] of tokens.entries()) {
        await expectExactSummary({ url: front, token }, load.created[user]);
      }
    });
  },
);
