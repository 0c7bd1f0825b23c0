import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from '@jest/globals';
import { z } from 'zod';
import { describeBus } from '../../../src/cli/asyncapi/bus-description';
import { buildAsyncApi, type BusDescription } from '../../../src/shared/bus/asyncapi/document';
import { defineEvent, type MessageContract } from '../../../src/shared/bus/contract';
import { UserDeleted, UserRegistered } from '../../../src/modules/user/user.contract';
import { compareAsyncApi } from '../../support/compatibility/asyncapi-gate';
import type { GateReport } from '../../support/compatibility/breaks';
import type { Json } from '../../support/compatibility/normalize';
import { compareOpenApi, type OpenApi } from '../../support/compatibility/openapi-gate';
import { ROOT } from '../../support/paths';

/** Deliberately broken copies of this release's documents: the gate must report each. */
const read = <T>(file: string) => JSON.parse(readFileSync(join(ROOT, file), 'utf8')) as T;
const ASYNCAPI = read<Json>('asyncapi.json');
const OPENAPI = read<OpenApi>('openapi.json');

type Doc = { components: { messages: Record<string, { payload: Schema }> } };
type Schema = { properties: Record<string, Schema>; required?: string[]; type?: string };

/** The schema of an event's `data`, in a copy of the document. */
function eventData(document: Doc, id: string): Schema {
  return document.components.messages[id].payload.properties.data.properties.data;
}

const lines = (report: GateReport) => report.breaking.map((b) => `${b.what} at ${b.at}`);

/** This release's bus with `change` applied to its declarations, as a document. */
function busWith(change: (bus: BusDescription) => Partial<BusDescription>): Json {
  const bus = describeBus();
  return JSON.parse(JSON.stringify(buildAsyncApi({ ...bus, ...change(bus) }))) as Json;
}

/** `user.registered` 2.0: `roles` removed, which only a new major may do. */
const UserRegisteredV2 = defineEvent({
  ...UserRegistered,
  version: '2.0',
  data: z.object({ userId: z.uuid() }),
});

/** The bus with `user.registered` 2.0 published (and read by the order module) beside or instead of 1.x. */
function withMajor2(keepOld: boolean) {
  return (bus: BusDescription): Partial<BusDescription> => {
    const swap = (c: MessageContract) => (c === UserRegistered ? UserRegisteredV2 : c);
    const messages = keepOld ? [...bus.messages, UserRegisteredV2] : bus.messages.map(swap);
    const order = bus.modules.order;
    const handles = keepOld
      ? [
          ...order.handles,
          { contract: UserRegisteredV2, consumer: 'order-account-view-registered-2' },
        ]
      : order.handles.map((h) => ({ ...h, contract: swap(h.contract) }));
    return { messages, modules: { ...bus.modules, order: { ...order, handles } } };
  };
}

describe('the AsyncAPI gate, shown broken copies of asyncapi.json', () => {
  it('reports a field removed from an event’s data', () => {
    const broken = structuredClone(ASYNCAPI) as unknown as Doc;
    const data = eventData(broken, 'order.created.v1');
    delete data.properties.currency;
    data.required = data.required!.filter((f) => f !== 'currency');
    expect(lines(compareAsyncApi(ASYNCAPI, broken as unknown as Json))).toEqual([
      'remove at /components/messages/order.created.v1/payload/properties/data/properties/data/required/currency',
      'remove at /components/messages/order.created.v1/payload/properties/data/properties/data/properties/currency',
    ]);
  });

  it('reports a retyped field', () => {
    const broken = structuredClone(ASYNCAPI) as unknown as Doc;
    eventData(broken, 'order.created.v1').properties.totalCents.type = 'string';
    expect(lines(compareAsyncApi(ASYNCAPI, broken as unknown as Json))).toEqual([
      'edit at /components/messages/order.created.v1/payload/properties/data/properties/data/properties/totalCents/type',
    ]);
  });

  it('reports an optional field made required', () => {
    const broken = structuredClone(ASYNCAPI) as unknown as Doc;
    eventData(broken, 'user.registered.v1').required!.push('accountVersion');
    expect(lines(compareAsyncApi(ASYNCAPI, broken as unknown as Json))).toEqual([
      'add at /components/messages/user.registered.v1/payload/properties/data/properties/data/required/accountVersion',
    ]);
  });

  it('reports a message removed, and not its consumers’ operations', () => {
    const broken = busWith((bus) => ({
      messages: bus.messages.filter((c) => c !== UserDeleted),
      modules: Object.fromEntries(
        Object.entries(bus.modules).map(([name, part]) => [
          name,
          { ...part, handles: part.handles.filter((h) => h.contract !== UserDeleted) },
        ]),
      ),
    }));
    const report = compareAsyncApi(ASYNCAPI, broken);
    expect(lines(report)).toEqual([
      'remove at /components/messages/user.deleted.v1',
      'remove at /operations/user.publishes.user.deleted',
      'remove at /channels/user.deleted',
    ]);
    expect(report.waived.map((w) => w.at).sort()).toEqual([
      '/operations/auth.consumes.user.deleted',
      '/operations/order.consumes.user.deleted',
    ]);
  });

  it('passes a field removed under a raised major while the old major is still published', () => {
    const report = compareAsyncApi(ASYNCAPI, busWith(withMajor2(true)));
    expect(lines(report)).toEqual([]);
    expect(report.nonBreaking).toBeGreaterThan(0);
  });

  it('reports a raised major that does not keep the old one beside it', () => {
    expect(lines(compareAsyncApi(ASYNCAPI, busWith(withMajor2(false))))).toEqual([
      'remove at /components/messages/user.registered.v1',
      'remove at /operations/user.publishes.user.registered/messages/user.registered.v1',
      'remove at /channels/user.registered/messages/user.registered.v1',
    ]);
  });

  it('passes the old major’s removal one release after the new one was published beside it', () => {
    const report = compareAsyncApi(busWith(withMajor2(true)), busWith(withMajor2(false)));
    expect(lines(report)).toEqual([]);
    expect(report.waived.map((w) => w.why)).toContain(
      'user.registered.v1 was published beside a newer major in the previous release',
    );
  });
});

