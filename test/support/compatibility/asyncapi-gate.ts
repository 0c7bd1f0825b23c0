import { diff } from '@asyncapi/diff';
import { messageStandard } from './asyncapi-standard';
import type { Break, GateReport, Waived } from './breaks';
import { type Json, normalize } from './normalize';

interface Change {
  action: 'add' | 'remove' | 'edit';
  path: string;
  type: 'breaking' | 'non-breaking' | 'unclassified';
}

/**
 * Compares this release's AsyncAPI document with the previous release's, with @asyncapi/diff
 * (and `messageStandard` for what is inside a message). Breaking, and unclassified (a change
 * nobody judged is not known to be safe), unless:
 * - it removes what a module used, not what it offered: an operation that consumed an event or
 *   a broadcast, or asked a request, or one of its messages (no other module depends on that);
 * - it removes a major version of a message that the previous release already published or
 *   answered beside a newer major, which this release still has (kept for one release).
 */
export function compareAsyncApi(previous: Json, current: Json): GateReport {
  const before = normalize(previous);
  const after = normalize(current);
  const changes = (
    diff(before, after, { override: messageStandard(after, before) }).getOutput() as {
      changes: Change[];
    }
  ).changes;
  const breaking: Break[] = [];
  const waived: Waived[] = [];
  for (const change of changes) {
    // The document's own version and prose say nothing a reader depends on.
    if (change.type === 'non-breaking' || change.path.startsWith('/info/')) continue;
    const found: Break = {
      contract: 'asyncapi.json',
      at: change.path,
      what: change.type === 'unclassified' ? `${change.action} (unclassified)` : change.action,
    };
    const why = change.action === 'remove' && excuse(change.path, before, after);
    if (why) waived.push({ ...found, why });
    else breaking.push(found);
  }
  const nonBreaking = changes.filter((c) => c.type === 'non-breaking').length;
  return { breaking, waived, nonBreaking };
}

function excuse(path: string, before: Json, after: Json): string | undefined {
  const segments = path.split('/');
  const removed = segments.at(-2) === 'messages' ? segments.at(-1) : undefined;
  if (segments[1] === 'operations' && (segments.length === 3 || removed)) {
    const operation = (before.operations as Record<string, Json>)[segments[2]];
    if (operation && !offers(operation)) return 'a module stopped using a message';
  }
  const major = removed && MAJOR.exec(removed);
  if (!major) return undefined;
  const [, name, reply = '', n] = major;
  const newer = (document: Json) =>
    Object.keys((document.components as { messages: Json }).messages).some((key) => {
      const other = MAJOR.exec(key);
      return other?.[1] === name && (other[2] ?? '') === reply && Number(other[3]) > Number(n);
    });
  return newer(before) && newer(after)
    ? `${removed} was published beside a newer major in the previous release`
    : undefined;
}

/** A message id: its name, `.reply` for a reply, and its major. */
const MAJOR = /^(.+?)(\.reply)?\.v(\d+)$/;

/** Whether an operation offers something to others: publishes, broadcasts, or answers. */
function offers(operation: Json): boolean {
  return (operation.action === 'send') === (operation.reply === undefined);
}
