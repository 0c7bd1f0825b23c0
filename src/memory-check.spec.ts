import { describe, expect, it } from '@jest/globals';
import { judgeMemory, MEMORY_NEEDS_MIB } from './memory-check';
import { NODE_ARGS } from './launcher/managed-process';

const EMBEDDED = { user: {}, order: {} };
const ONE_PROCESS = { modules: ['auth', 'user', 'order'] as const, databases: EMBEDDED };
const ON_SERVERS = {
  modules: ['user'] as const,
  databases: { ...EMBEDDED, user: { url: 'postgres://db/cleave' } },
};

describe('the start-up memory check', () => {
  it('refuses to start the embedded shape where it would be killed while starting, saying what it needs and what to do', () => {
    const { refuse } = judgeMemory(
      { ...ONE_PROCESS, modules: [...ONE_PROCESS.modules] },
      200,
      true,
    );
    expect(refuse).toContain(`needs about ${MEMORY_NEEDS_MIB.embedded.start} MiB to start`);
    expect(refuse).toContain('only 200 MiB are available');
    expect(refuse).toContain('USER_DATABASE_URL and ORDER_DATABASE_URL');
    expect(refuse).toContain('MEMORY_CHECK=off');
  });

  it('warns, but starts, where only the peak under load does not fit', () => {
    const verdict = judgeMemory(
      { ...ONE_PROCESS, modules: [...ONE_PROCESS.modules] },
      MEMORY_NEEDS_MIB.embedded.start + 1,
      true,
    );
    expect(verdict.refuse).toBeUndefined();
    expect(verdict.warn).toContain(`${MEMORY_NEEDS_MIB.embedded.peak} MiB at its peak`);
  });

  it('asks far less of a process whose stores are servers, and more of the embedded database without --liftoff-only', () => {
    expect(judgeMemory({ ...ON_SERVERS, modules: ['user'] }, 300, true)).toEqual({});
    expect(
      judgeMemory({ ...ONE_PROCESS, modules: ['auth', 'user', 'order'] }, 600, false).refuse,
    ).toContain('without --liftoff-only');
  });

  it('is judged on how cleave is started everywhere (the launchers’ Node options)', () => {
    expect(NODE_ARGS).toContain('--liftoff-only');
  });
});
