import { mkdir, open, readFile, rename, writeFile, type FileHandle } from 'node:fs/promises';
import { dirname } from 'node:path';
import type { Revocation } from './session-repository';

/**
 * The in-memory session repository's revocations, in a file: a JSON line per revocation, flushed
 * to disk before the revoking request is answered. Read back at start (what is still within the
 * kept window) so that a session revoked before a restart stays revoked after it: access tokens
 * outlive a restart (the signing key is kept under DATA_DIR), so their revocations must too.
 */
export class RevocationJournalFile {
  private writing: Promise<void> = Promise.resolve();

  private constructor(private readonly file: FileHandle) {}

  /** Opens the journal, keeping (and returning) the revocations recorded since `sinceMs`. */
  static async open(
    path: string,
    sinceMs: number,
  ): Promise<{ journal: RevocationJournalFile; kept: Revocation[] }> {
    await mkdir(dirname(path), { recursive: true });
    const text = await readFile(path, 'utf8').catch((error: NodeJS.ErrnoException) => {
      if (error.code === 'ENOENT') return '';
      throw error;
    });
    const kept: Revocation[] = [];
    for (const line of text.split('\n')) {
      const entry = parseLine(line);
      if (entry && entry.revokedAtMs >= sinceMs) kept.push(entry);
    }
    // Compacted: what is past the window goes, and so does a line cut short by a crash.
    await writeFile(`${path}.tmp`, kept.map(formatLine).join(''));
    await rename(`${path}.tmp`, path);
    return { journal: new RevocationJournalFile(await open(path, 'a')), kept };
  }

  /** Appends and flushes, one write at a time. */
  append(revocations: readonly Revocation[]): Promise<void> {
    if (revocations.length === 0) return Promise.resolve();
    const next = this.writing.then(async () => {
      await this.file.write(revocations.map(formatLine).join(''));
      await this.file.datasync();
    });
    this.writing = next.catch(() => undefined);
    return next;
  }

  async close(): Promise<void> {
    await this.writing;
    await this.file.close();
  }
}

function formatLine({ sessionId, revokedAtMs }: Revocation): string {
  return `${JSON.stringify({ s: sessionId, t: revokedAtMs })}\n`;
}

function parseLine(line: string): Revocation | undefined {
  try {
    const { s, t } = JSON.parse(line) as { s?: unknown; t?: unknown };
    return typeof s === 'string' && typeof t === 'number'
      ? { sessionId: s, revokedAtMs: t }
      : undefined;
  } catch {
    return undefined;
  }
}
