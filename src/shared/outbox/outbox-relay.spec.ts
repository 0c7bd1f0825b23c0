import { afterEach, describe, expect, it, jest } from '@jest/globals';
import { anyEvent } from '../../../test/support/bus-events';
import { RecordingBus, testRelay } from '../../../test/support/recording-bus';
import { OutboxRepository, type BatchOutcome, type ClaimedBatch } from './outbox-repository';

/** The next turn of the event loop (the clock here does not move by itself). */
const nextTurn = () => new Promise((resolve) => setImmediate(resolve));

/** An outbox whose every claim is full and takes as long as `claimMs` says, on a clock of its own. */
class SlowOutbox extends OutboxRepository {
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
  stats = () => Promise.resolve({ pending: 0, failed: 0, oldestPendingSeconds: 0 });
  listFailed = () => Promise.resolve([]);
  replay = () => Promise.resolve(0);
  purgeSent = () => Promise.resolve(0);
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
});
