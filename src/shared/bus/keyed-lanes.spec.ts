import { describe, expect, it } from '@jest/globals';
import { KeyedLanes } from './keyed-lanes';

/** A task that records when it starts and ends, and ends when told. */
function gate(log: string[], name: string) {
  let open!: () => void;
  const opened = new Promise<void>((resolve) => (open = resolve));
  const task = async () => {
    log.push(`${name}+`);
    await opened;
    log.push(`${name}-`);
  };
  return { task, open };
}

const turn = () => new Promise((resolve) => setImmediate(resolve));

describe('KeyedLanes', () => {
  it('runs tasks of different keys at the same time', async () => {
    const log: string[] = [];
    const lanes = new KeyedLanes(10);
    const a = gate(log, 'a');
    const b = gate(log, 'b');
    await lanes.add('order-1', a.task);
    await lanes.add('order-2', b.task);
    await turn();
    expect(log).toEqual(['a+', 'b+']);
    b.open();
    a.open();
    await lanes.idle();
    expect(log).toEqual(['a+', 'b+', 'b-', 'a-']);
  });

  it('runs the tasks of one key one after another, in the order given', async () => {
    const log: string[] = [];
    const lanes = new KeyedLanes(10);
    const first = gate(log, 'first');
    const second = gate(log, 'second');
    await lanes.add('order-1', first.task);
    await lanes.add('order-1', second.task);
    await turn();
    expect(log).toEqual(['first+']);
    second.open();
    first.open();
    await lanes.idle();
    expect(log).toEqual(['first+', 'first-', 'second+', 'second-']);
  });

  it('takes no more than `limit` tasks in hand, and the next once one finishes', async () => {
    const log: string[] = [];
    const lanes = new KeyedLanes(2);
    const [a, b, c] = ['a', 'b', 'c'].map((name) => gate(log, name));
    await lanes.add('1', a.task);
    await lanes.add('2', b.task);
    let taken = false;
    const third = lanes.add('3', c.task).then(() => (taken = true));
    await turn();
    expect(taken).toBe(false);
    a.open();
    await third;
    await turn();
    expect(log).toEqual(['a+', 'b+', 'a-', 'c+']);
    b.open();
    c.open();
    await lanes.idle();
  });

  it('goes on with a key after one of its tasks failed', async () => {
    const lanes = new KeyedLanes(4);
    const ran: string[] = [];
    await lanes.add('k', () => Promise.reject(new Error('handler failed')));
    await lanes.add('k', () => Promise.resolve(void ran.push('next')));
    await lanes.idle();
    expect(ran).toEqual(['next']);
  });
});
