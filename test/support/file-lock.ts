import { spawn } from 'node:child_process';
import { createInterface } from 'node:readline';

/**
 * Runs `fn` while holding an exclusive lock on `file`, shared with every process on this
 * machine (other Jest runs, other checkouts that use the same cache). The lock is flock(1)'s:
 * it belongs to a small child (`cat`) that holds it until its stdin closes, that is when `fn`
 * is done or when this process dies, however it dies. So a crashed holder never leaves a stale
 * lock behind, which a lock file with a PID in it cannot promise without a race of its own.
 */
export async function withFileLock<T>(
  file: string,
  timeoutMs: number,
  fn: () => Promise<T>,
): Promise<T> {
  const holder = spawn(
    'flock',
    [
      '--exclusive',
      '--timeout',
      String(Math.ceil(timeoutMs / 1000)),
      file,
      'sh',
      '-c',
      'echo locked && exec cat >/dev/null',
    ],
    { stdio: ['pipe', 'pipe', 'pipe'] },
  );
  let stderr = '';
  const exited = new Promise<number | null>((resolve) => {
    holder.once('error', (error) => {
      stderr += error.message;
      resolve(null);
    });
    holder.once('exit', (code) => resolve(code));
  });
  holder.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const locked = await new Promise<boolean>((resolve) => {
    createInterface({ input: holder.stdout }).once('line', () => resolve(true));
    void exited.then(() => resolve(false));
  });
  try {
    if (!locked) {
      const code = await exited;
      throw new Error(
        code === 1
          ? `${file} stayed locked by another process for ${timeoutMs} ms`
          : `flock could not lock ${file} (${stderr.trim() || `exit ${String(code)}`})`,
      );
    }
    return await fn();
  } finally {
    holder.stdin.end();
    const killer = setTimeout(() => holder.kill('SIGKILL'), 5000);
    await exited;
    clearTimeout(killer);
  }
}
