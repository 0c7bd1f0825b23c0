import { majorOf, type MessageContract, type RequestContract } from '../contract';
import type { Envelope } from './envelope';
import { jsonSchemaOf, type JsonSchema } from './json-schema';

/** A module's part in the bus: the messages it handles (by which handler) and what it asks. */
export interface Participant {
  readonly handles: readonly { contract: MessageContract; consumer?: string }[];
  readonly asks: readonly RequestContract[];
}

/** Everything the AsyncAPI document says, as the code declares it. */
export interface BusDescription {
  readonly version: string;
  readonly description: string;
  readonly messages: readonly MessageContract[];
  /** By module name, in the order they start. */
  readonly modules: Readonly<Record<string, Participant>>;
  readonly envelope: Envelope;
  /** Whether broadcasts are also stored for processes that start later (not in 0.1.0). */
  readonly storesBroadcasts: boolean;
}

type Ref = { $ref: string };
type Node = { [key: string]: unknown };

export interface AsyncApiDocument {
  asyncapi: '3.0.0';
  info: { title: string; version: string; description: string };
  defaultContentType: string;
  servers: Record<string, Node>;
  channels: Record<string, { address: string | null; messages: Record<string, Ref> } & Node>;
  operations: Record<string, { action: 'send' | 'receive'; messages: Ref[] } & Node>;
  components: { messages: Record<string, Node & { payload: JsonSchema }> };
}

/** How the bus lies on NATS, for the document's description. */
export const NATS_LAYOUT =
  'On NATS (TRANSPORT=nats), requests go to `<namespace>.rpc.<name>` (a queue group: one ' +
  'replica answers), events to `<namespace>.events.<name>` (stream `<namespace>_EVENTS`, one ' +
  'durable consumer per handler, `Nats-Msg-Id` = the event id), broadcasts to ' +
  '`<namespace>.broadcast.<name>` (every process) and into `<namespace>.events.<name>`, which a ' +
  'process that starts later replays. On the local transport the same JSON passes in-process.';

/** The evolution rules of `src/shared/bus/contract.ts`, for the document's description. */
export const EVOLUTION_RULES =
  'How a message evolves: adding an optional field, or a value to an enum with a fallback ' +
  '(`x-fallback`), is a minor version; removing, retyping or newly requiring a field is a new ' +
  'major version, published or answered beside the old one for one release. Readers ignore ' +
  'fields they do not know and park a message of a major they do not read ' +
  '(`x-readable-majors`). Message ids carry the major (`user.registered.v1`), `x-version` the ' +
  'major.minor.';

const NAMESPACE = {
  namespace: {
    default: 'cleave',
    description: 'NATS_NAMESPACE: the prefix of every subject, stream and consumer.',
  },
};

export const messageId = (c: MessageContract) => `${c.name}.v${majorOf(c.version)}`;
const replyId = (c: MessageContract) => `${c.name}.reply.v${majorOf(c.version)}`;
const ref = (...path: string[]): Ref => ({ $ref: `#/${path.join('/')}` });

/** The AsyncAPI 3.0 document of the bus `bus` describes. */
export function buildAsyncApi(bus: BusDescription): AsyncApiDocument {
  const doc: AsyncApiDocument = {
    asyncapi: '3.0.0',
    info: { title: 'cleave', version: bus.version, description: bus.description },
    defaultContentType: 'application/json',
    servers: {
      nats: {
        host: '{host}',
        protocol: 'nats',
        description: 'The NATS server of the split shape (NATS_URL).',
        variables: { host: { default: '127.0.0.1:4222', description: 'host:port of NATS_URL' } },
      },
    },
    channels: {},
    operations: {},
    components: { messages: {} },
  };
  for (const contract of bus.messages) describeMessage(doc, contract, bus);
  for (const [module, part] of Object.entries(bus.modules)) {
    for (const contract of new Set(part.handles.map((h) => h.contract))) {
      check(bus, contract, module);
      const consumers = part.handles.flatMap((h) =>
        h.contract === contract && h.consumer ? [h.consumer] : [],
      );
      receive(doc, module, contract, consumers, bus.storesBroadcasts);
    }
    for (const contract of part.asks) {
      check(bus, contract, module);
      operation(doc, `${module}.asks.${contract.name}`, 'send', contract.name, contract, {
        summary: `${module} asks ${contract.name}.`,
        reply: reply(contract),
      });
    }
  }
  for (const contract of bus.messages) {
    const answered = Object.values(bus.modules).some((p) =>
      p.handles.some((h) => h.contract === contract),
    );
    if (contract.kind === 'request' && !answered) {
      throw new Error(`${messageId(contract)}: no module answers it`);
    }
  }
  return doc;
}

function check(bus: BusDescription, contract: MessageContract, module: string): void {
  if (!bus.messages.includes(contract)) {
    throw new Error(`${module} uses ${messageId(contract)}, which no contract list declares`);
  }
}

