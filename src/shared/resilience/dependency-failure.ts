const NETWORK_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', 'ENOTFOUND']);

/** MongoDB driver errors that mean the server cannot be reached or did not answer in time. */
const MONGO_UNAVAILABLE =
  /^(MongoServerSelectionError|MongooseServerSelectionError|MongoNetworkError|MongoNetworkTimeoutError|MongoNotConnectedError|MongoOperationTimeoutError|MongoPoolClearedError|PoolClearedOnNetworkError|MongoServerClosedError|MongoTopologyClosedError)$/;

/**
 * A database that cannot be reached (network, SQLSTATE 08xxx / 57Pxx / 3D000, or a MongoDB
 * selection or network error): an outage, not a bug; a 503 over HTTP, `unavailable` over the
 * bus.
 */
export function isDependencyFailure(exception: unknown): boolean {
  const e = exception as {
    code?: string;
    name?: string;
    driverError?: { code?: string };
    message?: string;
  } | null;
  if (MONGO_UNAVAILABLE.test(e?.name ?? '')) return true;
  const code = `${e?.driverError?.code ?? e?.code ?? ''}`;
  if (NETWORK_CODES.has(code) || /^(08|57P)/.test(code) || code === '3D000') return true;
  return /Connection terminated|timeout exceeded when trying to connect|Query read timeout|Stream isn't writeable|Connection is closed|Command timed out/i.test(
    `${e?.message ?? ''}`,
  );
}
