import { randomBytes } from 'node:crypto';
import { jetstreamManager } from '@nats-io/jetstream';
import { connect } from '@nats-io/transport-node';
import Redis from 'ioredis';
import { describe, log, settings } from './settings';

/** NATS namespaces the run used: their streams are deleted at the end. */
const namespaces: string[] = [];

/** A fresh NATS namespace (NATS_NAMESPACE) for this run. */
export function newNamespace(): string {
  const namespace = `bench_${randomBytes(4).toString('hex')}`;
  namespaces.push(namespace);
  return namespace;
}

/** Removes what the bench left on NATS (its namespaces' streams) and Redis (its sessions). */
export async function removeServerState(): Promise<void> {
  for (const namespace of namespaces.splice(0)) {
    try {
      await deleteStreams(namespace);
    } catch (error) {
      log(`could not remove NATS namespace ${namespace}: ${describe(error)}`);
    }
  }
  try {
    await deleteSessions();
  } catch (error) {
    log(`could not remove the bench's Redis keys: ${describe(error)}`);
  }
}

async function deleteStreams(namespace: string): Promise<void> {
  const nc = await connect({ servers: settings.natsUrl, timeout: 2000, maxReconnectAttempts: 0 });
  const jsm = await jetstreamManager(nc);
  for (const stream of [`${namespace}_EVENTS`, `${namespace}_DEADLETTER`])
    await jsm.streams.delete(stream).catch(() => false);
  await nc.close();
}

async function deleteSessions(): Promise<void> {
  const redis = new Redis(settings.redisUrl, { lazyConnect: true, maxRetriesPerRequest: 1 });
  await redis.connect();
  const keys = await redis.keys('cleave:auth:*');
  if (keys.length > 0) await redis.del(...keys);
  redis.disconnect();
}
