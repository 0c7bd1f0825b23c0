/**
 * Failpoints for crash tests: inert unless `CLEAVE_FAILPOINTS` names the point. Then the
 * process dies with SIGKILL right there, as a power cut would: no shutdown hooks, no flushing.
 *
 *   CLEAVE_FAILPOINTS=order.after-commit        die the first time the point is reached
 *   CLEAVE_FAILPOINTS=order.after-commit@5      die the fifth time
 *
 * Points: `order.after-commit` (an order and its event are committed, the client has no
 * answer yet and the relay has not run).
 */
const armed = parse(process.env.CLEAVE_FAILPOINTS ?? '');
const hits = new Map<string, number>();

function parse(spec: string): Map<string, number> {
  const points = new Map<string, number>();
  for (const part of spec
    .split(',')
    .map((p) => p.trim())
    .filter(Boolean)) {
    const [name, at] = part.split('@');
    if (name) points.set(name, at ? Math.max(1, Number(at)) : 1);
  }
  return points;
}

export function failpoint(name: string): void {
  const at = armed.get(name);
  if (at === undefined) return;
  const count = (hits.get(name) ?? 0) + 1;
  hits.set(name, count);
  if (count === at) process.kill(process.pid, 'SIGKILL');
}
