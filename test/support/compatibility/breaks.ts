import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ROOT } from '../paths';

/** Which published document a change is in. */
export type Contract = 'asyncapi.json' | 'openapi.json';

/** A change the gate judged breaking. */
export interface Break {
  contract: Contract;
  /** Where: a JSON pointer (AsyncAPI) or the differ's location (OpenAPI). */
  at: string;
  /** What the differ said: its action or code, and `unclassified` when it could not say. */
  what: string;
}

/** A breaking change the gate let through, and why. */
export interface Waived extends Break {
  why: string;
}

export interface GateReport {
  breaking: Break[];
  waived: Waived[];
  /** Changes the differ classified as not breaking. */
  nonBreaking: number;
}

/**
 * A deliberate break of the previous release's contract, written down with its reason:
 * `releases/accepted.json` holds them, for one previous release only (cutting a release empties
 * it). `at` matches a change's location or anything under it; `*` stands for one path segment.
 */
export interface Accepted {
  contract: Contract;
  at: string;
  reason: string;
}

interface AcceptedFile {
  previous: string;
  accepted: Accepted[];
}

export function acceptedBreaks(previousVersion: string): Accepted[] {
  const file = JSON.parse(
    readFileSync(join(ROOT, 'releases', 'accepted.json'), 'utf8'),
  ) as AcceptedFile;
  if (file.previous !== previousVersion) {
    throw new Error(
      `releases/accepted.json is about release ${file.previous}, the previous release is ` +
        `${previousVersion}: empty it when a release is cut`,
    );
  }
  return file.accepted;
}

export function matches(entry: Accepted, change: Break): boolean {
  if (entry.contract !== change.contract) return false;
  const pattern = entry.at
    .split('*')
    .map((part) => part.replace(/[.+?^${}()|[\]\\]/g, '\\$&'))
    .join('[^/]*');
  return new RegExp(`^${pattern}(?:/.*)?$`).test(change.at);
}

/**
 * Moves the breaks `accepted` names from `breaking` to `waived`, and lists the entries that
 * matched nothing (stale: the gate fails on them too, so the file never outgrows its release).
 */
export function applyAccepted(
  report: GateReport,
  accepted: readonly Accepted[],
): GateReport & { unused: Accepted[] } {
  const used = new Set<Accepted>();
  const breaking: Break[] = [];
  const waived = [...report.waived];
  for (const change of report.breaking) {
    const entry = accepted.find((a) => matches(a, change));
    if (entry) {
      used.add(entry);
      waived.push({ ...change, why: `accepted: ${entry.reason}` });
    } else {
      breaking.push(change);
    }
  }
  return { ...report, breaking, waived, unused: accepted.filter((a) => !used.has(a)) };
}

/** One line per break, as the gate prints it. */
export function describeBreaks(breaks: readonly Break[]): string {
  return breaks.map((b) => `  ${b.contract} ${b.what} at ${b.at}`).join('\n');
}
