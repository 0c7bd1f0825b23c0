import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, expect, it, jest } from '@jest/globals';
import { jetstream, jetstreamManager } from '@nats-io/jetstream';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { AUTH_MESSAGES } from '../../../src/modules/auth/auth.contract';
import { ORDER_MESSAGES } from '../../../src/modules/order/order.contract';
import { USER_MESSAGES } from '../../../src/modules/user/user.contract';
import type { MessageContract } from '../../../src/shared/bus/contract';
import { natsNames } from '../../../src/shared/bus/nats/nats-link';
import { sampleTotal } from '../../support/metrics';
import { missingServices, SERVICES, SPLIT_SERVICES } from '../../support/services';
import { describeOrSkip } from '../../support/skip';
import { apiSmoke } from '../../support/smoke';
import { startSplitApp, type SplitApp } from '../../support/split';
import { eventually } from '../../support/api';

jest.setTimeout(300_000);

const MESSAGES: readonly MessageContract[] = [
  ...USER_MESSAGES,
  ...ORDER_MESSAGES,
  ...AUTH_MESSAGES,
];

/**
 * What a misbehaving or newer peer might put on the bus, for a message declared by `contract`:
 * not JSON, no envelope, no required attribute, a major version this release does not read,
 * and a payload of the wrong shape. Each as the text that crosses the wire.
 */
function badMessagesFor(contract: MessageContract): Array<{ what: string; text: string }> {
  const id = () => randomUUID();
  if (contract.kind === 'event') {
    const event = (over: Record<string, unknown>) =>
      JSON.stringify({
        data: {
          specversion: '1.0',
          id: id(),
          type: contract.name,
          dataversion: '1.0',
          data: {},
          ...over,
        },
        headers: {},
      });
    return [
      { what: 'not JSON', text: '{"data": {"id": ' },
      { what: 'no envelope', text: JSON.stringify(['an', 'array']) },
      { what: 'no id', text: event({ id: undefined }) },
      { what: 'unknown major version', text: event({ dataversion: '9.0' }) },
      // Every payload is an object: a list is the wrong shape for each of them.
      { what: 'wrong payload', text: event({ data: ['not', 'an', 'object'] }) },
    ];
  }
  const message = (data: unknown, headers: Record<string, string> = {}) =>
    JSON.stringify({ data, headers });
  return [
    { what: 'not JSON', text: 'not json at all' },
    { what: 'no envelope', text: JSON.stringify(42) },
    { what: 'unknown major version', text: message({}, { 'ce-dataversion': '7.1' }) },
    { what: 'wrong payload', text: message(['not', 'an', 'object']) },
  ];
}

/**
 * Bad input on the bus: on every subject the modules listen on (every request, event and
 * broadcast of the three contracts), messages that are not JSON, lack the envelope or its
 * attributes, say a major version this release does not read, or carry a payload of the wrong
 * shape. Each is set aside with its reason and counted (`bus_messages_parked_total`), answered
 * as unreadable where a reply is due, never retried; every process keeps serving, and the valid
 * messages behind them go through (the API smoke journey, with its events).
 */
describeOrSkip('bad input on the bus', missingServices(...SPLIT_SERVICES), () => {
  let app: SplitApp;
  let nc: NatsConnection;
  beforeAll(async () => {
    app = await startSplitApp({ NATS_MAX_DELIVER: '3' });
    nc = await connect({ servers: SERVICES.nats });
  });
  afterAll(async () => {
    await nc?.close();
    await app?.close();
  });

  const processes = () => [app.processes.auth, app.processes.user, app.processes.order];
  const parkedEverywhere = async () => {
    let total = 0;
    for (const p of processes())
      total += sampleTotal(
        await (await fetch(`${p.url}/metrics`)).text(),
        'bus_messages_parked_total',
      );
    return total;
  };

  it('parks every bad message on every subject with its reason, answers requests as unreadable, and keeps serving', async () => {
    const names = natsNames(app.env.NATS_NAMESPACE);
    const js = jetstream(nc);
    let sent = 0;
    for (const contract of MESSAGES) {
      for (const { what, text } of badMessagesFor(contract)) {
        if (contract.kind === 'request') {
          const reply = await nc.request(names.rpc(contract.name), text, { timeout: 5000 });
          const answer = reply.json<{ err?: { code: string; kind: string } }>();
          expect({ pattern: contract.name, what, err: answer.err }).toEqual({
            pattern: contract.name,
            what,
            err: expect.objectContaining({ code: 'BUS.UNREADABLE_MESSAGE', kind: 'unavailable' }),
          });
        } else {
          if (contract.kind === 'broadcast') nc.publish(names.broadcast(contract.name), text);
          await js.publish(names.event(contract.name), text, { msgID: randomUUID() });
        }
        sent += 1;
      }
    }
    await nc.flush();
    // Every message reached someone who set it aside (events: each consumer of their type).
    await eventually(
      async () => expect(await parkedEverywhere()).toBeGreaterThanOrEqual(sent),
      60_000,
    );
    for (const p of processes()) expect((await fetch(`${p.url}/health`)).status).toBe(200);

    // Parked, not retried: the unreadable events are in the dead-letter stream, marked so, once.
    const jsm = await jetstreamManager(nc);
    const info = await jsm.streams.info(names.deadLetterStream);
    expect(info.state.messages).toBeGreaterThan(0);
    const parkedBefore = await parkedEverywhere();

    // And the valid messages behind them go through: the whole journey, events included.
    await apiSmoke(app.url);
    expect(await parkedEverywhere()).toBe(parkedBefore);
  });
});
