import { describe, expect, it } from '@jest/globals';
import { Batcher } from './batcher';

/** A write that records its groups and fails for any group holding a `bad` item. */
function recordingWrite() {
  const groups: string[][] = [];
  let release: (() => void) | undefined;
  const write = async (items: string[]) => {
    groups.push(items);
    if (items[0] === 'hold') await new Promise<void>((resolve) => (release = resolve));
    if (items.includes('bad')) throw new Error('bad item');
  };
  return { groups, write, release: () => release?.() };
}

describe('Batcher', () => {
  it('writes the items added in one turn together, and settles each caller with that write', async () => {
    const { groups, write } = recordingWrite();
    const batcher = new Batcher(write);
    await Promise.all(['a', 'b', 'c'].map((item) => batcher.add(item)));
    expect(groups).toEqual([['a', 'b', 'c']]);
  });

  it('groups what arrives while a write is under way into the next write', async () => {
    const { groups, write, release } = recordingWrite();
    const batcher = new Batcher(write);
    const first = batcher.add('hold');
    await new Promise((resolve) => setImmediate(resolve));
    const later = ['d', 'e', 'f'].map((item) => batcher.add(item));
    release();
    await Promise.all([first, ...later]);
    expect(groups).toEqual([['hold'], ['d', 'e', 'f']]);
  });

  it('never writes more than maxItems at once', async () => {
    const { groups, write } = recordingWrite();
    const batcher = new Batcher(write, 2);
    await Promise.all(['a', 'b', 'c', 'd', 'e'].map((item) => batcher.add(item)));
    expect(groups.map((g) => g.length)).toEqual([2, 2, 1]);
  });

  it('fails only the caller whose item broke the grouped write', async () => {
    const { groups, write } = recordingWrite();
    const batcher = new Batcher(write);
    const outcomes = await Promise.allSettled(['a', 'bad', 'c'].map((item) => batcher.add(item)));
    expect(outcomes.map((o) => o.status)).toEqual(['fulfilled', 'rejected', 'fulfilled']);
    expect(groups).toEqual([['a', 'bad', 'c'], ['a'], ['bad'], ['c']]);
  });

  it('fails only the callers whose items a write refused, and stores the rest in that write', async () => {
    const groups: string[][] = [];
    const batcher = new Batcher((items: string[]) => {
      groups.push(items);
      const refused = new Map<number, unknown>();
      items.forEach((item, i) => item.startsWith('taken') && refused.set(i, new Error(item)));
      return Promise.resolve(refused);
    });
    const outcomes = await Promise.allSettled(
      ['a', 'taken-1', 'b', 'taken-2'].map((item) => batcher.add(item)),
    );
    expect(outcomes).toEqual([
      { status: 'fulfilled', value: undefined },
      { status: 'rejected', reason: new Error('taken-1') },
      { status: 'fulfilled', value: undefined },
      { status: 'rejected', reason: new Error('taken-2') },
    ]);
    expect(groups).toEqual([['a', 'taken-1', 'b', 'taken-2']]);
  });

  it('writes a lone item once more only when its failure may have hidden a commit', async () => {
    const groups: string[][] = [];
    const failing = new Set(['lost', 'timed-out']);
    const batcher = new Batcher(
      (items: string[]) => {
        groups.push(items);
        const [item] = items;
        if (item && failing.delete(item)) return Promise.reject(new Error(item));
        return Promise.resolve();
      },
      500,
      (error) => (error as Error).message === 'lost',
    );
    await batcher.add('lost');
    await expect(batcher.add('timed-out')).rejects.toThrow('timed-out');
    expect(groups).toEqual([['lost'], ['lost'], ['timed-out']]);
  });

  it('keeps working after a failed write', async () => {
    const { groups, write } = recordingWrite();
    const batcher = new Batcher(write);
    await expect(batcher.add('bad')).rejects.toThrow('bad item');
    await batcher.add('g');
    expect(groups).toEqual([['bad'], ['g']]);
  });
});
