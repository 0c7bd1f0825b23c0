/**
 * Runs tasks concurrently, up to `limit` at once, but those of one key one after another in
 * the order they were given: how a consumer handles a stream of events in parallel while the
 * events about one aggregate (one `key`) still happen in order.
 */
export class KeyedLanes {
  /** The last task of each key still running or waiting. */
  private readonly tails = new Map<string, Promise<void>>();
  private readonly running = new Set<Promise<void>>();

  constructor(private readonly limit: number) {}

  /**
   * Queues `task` behind the earlier tasks of `key` (no key: no ordering) and resolves once it
   * may take the next one: when fewer than `limit` tasks are in hand. Never rejects: `task`
   * deals with its own failures.
   */
  async add(key: string | undefined, task: () => Promise<void>): Promise<void> {
    while (this.running.size >= this.limit) await Promise.race(this.running);
    const before = key === undefined ? undefined : this.tails.get(key);
    const run = (before ?? Promise.resolve()).then(task).catch(() => undefined);
    const tracked = run.finally(() => {
      this.running.delete(tracked);
      if (key !== undefined && this.tails.get(key) === tracked) this.tails.delete(key);
    });
    this.running.add(tracked);
    if (key !== undefined) this.tails.set(key, tracked);
  }

  /** Resolves once every task given so far has finished. */
  async idle(): Promise<void> {
    while (this.running.size > 0) await Promise.all(this.running);
  }
}
