import { describe, expect, it } from '@jest/globals';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { TurnBatchedDestination } from './log-destination';

/** Resolves after the callbacks `setImmediate` queued before it have run. */
const nextTurn = () => new Promise<void>((resolve) => setImmediate(resolve));

function recorded() {
  const writes: string[] = [];
  const destination = new TurnBatchedDestination({ write: (text: string) => writes.push(text) });
  return { writes, destination };
}

describe('TurnBatchedDestination', () => {
  it('writes the lines one turn logs together, in order, once that turn is done', async () => {
    const { writes, destination } = recorded();
    destination.write('{"n":1}\n');
    destination.write('{"n":2}\n');
    destination.write('{"n":3}\n');
    expect(writes).toEqual([]);
    await nextTurn();
    expect(writes).toEqual(['{"n":1}\n{"n":2}\n{"n":3}\n']);
  });

  it("writes a later turn's lines in a write of their own, and nothing when a turn logs nothing", async () => {
    const { writes, destination } = recorded();
    destination.write('a\n');
    await nextTurn();
    await nextTurn();
    destination.write('b\n');
    await nextTurn();
    expect(writes).toEqual(['a\n', 'b\n']);
  });

  it('writes what is pending at once when flushed (as the process does on exit)', () => {
    const { writes, destination } = recorded();
    destination.write('last words\n');
    destination.flush();
    expect(writes).toEqual(['last words\n']);
    destination.flush();
    expect(writes).toEqual(['last words\n']);
  });

  it('adds one exit listener however many destinations a process makes (an app per test)', () => {
    recorded();
    const listeners = process.listenerCount('exit');
    for (let i = 0; i < 20; i++) recorded();
    expect(process.listenerCount('exit')).toBe(listeners);
  });

  it("calls back once what is pending is written, as pino's logger.flush(callback) expects", () => {
    const { writes, destination } = recorded();
    destination.write('pending\n');
    const seen: string[][] = [];
    destination.flush(() => seen.push([...writes]));
    expect(seen).toEqual([['pending\n']]);
  });
});

/** A Node process that logs through standard output's destination, then `ends` in the same turn. */
function logThenEnd(ends: string) {
  const source = join(__dirname, 'log-destination.ts');
  const script = [
    `import { TurnBatchedDestination } from ${JSON.stringify(source)};`,
    'const out = TurnBatchedDestination.stdout();',
    "out.write('first\\n');",
    "process.on('exit', () => out.write('said on exit\\n'));",
    "out.write('second\\n');",
    ends,
  ].join('\n');
  return spawnSync(
    process.execPath,
    ['--disable-warning=MODULE_TYPELESS_PACKAGE_JSON', '--input-type=module', '-e', script],
    { encoding: 'utf8', timeout: 30_000 },
  );
}

describe('standard output through TurnBatchedDestination', () => {
  it('keeps every line of a process that exits in the turn that logged them, those written on exit too', () => {
    const result = logThenEnd('process.exit(3);');
    expect(result.status).toBe(3);
    expect(result.stdout).toBe('first\nsecond\nsaid on exit\n');
  });

  it('keeps them when the process dies of an uncaught error', () => {
    const result = logThenEnd("throw new Error('boom');");
    expect(result.status).toBe(1);
    expect(result.stdout).toBe('first\nsecond\nsaid on exit\n');
    expect(result.stderr).toContain('boom');
  });
});
