/** Errors for the items a write refused, by their index in the group it was given. */
export type Refusals = ReadonlyMap<number, unknown>;

/**
 * Group commit for one kind of write: the items callers add while a write is under way (and
 * those added in the same turn of the event loop) go to the database together in the next one,
 * so a burst of N small writes costs a few statements, not N. Each caller's promise settles
 * with the write that carried its item. When a grouped write fails, its items are written one
 * by one, so one bad item fails only its own caller; a lone item is written once more only when
 * `retryAlone` says its failure may have hidden a commit (the connection broke before the
 * answer), so a write must be safe to repeat. A write may also refuse some items and store the
 * rest: it answers with those items' errors (`Refusals`), and only their callers fail.
 */
export class Batcher<T> {
  private queued: Array<{ item: T; resolve: () => void; reject: (error: unknown) => void }> = [];
  private scheduled = false;

  /**
   * @param write writes the given items in one statement (or transaction): all of them, or
   *   all but those it refuses (each with its error), or, when it throws, none
   * @param maxItems at most this many items per write
   * @param retryAlone whether a lone item's failed write is tried once more (not for a timeout:
   *   on a database that hangs, that would double the wait for its caller's 503)
   */
  constructor(
    private readonly write: (items: T[]) => Promise<Refusals | void>,
    private readonly maxItems = 500,
    private readonly retryAlone: (error: unknown) => boolean = () => false,
  ) {}

  add(item: T): Promise<void> {
    return new Promise((resolve, reject) => {
      this.queued.push({ item, resolve, reject });
      if (!this.scheduled) {
        this.scheduled = true;
        setImmediate(() => void this.flush());
      }
    });
  }

  /** Writes what is queued, a group at a time, until nothing is. */
  private async flush(): Promise<void> {
    while (this.queued.length > 0) {
      const group = this.queued.splice(0, this.maxItems);
      try {
        settle(group, await this.write(group.map((q) => q.item)));
      } catch (error) {
        if (group.length === 1 && !this.retryAlone(error)) group[0].reject(error);
        else
          await Promise.all(
            group.map((q) =>
              this.write([q.item]).then((refused) => settle([q], refused), q.reject),
            ),
          );
      }
    }
    this.scheduled = false;
  }
}

/** Resolves each caller of a write, but rejects those whose item it refused. */
function settle(
  group: ReadonlyArray<{ resolve: () => void; reject: (error: unknown) => void }>,
  refused: Refusals | void,
): void {
  group.forEach((q, i) => (refused?.has(i) ? q.reject(refused.get(i)) : q.resolve()));
}
