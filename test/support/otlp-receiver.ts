import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

/** A span as an OTLP/HTTP export carries it (ids in hex), with the service that sent it. */
export interface ReceivedSpan {
  service: string;
  traceId: string;
  spanId: string;
  parentSpanId?: string;
  name: string;
  kind: number;
}

interface OtlpExport {
  resourceSpans?: Array<{
    resource?: { attributes?: Array<{ key: string; value: { stringValue?: string } }> };
    scopeSpans?: Array<{ spans?: Array<Omit<ReceivedSpan, 'service'>> }>;
  }>;
}

/** The media types of OTLP/HTTP (OTLP specification, "OTLP/HTTP Request"). */
const PROTOBUF = 'application/x-protobuf';
const JSON_TYPE = 'application/json';

/**
 * A minimal OpenTelemetry collector on loopback: accepts OTLP/HTTP trace exports at
 * `/v1/traces`, in protobuf or JSON as a collector does, and keeps the spans, so that tests can
 * check what real processes exported.
 */
export class OtlpReceiver {
  readonly spans: ReceivedSpan[] = [];
  /** The media type of each export received, in order. */
  readonly mediaTypes: string[] = [];

  private constructor(private readonly server: Server) {}

  static async start(): Promise<OtlpReceiver> {
    const server = createServer();
    const receiver = new OtlpReceiver(server);
    server.on('request', (req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (chunk: Buffer) => chunks.push(chunk));
      req.on('end', () => {
        const type = req.headers['content-type']?.split(';')[0]?.trim();
        const body = Buffer.concat(chunks);
        if (req.url !== '/v1/traces' || (type !== PROTOBUF && type !== JSON_TYPE)) {
          res.writeHead(415).end();
          return;
        }
        receiver.mediaTypes.push(type);
        // An empty ExportTraceServiceResponse: nothing in protobuf, `{}` in JSON.
        if (type === PROTOBUF) {
          receiver.collect(decodeExport(body));
          res.writeHead(200, { 'content-type': PROTOBUF }).end();
        } else {
          receiver.collect(JSON.parse(body.toString()) as OtlpExport);
          res.writeHead(200, { 'content-type': JSON_TYPE }).end('{}');
        }
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    return receiver;
  }

  /** The endpoint to give `OTEL_EXPORTER_OTLP_ENDPOINT`. */
  get url(): string {
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  /**
   * The environment that makes a process send this receiver every trace (the tests look for
   * the spans of their own requests), in batches 100 ms apart.
   */
  get exporterEnv(): Record<string, string> {
    return {
      OTEL_EXPORTER_OTLP_ENDPOINT: this.url,
      OTEL_BSP_SCHEDULE_DELAY: '100',
      OTEL_TRACES_SAMPLER: 'parentbased_always_on',
    };
  }

  private collect(body: OtlpExport): void {
    for (const resource of body.resourceSpans ?? []) {
      const service =
        resource.resource?.attributes?.find((a) => a.key === 'service.name')?.value.stringValue ??
        'unknown';
      for (const scope of resource.scopeSpans ?? []) {
        for (const span of scope.spans ?? []) {
          this.spans.push({
            service,
            traceId: span.traceId,
            spanId: span.spanId,
            parentSpanId: span.parentSpanId || undefined,
            name: span.name,
            kind: span.kind,
          });
        }
      }
    }
  }

  close(): Promise<void> {
    return new Promise((resolve) => {
      this.server.closeAllConnections();
      this.server.close(() => resolve());
    });
  }
}

/**
 * An `ExportTraceServiceRequest` in protobuf, read into the shape of its JSON form (as far as
 * `ReceivedSpan` needs it): the fields' numbers are those of opentelemetry-proto's
 * `trace/v1/trace.proto`, `resource/v1/resource.proto` and `common/v1/common.proto`.
 */
function decodeExport(body: Buffer): OtlpExport {
  const resourceSpans = [...fields(body)]
    .filter(([n]) => n === 1)
    .map(([, resourceSpan]) => {
      const parts = [...fields(bytes(resourceSpan))];
      const attributes = parts
        .filter(([n]) => n === 1)
        .flatMap(([, resource]) => [...fields(bytes(resource))].filter(([n]) => n === 1))
        .map(([, keyValue]) => {
          const kv = [...fields(bytes(keyValue))];
          const value = kv.find(([n]) => n === 2);
          const text = value && [...fields(bytes(value[1]))].find(([n]) => n === 1);
          return {
            key: bytes(kv.find(([n]) => n === 1)?.[1]).toString(),
            value: { stringValue: text ? bytes(text[1]).toString() : undefined },
          };
        });
      const scopeSpans = parts
        .filter(([n]) => n === 2)
        .map(([, scope]) => ({
          spans: [...fields(bytes(scope))]
            .filter(([n]) => n === 2)
            .map(([, span]) => {
              const f = new Map([...fields(bytes(span))].map(([n, v]) => [n, v]));
              return {
                traceId: bytes(f.get(1)).toString('hex'),
                spanId: bytes(f.get(2)).toString('hex'),
                parentSpanId: bytes(f.get(4)).toString('hex'),
                name: bytes(f.get(5)).toString(),
                kind: Number(f.get(6) ?? 0),
              };
            }),
        }));
      return { resource: { attributes }, scopeSpans };
    });
  return { resourceSpans };
}

/** A length-delimited field's bytes (none when the field is absent). */
function bytes(value: Buffer | number | undefined): Buffer {
  return Buffer.isBuffer(value) ? value : Buffer.alloc(0);
}

/**
 * A protobuf message's fields in order: each field's number and value, a varint as a number and
 * a length-delimited field as its bytes; fixed-width fields (times, flags) are skipped.
 */
function* fields(message: Buffer): Generator<[number, Buffer | number]> {
  let pos = 0;
  const varint = (): number => {
    let value = 0;
    for (let shift = 0; ; shift += 7) {
      if (pos >= message.length) throw new Error('protobuf: a varint runs past the message');
      const byte = message[pos++];
      value += (byte & 0x7f) * 2 ** shift;
      if ((byte & 0x80) === 0) return value;
    }
  };
  while (pos < message.length) {
    const tag = varint();
    const field = Math.floor(tag / 8);
    const wireType = tag % 8;
    if (wireType === 0) yield [field, varint()];
    else if (wireType === 2) {
      const length = varint();
      if (pos + length > message.length) throw new Error('protobuf: a field runs past the message');
      yield [field, message.subarray(pos, pos + length)];
      pos += length;
    } else if (wireType === 1) pos += 8;
    else if (wireType === 5) pos += 4;
    else throw new Error(`protobuf: wire type ${wireType} is not used by OTLP`);
  }
}