/** The message, its channel(s), and the operation of the module that sends or answers it. */
function describeMessage(doc: AsyncApiDocument, c: MessageContract, bus: BusDescription): void {
  const { envelope } = bus;
  const id = messageId(c);
  const common = {
    summary: c.summary,
    ...(c.description !== undefined || c.deprecated !== undefined
      ? {
          description: [c.description, c.deprecated && `Deprecated: ${c.deprecated}`]
            .filter(Boolean)
            .join(' '),
        }
      : {}),
    contentType: 'application/json',
    ...(c.deprecated !== undefined && { deprecated: true }),
  };
  const extensions = {
    'x-version': c.version,
    'x-owner': c.owner,
    'x-readable-majors': c.readable,
  };
  const correlationId = {
    description: 'The HTTP request that caused it (`x-request-id`).',
    location: c.kind === 'event' ? envelope.correlation.event : envelope.correlation.request,
  };
  switch (c.kind) {
    case 'event':
      doc.components.messages[id] = {
        name: c.name,
        title: `${c.name} ${c.version}`,
        ...common,
        correlationId,
        headers: {
          type: 'object',
          properties: { 'Nats-Msg-Id': { type: 'string', description: 'The event’s id.' } },
        },
        payload: jsonSchemaOf(envelope.event(c)),
        ...extensions,
      };
      channel(doc, c.name, `{namespace}.events.${c.name}`, id, 'Stored in the events stream.');
      operation(doc, `${c.owner}.publishes.${c.name}`, 'send', c.name, c, {
        summary: `${c.owner} publishes ${c.name} through its outbox.`,
      });
      return;
    case 'broadcast':
      doc.components.messages[id] = {
        name: c.name,
        title: `${c.name} ${c.version}`,
        ...common,
        correlationId,
        payload: jsonSchemaOf(envelope.broadcast(c)),
        ...extensions,
      };
      channel(doc, c.name, `{namespace}.broadcast.${c.name}`, id, 'Heard by every process.');
      operation(doc, `${c.owner}.broadcasts.${c.name}`, 'send', c.name, c, {
        summary: `${c.owner} broadcasts ${c.name} to every process.`,
      });
      if (!bus.storesBroadcasts) return;
      channel(doc, `${c.name}.stored`, `{namespace}.events.${c.name}`, id, 'Kept for replay.');
      operation(doc, `${c.owner}.stores.${c.name}`, 'send', `${c.name}.stored`, c, {
        summary: `${c.owner} stores ${c.name} for processes that start later.`,
      });
      return;
    case 'request':
      doc.components.messages[id] = {
        name: c.name,
        title: `${c.name} ${c.version}`,
        ...common,
        correlationId,
        payload: jsonSchemaOf(envelope.request(c)),
        ...extensions,
      };
      doc.components.messages[replyId(c)] = {
        name: `${c.name}.reply`,
        title: `${c.name}.reply ${c.version}`,
        summary: `The answer to ${c.name}, or the error it met.`,
        contentType: 'application/json',
        ...(c.deprecated !== undefined && { deprecated: true }),
        payload: jsonSchemaOf(envelope.reply(c)),
        ...extensions,
      };
      channel(doc, c.name, `{namespace}.rpc.${c.name}`, id, 'A queue group: one replica answers.');
      channel(doc, `${c.name}.reply`, null, replyId(c), 'The requester’s inbox.');
      return;
  }
}

function receive(
  doc: AsyncApiDocument,
  module: string,
  c: MessageContract,
  consumers: string[],
  storesBroadcasts: boolean,
): void {
  switch (c.kind) {
    case 'event':
      operation(doc, `${module}.consumes.${c.name}`, 'receive', c.name, c, {
        summary: `${module} handles ${c.name}.`,
        'x-durable-consumers': consumers,
      });
      return;
    case 'broadcast':
      operation(doc, `${module}.hears.${c.name}`, 'receive', c.name, c, {
        summary: `Every ${module} process hears ${c.name}.`,
      });
      if (!storesBroadcasts) return;
      operation(doc, `${module}.replays.${c.name}`, 'receive', `${c.name}.stored`, c, {
        summary: `A starting ${module} process replays the ${c.name} kept.`,
      });
      return;
    case 'request':
      operation(doc, `${module}.answers.${c.name}`, 'receive', c.name, c, {
        summary: `${module} answers ${c.name}.`,
        reply: reply(c),
      });
      return;
  }
}

function reply(c: MessageContract): Node {
  const id = `${c.name}.reply`;
  return { channel: ref('channels', id), messages: [ref('channels', id, 'messages', replyId(c))] };
}

function channel(
  doc: AsyncApiDocument,
  id: string,
  address: string | null,
  message: string,
  description: string,
): void {
  doc.channels[id] ??= {
    address,
    messages: {},
    description,
    ...(address !== null && { parameters: NAMESPACE }),
  };
  doc.channels[id].messages[message] = ref('components', 'messages', message);
}

/** Creates the operation, or adds `c`'s message to it (a second major of one message). */
function operation(
  doc: AsyncApiDocument,
  id: string,
  action: 'send' | 'receive',
  channelId: string,
  c: MessageContract,
  rest: Node,
): void {
  const message = ref('channels', channelId, 'messages', messageId(c));
  const existing = doc.operations[id];
  if (existing) {
    existing.messages.push(message);
    return;
  }
  doc.operations[id] = {
    action,
    channel: ref('channels', channelId),
    messages: [message],
    ...rest,
  };
}
