import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import mongoose from 'mongoose';

const { MongoClient } = mongoose.mongo;

/**
 * The MongoDB the tests use: a real `mongod` when TEST_MONGO_URL names one, otherwise the
 * MongoDB-compatible test server shipped as `@jongodb/memory-server-bin-linux-x64-gnu`, started
 * for the run on a loopback port (it keeps everything in memory and stops with the run).
 */
export const JONGODB_BINARY = (() => {
  try {
    return require.resolve('@jongodb/memory-server-bin-linux-x64-gnu/bin/jongodb');
  } catch {
    return undefined;
  }
})();

export interface MongoServer {
  url: string;
  pid?: number;
  stop(): void;
}

/** Starts the test server; resolves once it printed the address it serves on. */
export function startJongodb(timeoutMs = 20_000): Promise<MongoServer> {
  const binary = JONGODB_BINARY;
  if (!binary || !existsSync(binary)) {
    return Promise.reject(
      new Error('the jongodb test server is not installed (npm ci installs it on linux-x64)'),
    );
  }
  const child: ChildProcess = spawn(binary, ['--host=127.0.0.1', '--port=0', '--database=cleave'], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const stop = () => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  };
  return new Promise<MongoServer>((resolve, reject) => {
    let output = '';
    const timer = setTimeout(() => {
      stop();
      reject(new Error(`jongodb did not start within ${timeoutMs} ms: ${output.slice(0, 500)}`));
    }, timeoutMs);
    const onData = (chunk: Buffer) => {
      output += chunk.toString();
      const match = /JONGODB_URI=(mongodb:\/\/\S+)/.exec(output);
      if (!match) return;
      clearTimeout(timer);
      child.stdout!.off('data', onData);
      resolve({ url: match[1], pid: child.pid, stop });
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.once('error', (error) => {
      clearTimeout(timer);
      reject(error);
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`jongodb exited with ${code}: ${output.slice(0, 500)}`));
    });
  });
}

/** One round trip to the server at `url`: undefined when it answers, else why not. */
export async function probeMongo(url: string): Promise<string | undefined> {
  const client = new MongoClient(url, { serverSelectionTimeoutMS: 2000 });
  try {
    await client.connect();
    await client.db().command({ ping: 1 });
    return undefined;
  } catch (error) {
    return error instanceof Error ? error.message : String(error);
  } finally {
    await client.close().catch(() => undefined);
  }
}

/** A fresh database on the test MongoDB, for one app or suite. */
export function mongoDatabaseUrl(serverUrl: string): string {
  const url = new URL(serverUrl);
  url.pathname = `/cleave_t_${randomBytes(6).toString('hex')}`;
  return url.toString();
}

/**
 * Drops a test database. A real `mongod` drops it; the test server has no `dropDatabase` and
 * forgets everything when the run ends, so there is nothing to do.
 */
export async function dropMongoDatabase(url: string): Promise<void> {
  const client = new MongoClient(url, { serverSelectionTimeoutMS: 2000 });
  try {
    await client.db().dropDatabase();
  } catch {
    // the test server: in memory, gone with the run
  } finally {
    await client.close().catch(() => undefined);
  }
}