describe('the OpenAPI gate, shown broken copies of openapi.json', () => {
  type Schemas = Record<string, Schema & { properties: Record<string, Schema & Json> }>;
  const schemas = (document: OpenApi) => (document.components as { schemas: Schemas }).schemas;
  const codes = async (broken: OpenApi) =>
    (await compareOpenApi(OPENAPI, broken)).breaking.map((b) => `${b.what} at ${b.at}`);

  it('reports a route removed', async () => {
    const broken = structuredClone(OPENAPI);
    delete broken.paths['/api/users/me'].delete;
    expect(await codes(broken)).toEqual(['method.remove at paths./api/users/me.delete']);
  });

  it('reports a response field removed, and one retyped, on every route that returns it', async () => {
    const removed = structuredClone(OPENAPI);
    delete schemas(removed).OrderDto.properties.currency;
    const retyped = structuredClone(OPENAPI);
    schemas(retyped).OrderDto.properties.totalCents.type = 'string';
    for (const broken of [removed, retyped]) {
      expect(await codes(broken)).toEqual(
        expect.arrayContaining([
          'response.body.scope.add at paths./api/orders/{id}.get.responses.200.content.application/json.schema',
        ]),
      );
    }
  });

  it('reports a newly required request field, and a newly required parameter', async () => {
    const broken = structuredClone(OPENAPI);
    const profile = schemas(broken).UpdateProfileDto;
    profile.properties.bio = { type: 'string' } as Schema & Json;
    profile.required = [...(profile.required ?? []), 'bio'];
    const limit = broken.paths['/api/orders'].get.parameters!.find((p) => p.name === 'limit')!;
    limit.required = true;
    expect(await codes(broken)).toEqual([
      'request.body.scope.remove at paths./api/users/me.patch.requestBody.content.application/json.schema',
      'parameter.required at paths./api/orders.get.parameters.query.limit',
    ]);
  });

  it('reports a response status removed, and passes one added', async () => {
    const broken = structuredClone(OPENAPI) as OpenApi & {
      paths: Record<string, Record<string, { responses: Record<string, unknown> }>>;
    };
    delete broken.paths['/api/orders'].post.responses['422'];
    // A status the document does not give the route yet (429 and the like it already has).
    broken.paths['/api/orders'].get.responses['402'] = { description: 'Payment required' };
    expect(await codes(broken)).toEqual([
      'response.status-code.remove at paths./api/orders.post.responses.422',
    ]);
  });

  it('reports a narrower request constraint (a new maxLength) as breaking', async () => {
    const broken = structuredClone(OPENAPI);
    (schemas(broken).ChangeStatusDto.properties.status as Json).maxLength = 20;
    expect(await codes(broken)).toEqual([
      'request.body.scope.remove at paths./api/orders/{id}/status.patch.requestBody.content.application/json.schema',
    ]);
  });
});
