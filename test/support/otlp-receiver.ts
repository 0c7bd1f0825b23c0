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
  return {
    resourceSpans: valuesOf(body, 1).map((resourceSpans) => ({
      resource: {
        attributes: valuesOf(resourceSpans, 1)
          .flatMap((resource) => valuesOf(resource, 1))
          .map((keyValue) => {
            const text = valuesOf(keyValue, 2).flatMap((anyValue) => valuesOf(anyValue, 1))[0];
            return {
              key: bytes(valuesOf(keyValue, 1)[0]).toString(),
              value: { stringValue: text === undefined ? undefined : bytes(text).toString() },
            };
          }),
      },
      scopeSpans: valuesOf(resourceSpans, 2).map((scopeSpans) => ({
        spans: valuesOf(scopeSpans, 2).map((span) => {
          const hex = (field: number) => bytes(valuesOf(span, field)[0]).toString('hex');
          return {
            traceId: hex(1),
            spanId: hex(2),
            parentSpanId: hex(4),
            name: bytes(valuesOf(span, 5)[0]).toString(),
            kind: Number(valuesOf(span, 6)[0] ?? 0),
          };
        }),
      })),
    })),
  };
}

/** The values of field `field` in `message`, in order (a repeated field has several). */
function valuesOf(message: Buffer | number, field: number): Array<Buffer | number> {
  return [...fields(bytes(message))].filter(([n]) => n === field).map(([, value]) => value);
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
