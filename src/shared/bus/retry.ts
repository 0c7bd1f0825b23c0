/**
 * The retry rule of every event handler, on both transports.
 *
 * Each event handler (`@EventPattern(pattern, { consumer })`) succeeds or fails on its own. A
 * handler that failed gets the event again after `retryDelayMs(n)` for its n-th failure, that
 * handler only: handlers of the same event that succeeded are not run again. After its last
 * delivery the event is set aside for that handler and an operator replays it:
 * - local transport: the outbox relay delivers again (OUTBOX_MAX_ATTEMPTS deliveries, with
 *   jitter); the handlers that already succeeded for the event are skipped. Set aside = the
 *   outbox entry is parked (`npm run outbox -- list|replay`).
 * - NATS: JetStream redelivers to that durable consumer (NATS_MAX_DELIVER deliveries). Set aside
 *   = copied to `cleave.deadletter.<consumer>` (`npm run deadletter -- list|replay`).
 * Handlers are idempotent through their inbox, so a delivery the process cannot remember (after
 * a crash, the whole event again) changes nothing twice.
 */
export interface RetryBackoff {
  /** The delay after the first failure (OUTBOX_BACKOFF_BASE_MS). */
  baseMs: number;
  /** The longest delay (OUTBOX_BACKOFF_MAX_MS). */
  maxMs: number;
}

/** The wait before delivery n + 1, after the n-th failure: min(base × 2^(n−1), max). */
export function retryDelayMs(failures: number, backoff: RetryBackoff): number {
  return Math.min(backoff.baseMs * 2 ** (Math.max(1, failures) - 1), backoff.maxMs);
}
