import DataLoader from 'dataloader';

/** At most this many keys in one statement. */
const MAX_KEYS = 100;

/**
 * Reads by key, coalesced: the reads asked for during one turn of the event loop go to the
 * database as one statement (`many`) when the turn's callbacks are done, each caller getting the
 * value of its own key (a row, or a page of rows). Under load, a turn serves several requests,
 * so a few statements and round trips serve many reads; alone, a read waits for nothing but the
 * end of its turn, and runs the statement for one key (`one`).
 *
 * A read never joins a statement already sent: the one it joins starts after it was asked for,
 * so it sees every write committed before it (a client reads its own writes). Nothing is cached
 * between turns. When the statement fails, every read it carried fails with its error. The
 * statement runs in the context of the first read it carries: when traced, its span belongs to
 * that request's trace. Reads of one key share the value, and values of different keys may share
 * rows (the first pages of one list, each a prefix of the longest): callers must not change them.
 *
 * DataLoader (graphql/dataloader) does the grouping, with its cache off and its batch scheduled
 * at the end of the turn (`setImmediate`) rather than of the current job. Writes have `Batcher`
 * (batcher.ts) instead: a write waits for the one in flight, so groups grow with the load; a
 * read does not wait, since waiting would add a round trip to its answer.
 */
export class CoalescedReads<Value> {
  private readonly loader: DataLoader<string, Value>;

  /**
   * @param one reads the value of one key (the statement a lone read uses)
   * @param many reads the values of several keys (some repeated) in one statement, by key;
   *   a key it leaves out has the value `absent`
   */
  constructor(
    one: (key: string) => Promise<Value>,
    many: (keys: readonly string[]) => Promise<Map<string, Value>>,
    absent: Value,
  ) {
    this.loader = new DataLoader<string, Value>(
      async (keys) => {
        if (keys.length === 1) return [await one(keys[0])];
        const values = await many(keys);
        return keys.map((key) => (values.has(key) ? values.get(key)! : absent));
      },
      {
        cache: false,
        maxBatchSize: MAX_KEYS,
        batchScheduleFn: (dispatch) => setImmediate(dispatch),
      },
    );
  }

  /** The value of `key`. */
  read(key: string): Promise<Value> {
    return this.loader.load(key);
  }
}

/** Rows by a key of their own (say, their id), for `CoalescedReads`' `many`. */
export function byKey<Row>(rows: Row[], keyOf: (row: Row) => string): Map<string, Row> {
  return new Map(rows.map((row) => [keyOf(row), row]));
}

/**
 * Whether `value` fits an int4 parameter above zero: a `LIMIT` that cannot fail the statement
 * it shares with other reads.
 */
export function isPositiveInt4(value: number): boolean {
  return Number.isInteger(value) && value > 0 && value <= 2 ** 31 - 1;
}
