import { afterEach, describe, expect, it, jest } from '@jest/globals';
import { anyEvent } from '../../../test/support/bus-events';
import { RecordingBus, testRelay } from '../../../test/support/recording-bus';
import type { BusEvent } from '../bus/bus-event';
import { OutboxRepository, type BatchOutcome, type ClaimedBatch } from './outbox-repository';

/** The next turn of the event loop (the clock here does not move by itself). */
const nextTurn = () => new Promise((resolve) => setImmediate(resolve));

/** An outbox of the tests' own: the parts the relay reads besides its claims answer nothing. */
abstract class TestOutbox extends OutboxRepository {
  stats = () => Promise.resolve({ pending: 0, failed: 0, oldestPendingSeconds: 0 });
  listFailed = () => Promise.resolve([]);
  replay = () => Promise.resolve(0);
  purgeSent = () => Promise.resolve(0);
}

/** An outbox whose every claim is full and takes as long as `claimMs` says, on a clock of its own. */
class SlowOutbox extends TestOutbox {
  readonly claims: number[] = [];
  readonly outcomes: BatchOutcome[] = [];
  now = 1_700_000_000_000;
  constructor(private readonly claimMs: number) {
    super();
  }
  /** Runs while a claim is under way. */
  duringClaim = () => {};
  async claim(limit: number): Promise<ClaimedBatch> {
    this.claims.push(limit);
    this.duringClaim();
    // A turn of the event loop, as a round trip takes; then the clock has moved on.
    await nextTurn();
    this.now += this.claimMs;
    const events = Array.from({ length: limit }, (_, n) => anyEvent('test.slow', { n }));
    return {
      entries: events.map((event) => ({ id: event.id, event, attempts: 1 })),
      full: true,
      settle: (outcome) => {
        this.outcomes.push(outcome);
        return Promise.resolve();
      },
    };
  }
}

/** An outbox of events committed by the test; each claim takes every one due, never full. */
class CommittedOutbox extends TestOutbox {
  private due: BusEvent[] = [];
  /** What each claim took (event data), and when it was made (performance.now()). */
  readonly claims: Array<{ took: unknown[]; at: number }> = [];
  /** Runs while a claim is under way. */
  duringClaim = () => {};
  /** Batches settled: the relay's drain ends on the microtasks after. */
  settled = 0;
  commit(n: number): void {
    this.due.push(anyEvent('test.committed', { n }, `order-${n}`));
  }
  async claim(): Promise<ClaimedBatch> {
    const events = this.due;
    this.due = [];
    this.claims.push({ took: events.map((e) => e.data), at: performance.now() });
    this.duringClaim();
    await nextTurn();
    return {
      entries: events.map((event) => ({ id: event.id, event, attempts: 1 })),
      full: false,
      settle: () => {
        this.settled++;
        return Promise.resolve();
      },
    };
  }
}

/**
 * Waits, a turn of the event loop at a time, until `done` holds (for up to `withinMs`): the
 * moment it holds is the moment measured, where `eventually` (test/support/api.ts) would see it
 * up to its 50-ms interval late.
 */
async function until(done: () => boolean, what: string, withinMs = 10_000): Promise<void> {
  const deadline = performance.now() + withinMs;
  while (!done()) {
    if (performance.now() > deadline) throw new Error(`not within ${withinMs} ms: ${what}`);
    await nextTurn();
  }
}

describe('outbox relay', () => {
  afterEach(() => {
    jest.restoreAllMocks();
  });

  it('puts back a batch whose claim took half its lease, and waits for its next round to claim again', async () => {
    const outbox = new SlowOutbox(500);
    jest.spyOn(Date, 'now').mockImplementation(() => outbox.now);
    const bus = new RecordingBus();
    const relay = testRelay('test', outbox, bus, { batchSize: 10, leaseMs: 1000, pollMs: 60_000 });
    // Commits go on meanwhile, each nudging the relay: they wait for its next round too.
    outbox.duringClaim = () => relay.nudge();
    relay.start();
    // The first batch comes back settled with all of it put back, unpublished.
    for (let turn = 0; outbox.outcomes.length === 0; turn++) {
      if (turn > 10_000) throw new Error('no batch was settled within 10,000 turns');
      await nextTurn();
    }
    // Some turns of the event loop, each with a commit's nudge, in which a relay that claims
    // again at once would.
    for (let turn = 0; turn < 20; turn++) {
      relay.nudge();
      await nextTurn();
    }
    await relay.stop();
    expect(outbox.claims).toEqual([10]);
    expect(outbox.outcomes[0]).toMatchObject({ sent: [], failed: [] });
    expect(outbox.outcomes[0].released).toHaveLength(10);
    expect(bus.delivered).toHaveLength(0);
  });

  it('relays a commit after a quiet spell at once, and gathers the commits made during a batch into the next claim', async () => {
    const gatherMs = 200;
    const outbox = new CommittedOutbox();
    const bus = new RecordingBus();
    const relay = testRelay('test', outbox, bus, { gatherMs, pollMs: 60_000 });
    relay.start();
    try {
      await until(() => outbox.settled === 1, 'the first claim, at start, settled');
      await nextTurn();
      // A quiet relay: the commit's nudge claims within a few turns of the event loop, not
      // after waiting to gather.
      outbox.commit(1);
      relay.nudge();
      for (let turn = 0; turn < 5 && outbox.claims.length < 2; turn++) await nextTurn();
      expect(outbox.claims[1]?.took).toEqual([{ n: 1 }]);
      // Under load: commits (each nudging) during that batch and after it, while it waits.
      outbox.commit(2);
      relay.nudge();
      await until(() => bus.delivered.length === 1, 'the first event published');
      const batchEnded = performance.now();
      outbox.commit(3);
      relay.nudge();
      await nextTurn();
      outbox.commit(4);
      relay.nudge();
      await until(() => outbox.claims.length === 3, 'the gathered claim');
      expect(outbox.claims[2].took).toEqual([{ n: 2 }, { n: 3 }, { n: 4 }]);
      // Timers never fire early by more than a millisecond's rounding.
      expect(outbox.claims[2].at - batchEnded).toBeGreaterThanOrEqual(gatherMs - 1);
      await until(() => bus.delivered.length === 4, 'every event published');
    } finally {
      await relay.stop();
    }
  });

  it('stops at once while it waits to gather', async () => {
    const outbox = new CommittedOutbox();
    const relay = testRelay('test', outbox, new RecordingBus(), {
      gatherMs: 60_000,
      pollMs: 60_000,
    });
    // Every claim finds a commit's nudge under way: the relay is always busy.
    outbox.duringClaim = () => relay.nudge();
    relay.start();
    await until(() => outbox.settled === 1, 'the first claim, at start, settled');
    await nextTurn();
    // Waiting to gather now: stop must not wait the minute out.
    const stopping = performance.now();
    await relay.stop();
    expect(performance.now() - stopping).toBeLessThan(30_000);
    expect(outbox.claims).toHaveLength(1);
  });
});
