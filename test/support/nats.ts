import { randomBytes } from 'node:crypto';
import { jetstreamManager } from '@nats-io/jetstream';
import { connect } from '@nats-io/transport-node';
import { natsNames } from '../../src/shared/bus/nats/nats-link';

/** One round trip to NATS with JetStream: undefined when it answers, else why not. */
export async function probeNats(url: string): Promise<string | undefined> {
  try {
    const nc = await connect({ servers: url, timeout: 2000, maxReconnectAttempts: 0 });
    try {
      await (await jetstreamManager(nc, { timeout: 2000 })).getAccountInfo();
      return undefined;
    } finally {
      await nc.close();
    }
  } catch (error) {
    return error instanceof Error ? error.message : String(error);
  }
}

/** A namespace of its own for one test app or suite: subjects, streams and consumers apart. */
export function natsNamespace(): string {
  return `t_${randomBytes(5).toString('hex')}`;
}

/** Deletes the streams (and with them the consumers) of a test namespace. */
export async function dropNatsNamespace(url: string, namespace: string): Promise<void> {
  const names = natsNames(namespace);
  const nc = await connect({ servers: url, timeout: 2000, maxReconnectAttempts: 0 });
  try {
    const jsm = await jetstreamManager(nc, { timeout: 2000 });
    for (const stream of [names.eventStream, names.deadLetterStream]) {
      await jsm.streams.delete(stream).catch(() => false);
    }
  } finally {
    await nc.close();
  }
}
