import { describe, expect, it } from '@jest/globals';
import { OrderCreated } from '../../src/modules/order/order.contract';
import { VerifyCredentials } from '../../src/modules/user/user.contract';
import { createEvent } from '../../src/shared/bus/bus-event';
import {
  decodeWire,
  eventKeyOf,
  ParkedMessage,
  readEvent,
  readPayload,
  readReply,
} from '../../src/shared/bus/reading';

const ORDER = {
  orderId: '8c2c6a1e-3f0e-4d0a-9b7a-2f1d5c7e9a10',
  userId: '5f0c1d2e-8a4b-4c6d-9e0f-1a2b3c4d5e6f',
  status: 'pending' as const,
  totalCents: 2500,
  currency: 'EUR',
};

/** The event as it crosses the wire, JSON and back. */
const wire = (event: unknown) => decodeWire(JSON.stringify({ data: event, headers: {} }));

const parked = (read: () => unknown) => {
  try {
    read();
  } catch (error) {
    if (error instanceof ParkedMessage) return error.reason;
    throw error;
  }
  return 'read';
};

describe('reading a bus message against its contract', () => {
  it('reads an event of this release: the envelope and its data', () => {
    const event = createEvent(OrderCreated, ORDER, ORDER.orderId);
    expect(event).toMatchObject({
      specversion: '1.0',
      source: '/cleave/order',
      type: 'order.created',
      dataversion: '1.0',
    });
    expect(readEvent(OrderCreated, wire(event))).toMatchObject({ id: event.id, data: ORDER });
  });

  it('reads release 0.1.0’s event, which says no version, as version 1.0', () => {
    const old = {
      id: 'e-1',
      type: 'order.created',
      occurredAt: '2026-11-30T00:00:00Z',
      data: ORDER,
    };
    expect(readEvent(OrderCreated, wire(old))).toMatchObject({ dataversion: '1.0', data: ORDER });
  });

  it('ignores fields it does not know and maps a status it does not know to its fallback', () => {
    const newer = createEvent(OrderCreated, ORDER);
    const data = { ...ORDER, status: 'on-hold', giftWrap: true };
    const read = readEvent(OrderCreated, wire({ ...newer, dataversion: '1.7', data, extra: 1 }));
    expect(read.data).toEqual({ ...ORDER, status: 'unknown' });
  });

  it('names the aggregate an event is about, which a consumer orders its handling by', () => {
    const event = createEvent(OrderCreated, ORDER, ORDER.orderId);
    expect(eventKeyOf(wire(event))).toBe(ORDER.orderId);
    expect(eventKeyOf(wire(createEvent(OrderCreated, ORDER)))).toBeUndefined();
    // What says no key a consumer can order by: handled without waiting for anything.
    expect(eventKeyOf(wire({ ...event, key: 42 }))).toBeUndefined();
    expect(eventKeyOf(wire(null))).toBeUndefined();
    expect(eventKeyOf(wire('text'))).toBeUndefined();
    // The envelope's key, not one its data or the message's headers happen to carry.
    expect(eventKeyOf(wire({ id: 'e1', type: 'order.created', data: { key: 'k' } }))).toBe(
      undefined,
    );
  });

  it('parks, with a reason, what it cannot read', () => {
    const event = createEvent(OrderCreated, ORDER);
    expect(parked(() => decodeWire('{not json'))).toBe('not-json');
    expect(parked(() => decodeWire('"just a string"'))).toBe('no-envelope');
    expect(parked(() => readEvent(OrderCreated, wire({ ...event, id: undefined })))).toBe(
      'no-envelope',
    );
    expect(parked(() => readEvent(OrderCreated, wire({ ...event, type: 'order.deleted' })))).toBe(
      'no-envelope',
    );
    expect(parked(() => readEvent(OrderCreated, wire({ ...event, dataversion: '2.0' })))).toBe(
      'unknown-version',
    );
    expect(parked(() => readEvent(OrderCreated, wire({ ...event, dataversion: 'v2' })))).toBe(
      'no-envelope',
    );
    expect(
      parked(() =>
        readEvent(OrderCreated, wire({ ...event, data: { ...ORDER, totalCents: '1' } })),
      ),
    ).toBe('invalid-payload');
    expect(parked(() => readEvent(OrderCreated, wire({ ...event, data: { orderId: 'x' } })))).toBe(
      'invalid-payload',
    );
  });

  it('reads a request by the version its headers say, and a reply by its envelope', () => {
    const request = (headers: Record<string, string>, data: unknown) =>
      readPayload(VerifyCredentials, VerifyCredentials.request, { data, headers });
    const credentials = { email: 'ada@example.com', password: 'correct-horse' };
    expect(request({}, credentials)).toEqual(credentials);
    expect(request({ 'ce-dataversion': '1.3' }, { ...credentials, otp: '1' })).toEqual(credentials);
    expect(parked(() => request({ 'ce-dataversion': '2.0' }, credentials))).toBe('unknown-version');
    expect(parked(() => request({}, { email: 'ada@example.com' }))).toBe('invalid-payload');
    const user = { id: ORDER.userId, roles: ['user', 'auditor'] };
    // A role this release does not know grants nothing: it is left out.
    expect(readReply(VerifyCredentials, { response: { user } })).toEqual({
      user: { id: ORDER.userId, roles: ['user'] },
    });
    expect(
      parked(() =>
        readReply(VerifyCredentials, { response: { user }, ce: { 'ce-dataversion': '3.1' } }),
      ),
    ).toBe('unknown-version');
  });
});
