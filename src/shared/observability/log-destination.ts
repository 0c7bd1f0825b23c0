import { pino, type DestinationStream } from 'pino';

/** Where the batched lines go: pino's own destination (sonic-boom) or, in tests, anything. */
type Output = Pick<DestinationStream, 'write'>;

/**
 * The destinations whose pending lines are written when the process exits: one `exit` listener
 * for all of them, each held weakly, so that a destination no logger uses any more (an
 * application closed in a test process that makes many) is neither kept alive nor listened for.
 */
const flushedAtExit = new Set<WeakRef<TurnBatchedDestination>>();
/** Once the process exits, there is no later turn: lines are written as they come. */
let exiting = false;

function flushAtExit(destination: TurnBatchedDestination): void {
  if (flushedAtExit.size === 0) {
    process.once('exit', () => {
      exiting = true;
      for (const held of flushedAtExit) held.deref()?.flush();
    });
  }
  for (const held of flushedAtExit) if (!held.deref()) flushedAtExit.delete(held);
  flushedAtExit.add(new WeakRef(destination));
}

/**
 * Standard output for JSON lines, written once per turn of the event loop: the lines logged
 * while a turn's callbacks run are joined and handed on in one write when they are done
 * (`setImmediate`, before the process waits for I/O again), so that a busy process makes one
 * system call for many lines rather than one per line. Nothing waits for more lines to come: a
 * line is out by the end of the turn that logged it. When the process exits (`process.exit`,
 * an uncaught error), what is pending is written synchronously first.
 */
export class TurnBatchedDestination implements DestinationStream {
  private readonly output: Output;
  private pending: string[] = [];
  private scheduled = false;

  constructor(output: Output) {
    this.output = output;
    flushAtExit(this);
  }

  /**
   * Standard output through pino's destination (sonic-boom), with synchronous writes, pino's
   * default: a turn's lines are one write(2), and a slow reader holds the process back rather
   * than its lines piling up in memory.
   */
  static stdout(): TurnBatchedDestination {
    return new TurnBatchedDestination(pino.destination({ dest: 1, sync: true }));
  }

  write(line: string): void {
    if (exiting) return void this.output.write(line);
    this.pending.push(line);
    if (this.scheduled) return;
    this.scheduled = true;
    setImmediate(this.flush);
  }

  /** Hands what is pending on now; then calls `done` (pino's `logger.flush(done)`), if given. */
  readonly flush = (done?: (error?: Error) => void): void => {
    this.scheduled = false;
    const { pending } = this;
    if (pending.length > 0) {
      this.pending = [];
      this.output.write(pending.length === 1 ? pending[0] : pending.join(''));
    }
    done?.();
  };
}
