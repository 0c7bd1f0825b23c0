import { describe, expect, it } from '@jest/globals';
import { byKey, CoalescedReads } from './coalesced-reads';

interface Row {
  id: string;
  name: string;
}

/** A table of rows, and the statements run against it: `one:<key>` or `many:<keys>`. */
function table(rows: Row[], options: { failing?: boolean; hold?: Promise<void> } = {}) {
  const statements: string[] = [];
  const byId = new Map(rows.map((row) => [row.id, row]));
  // A statement sees the table as it is when it starts, as a database's snapshot does.
  const run = async <T>(statement: string, result: () => T): Promise<T> => {
    statements.push(statement);
    const seen = result();
    await options.hold;
    if (options.failing) throw new Error('connection lost');
    return seen;
  };
  const reads = new CoalescedReads<Row | null>(
    (key) => run(`one:${key}`, () => byId.get(key) ?? null),
    (keys) =>
      run(`many:${keys.join(',')}`, () =>
        // In no particular order, as a database may answer, and absent keys left out.
        byKey(keys.flatMap((key) => byId.get(key) ?? []).reverse(), (row) => row.id),
      ),
    null,
  );
  return { reads, statements, byId };
}

const ADA = { id: 'a', name: 'Ada' };
const GRACE = { id: 'g', name: 'Grace' };

describe('CoalescedReads', () => {
  it('sends the reads of one turn as one statement, and gives each caller its own row', async () => {
    const { reads, statements } = table([ADA, GRACE]);
    const answers = await Promise.all(['a', 'g', 'x', 'a'].map((key) => reads.read(key)));
    expect(answers).toEqual([ADA, GRACE, null, ADA]);
    expect(statements).toEqual(['many:a,g,x,a']);
  });

  it('sends a lone read as the statement for one key', async () => {
    const { reads, statements } = table([ADA]);
    expect(await reads.read('a')).toEqual(ADA);
    expect(await reads.read('x')).toBeNull();
    expect(statements).toEqual(['one:a', 'one:x']);
  });

  it('joins reads asked for in different callbacks of the same turn', async () => {
    const { reads, statements } = table([ADA, GRACE]);
    // Two I/O-like callbacks of one turn, each with its own jobs run before the next.
    const first = new Promise((resolve) => setImmediate(() => resolve(reads.read('a'))));
    const second = new Promise((resolve) => setImmediate(() => resolve(reads.read('g'))));
    expect(await Promise.all([first, second])).toEqual([ADA, GRACE]);
    expect(statements).toEqual(['many:a,g']);
  });

  it('never joins a statement already sent: a later read sees what was written meanwhile', async () => {
    let release!: () => void;
    const hold = new Promise<void>((resolve) => (release = resolve));
    const { reads, statements, byId } = table([ADA], { hold });
    const before = reads.read('a');
    await new Promise((resolve) => setImmediate(resolve));
    expect(statements).toEqual(['one:a']);
    byId.set('a', { id: 'a', name: 'Ada Lovelace' });
    const after = reads.read('a');
    release();
    expect(await after).toEqual({ id: 'a', name: 'Ada Lovelace' });
    expect(await before).toEqual(ADA);
    expect(statements).toEqual(['one:a', 'one:a']);
  });

  it('fails every read a failed statement carried, with its error, and the next reads run afresh', async () => {
    const options = { failing: true };
    const { reads, statements } = table([ADA], options);
    const failed = ['a', 'x'].map((key) => reads.read(key));
    for (const read of failed) await expect(read).rejects.toThrow('connection lost');
    options.failing = false;
    expect(await reads.read('a')).toEqual(ADA);
    expect(statements).toEqual(['many:a,x', 'one:a']);
  });

  it('sends at most 100 keys in one statement', async () => {
    const rows = Array.from({ length: 150 }, (_, i) => ({ id: `k${i}`, name: `n${i}` }));
    const { reads, statements } = table(rows);
    const answers = await Promise.all(rows.map((row) => reads.read(row.id)));
    expect(answers).toEqual(rows);
    expect(statements.map((s) => s.split(',').length)).toEqual([100, 50]);
  });
});
