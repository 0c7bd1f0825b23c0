import { afterAll, beforeAll, describe, expect, it, jest } from '@jest/globals';
import { ChildProcess, spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';
import { AppProcess } from '../../support/process';

/**
 * Keeps one core busy, and stops by itself once the test process is gone (should the runner be
 * killed before its `after` hook runs, no burner outlives it).
 */
const BURN = `const parent = process.ppid;
for (let i = 1; ; i++) if (i % 5e6 === 0 && process.ppid !== parent) process.exit(0);`;

/** A newcomer's laptop is busy at the first start; so is CI. Generous, but not endless. */
const READY_WITHIN_MS = 240_000;
// Four starts, each within READY_WITHIN_MS, on a machine this test keeps busy.
jest.setTimeout(4 * READY_WITHIN_MS + 60_000);

/**
 * The embedded shape (`npm start` on a bare machine) starts from an empty DATA_DIR while every
 * core is kept busy by a CPU-burning process: each start must reach /ready, however long it
 * takes, and say what it is doing on the way (a log line per phase).
 */
describe('first start of the embedded shape on a busy machine', () => {
  const burners: ChildProcess[] = [];
  const dirs: string[] = [];
  const timings: string[] = [];

  beforeAll(() => {
    for (let i = 0; i < Math.max(2, availableParallelism()); i++) {
      burners.push(spawn(process.execPath, ['-e', BURN], { stdio: 'ignore' }));
    }
  });

  afterAll(async () => {
    for (const burner of burners) burner.kill('SIGKILL');
    for (const dir of dirs) await rm(dir, { recursive: true, force: true });
    process.stdout.write(`[startup under load] ${timings.join('; ')}\n`);
  });

  const start = async (dataDir: string, label: string): Promise<string[]> => {
    const started = Date.now();
    const app = await AppProcess.start(
      { DATA_DIR: dataDir, LOG_LEVEL: 'info', SHUTDOWN_DRAIN_MS: '0' },
      { captureLogs: true, readyWithinMs: READY_WITHIN_MS },
    );
    timings.push(`${label}: ready in ${Date.now() - started} ms`);
    await app.kill('SIGTERM');
    return app.logLines.map((line) => String((JSON.parse(line) as { msg?: unknown }).msg));
  };

  it('reaches /ready from an empty DATA_DIR three times in a row, then again on its data', async () => {
    let dataDir = '';
    for (let run = 1; run <= 3; run++) {
      dataDir = await mkdtemp(join(tmpdir(), 'cleave-first-start-'));
      dirs.push(dataDir);
      const lines = await start(dataDir, `empty #${run}`);
      // One embedded instance, opened once, serves both modules.
      expect(
        lines.filter((l) => l === `opening embedded PGlite under ${join(dataDir, 'postgres')}`),
      ).toHaveLength(2);
      // From the template the build wrote, as `npm start` and the image do.
      expect(
        lines.filter((l) => /^embedded PGlite created from the template in \d+ ms$/.test(l)),
      ).toHaveLength(2);
      expect(lines.filter((l) => /^\d+ migration\(s\) applied in \d+ ms/.test(l))).toHaveLength(2);
      expect(lines.some((l) => l.startsWith('cleave is ready'))).toBe(true);
    }
    const lines = await start(dataDir, 'existing data');
    expect(lines.filter((l) => /^embedded PGlite opened in \d+ ms$/.test(l))).toHaveLength(2);
    expect(lines.filter((l) => l === 'schema up to date')).toHaveLength(2);
  });
});
