/** True when a Postgres write failed on a unique constraint (SQLSTATE 23505). */
export function isUniqueViolation(error: unknown, constraint?: string): boolean {
  const e = error as {
    code?: string;
    constraint?: string;
    driverError?: { code?: string; constraint?: string };
  };
  const code = e.driverError?.code ?? e.code;
  const name = e.driverError?.constraint ?? e.constraint;
  return code === '23505' && (constraint === undefined || name === constraint);
}

/**
 * True when a statement's connection broke under it (node-postgres' "Connection terminated
 * unexpectedly", a reset or broken socket): the statement may have committed with its answer
 * lost. Not a timeout (a statement that ran out of time was cancelled, or the database hangs),
 * and not a connection that was never made or was closed on purpose (pg-pool's "Connection
 * terminated due to connection timeout", a client ended at shutdown): no statement was sent.
 */
export function isConnectionLost(error: unknown): boolean {
  const e = error as { code?: unknown; message?: unknown } | null;
  if (e?.code === 'ECONNRESET' || e?.code === 'EPIPE') return true;
  return (
    typeof e?.message === 'string' && e.message.startsWith('Connection terminated unexpectedly')
  );
}
