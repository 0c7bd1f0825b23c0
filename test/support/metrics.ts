/** The value of one sample in Prometheus text, or undefined when there is none. */
export function sample(
  text: string,
  name: string,
  labels: Record<string, string>,
): number | undefined {
  for (const line of text.split('\n')) {
    const match = /^([a-zA-Z_:][\w:]*)(?:\{(.*)\})? (\S+)$/.exec(line);
    if (!match || match[1] !== name) continue;
    const found = Object.fromEntries(
      [...(match[2] ?? '').matchAll(/(\w+)="((?:[^"\\]|\\.)*)"/g)].map((m) => [m[1], m[2]]),
    );
    if (Object.entries(labels).every(([k, v]) => found[k] === v)) return Number(match[3]);
  }
  return undefined;
}

/**
 * How many `kind` messages of `pattern` the handlers of a process finished with `outcome`, by
 * its /metrics `text`; undefined before the first.
 */
export function handled(
  text: string,
  kind: 'event' | 'request',
  pattern: string,
  outcome = 'ok',
): number | undefined {
  return sample(text, 'bus_handler_duration_seconds_count', { kind, pattern, outcome });
}

/** The sum of every sample of `name`, whatever its labels, in Prometheus text; 0 without one. */
export function sampleTotal(text: string, name: string): number {
  return text
    .split('\n')
    .map((line) => /^([a-zA-Z_:][\w:]*)(?:\{.*\})? (\S+)$/.exec(line))
    .filter((match) => match?.[1] === name)
    .reduce((sum, match) => sum + Number(match![2]), 0);
}

/**
 * The hook for parked bus messages: `bus_messages_parked_total` in one process's /metrics, the
 * messages its handlers set aside unread (an unknown contract version, a wrong shape) instead
 * of retrying them. The metric comes with the versioned bus contract (issue 20, §2); a release
 * without it has parked nothing, so a missing metric counts as 0.
 */
export async function parkedMessages(url: string): Promise<number> {
  const res = await fetch(`${url}/metrics`, { signal: AbortSignal.timeout(5000) });
  if (!res.ok) throw new Error(`${url}/metrics answered ${res.status}`);
  return sampleTotal(await res.text(), 'bus_messages_parked_total');
}
