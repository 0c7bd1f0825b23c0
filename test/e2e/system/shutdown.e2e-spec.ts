import { afterAll, expect, it, jest } from '@jest/globals';
import { describeOrSkip } from '../../support/skip';
import { eventually } from '../../support/api';
import { Client, constantLoad, expectExactSummary, signUp } from '../../support/http-client';
import { AppProcess } from '../../support/process';
import { availableServices } from '../../support/services';
import { startSplitApp } from '../../support/split';

jest.setTimeout(180_000);

const DRAIN_MS = 1500;
const TIMEOUT_MS = 10_000;
const SHUTDOWN = { SHUTDOWN_DRAIN_MS: String(DRAIN_MS), SHUTDOWN_TIMEOUT_MS: String(TIMEOUT_MS) };

/** Polls `/ready` as fast as it answers; resolves with the first status it sees. */
async function readyStatus(url: string): Promise<number> {
  return (await fetch(`${url}/ready`)).status;
}

/** After the restart: every order that got 201 is there, and the summary counts them all. */
async function expectNothingLost(url: string, token: string, created: string[]): Promise<void> {
  await expectExactSummary({ url, token }, created, 20_000);
}

const needed = ['postgres', 'redis', 'nats'].filter((s) => !availableServices().has(s));

/**
 * SIGTERM under constant load: readiness turns 503 at once, every request the server accepted
 * completes successfully (the others are refused, never cut off with a 500), no event is lost,
 * and the process exits 0 within the drain delay plus its bound.
 */
describeOrSkip(
  'graceful shutdown',
  needed.length > 0 ? `needs ${needed.join(', ')}` : false,
  () => {
    const cleanups: Array<() => Promise<void>> = [];
    afterAll(async () => {
      for (const cleanup of cleanups.reverse()) await cleanup();
    });

    const expectGracefulStop = async (process: AppProcess, client: Client) => {
      const load = constantLoad(client);
      try {
        await load.warmedUp();
        const signalled = Date.now();
        process.signal('SIGTERM');
        // Readiness turns at once (as soon as the process handled the signal).
        await eventually(async () => expect(await readyStatus(process.url)).toBe(503), 500, 20);
        await process.waitExit();
        const took = Date.now() - signalled;
        await load.stop();
        expect(process.exitCode).toBe(0);
        expect(took).toBeGreaterThanOrEqual(DRAIN_MS - 100);
        expect(took).toBeLessThan(DRAIN_MS + TIMEOUT_MS);
        // Every answer is a success, or a refusal while closing; never a 500 or a cut request.
        const answered = load.outcomes.filter((o) => o.status !== undefined);
        for (const outcome of answered) expect([201, 503]).toContain(outcome.status);
        // It kept serving through the drain: orders were still placed well after the signal.
        const late = answered.filter((o) => o.status === 201 && o.at > signalled + DRAIN_MS / 2);
        expect(late.length).toBeGreaterThan(0);
        return load.created();
      } finally {
        await load.stop();
      }
    };

    it('one process: 503 from /ready at once, accepted requests complete, exit 0, nothing lost', async () => {
      const data = await AppProcess.prepare('postgres');
      cleanups.push(() => data.cleanup());
      const env = { ...data.env, ...SHUTDOWN };
      const first = await AppProcess.start(env);
      cleanups.push(() => first.kill());
      const { token } = await signUp(first.url);
      const created = await expectGracefulStop(first, { url: first.url, token });
      const second = await AppProcess.start(env);
      cleanups.push(() => second.kill());
      await expectNothingLost(second.url, token, created);
    });

    it('split shape: the order process stops gracefully under load behind the gateway', async () => {
      const app = await startSplitApp({ ...SHUTDOWN, LOG_LEVEL: 'error' });
      cleanups.push(() => app.close());
      const { token } = await signUp(app.url);
      const created = await expectGracefulStop(app.processes.order, {
        url: app.url,
        token,
      });
      app.processes.order = await AppProcess.start(app.moduleEnv.order);
      await expectNothingLost(app.url, token, created);
    });
  },
);
