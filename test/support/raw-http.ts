import { connect } from 'node:net';

export interface RawResponse {
  status: number;
  headers: Record<string, string>;
  body: string;
}

/**
 * Sends `bytes` as they are (whatever HTTP clients refuse to send) to the server at `url` and
 * reads one response: status, headers and a body of `content-length` bytes (or up to close).
 */
export function rawRequest(
  url: string,
  bytes: string | Buffer,
  timeoutMs = 10_000,
): Promise<RawResponse> {
  const { hostname, port } = new URL(url);
  return new Promise((resolve, reject) => {
    const socket = connect(Number(port), hostname);
    let data = Buffer.alloc(0);
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new Error(`no whole response within ${timeoutMs} ms: ${data.toString('latin1')}`));
    }, timeoutMs);
    const finish = (response: RawResponse) => {
      clearTimeout(timer);
      socket.destroy();
      resolve(response);
    };
    const tryParse = (closed: boolean) => {
      const end = data.indexOf('\r\n\r\n');
      if (end < 0)
        return closed
          ? reject(new Error(`no response head: ${data.toString('latin1')}`))
          : undefined;
      const [statusLine = '', ...lines] = data.subarray(0, end).toString('latin1').split('\r\n');
      const headers = Object.fromEntries(
        lines.map((line) => {
          const at = line.indexOf(':');
          return [line.slice(0, at).trim().toLowerCase(), line.slice(at + 1).trim()];
        }),
      );
      const body = data.subarray(end + 4);
      const length =
        headers['content-length'] === undefined ? undefined : Number(headers['content-length']);
      if (length !== undefined && body.length >= length) {
        return finish({
          status: Number(statusLine.split(' ')[1]),
          headers,
          body: body.subarray(0, length).toString('utf8'),
        });
      }
      if (closed)
        finish({ status: Number(statusLine.split(' ')[1]), headers, body: body.toString('utf8') });
    };
    socket.on('data', (chunk: Buffer) => {
      data = Buffer.concat([data, chunk]);
      tryParse(false);
    });
    socket.on('close', () => tryParse(true));
    socket.on('error', () => undefined);
    socket.write(bytes);
  });
}
