/**
 * Failpoints for crash and fault tests: inert unless `CLEAVE_FAILPOINTS` names the point. Then
 * the process dies with SIGKILL right there, as a power cut would (no shutdown hooks, no
 * flushing), or, with `:throw`, the code there throws as a bug would.
 *
 *   CLEAVE_FAILPOINTS=order.after-commit        die the first time the point is reached
 *   CLEAVE_FAILPOINTS=order.after-commit@5      die the fifth time
 *   CLEAVE_FAILPOINTS=user.me:throw             throw every time
 *   CLEAVE_FAILPOINTS=user.me:throw@2           throw the second time only
 *   CLEAVE_FAILPOINTS=user.me:throw@1-2         throw the first and second time
 *
 * Points: `order.after-commit` (an order and its event are committed, the client has no
 * answer yet and the relay has not run), `user.me` (reading the caller's profile),
 * `user.check-account` (the user module answering release 0.1.0's account check),
 * `user.verify-credentials` (the user module checking a login's credentials over the bus),
 * `order.cancel-open-orders` (the order module handling `user.deleted`).
 */
interface Armed {
  action: 'kill' | 'throw';
  /** The hits that fire, first to last; undefined: every hit (throw only). */
  at?: { first: number; last: number };
}

const armed = parse(process.env.CLEAVE_FAILPOINTS ?? '');
const hits = new Map<string, number>();

function parse(spec: string): Map<string, Armed> {
  const points = new Map<string, Armed>();
  for (const part of spec
    .split(',')
    .map((p) => p.trim())
    .filter(Boolean)) {
    const [point = '', at] = part.split('@');
    const [name, action] = point.split(':');
    if (!name) continue;
    const [first, last = first] = (at ?? '').split('-').map((n) => Math.max(1, Number(n)));
    const hits = at && first !== undefined ? { first, last } : undefined;
    points.set(
      name,
      action === 'throw'
        ? { action, at: hits }
        : { action: 'kill', at: hits ?? { first: 1, last: 1 } },
    );
  }
  return points;
}

/** Thrown by a `:throw` failpoint: a stand-in for a bug. */
export class FailpointError extends Error {
  override readonly name = 'FailpointError';
}

export function failpoint(name: string): void {
  const point = armed.get(name);
  if (point === undefined) return;
  const count = (hits.get(name) ?? 0) + 1;
  hits.set(name, count);
  if (point.at !== undefined && (count < point.at.first || count > point.at.last)) return;
  if (point.action === 'kill') process.kill(process.pid, 'SIGKILL');
  else throw new FailpointError(`failpoint ${name}`);
}
