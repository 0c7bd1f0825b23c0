/**
 * The probe and scrape endpoints: outside the `/api` prefix, and neither logged line by line nor
 * traced (they would drown the real traffic).
 */
export const PROBE_PATHS = ['health', 'ready', 'metrics'] as const;

const PATHS: ReadonlySet<string> = new Set(PROBE_PATHS.map((p) => `/${p}`));

/** Whether a request URL (query string allowed) is one of the probe paths. */
export function isProbe(url: string | undefined): boolean {
  if (url === undefined) return false;
  const query = url.indexOf('?');
  return PATHS.has(query === -1 ? url : url.slice(0, query));
}
