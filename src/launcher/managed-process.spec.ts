import { readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { describe, expect, it } from '@jest/globals';
import { freePort, onFreePort, PortTakenError } from './managed-process';

const outgoingFrom = Number(
  readFileSync('/proc/sys/net/ipv4/ip_local_port_range', 'utf8').trim().split(/\s+/)[0],
);

describe('freePort', () => {
  it("chooses ports below the kernel's range for outgoing connections, where no connection can take them first", async () => {
    const ports = await Promise.all(Array.from({ length: 20 }, () => freePort()));
    for (const port of ports) {
      expect(port).toBeGreaterThanOrEqual(16384);
      expect(port).toBeLessThan(outgoingFrom);
    }
    expect(new Set(ports).size).toBeGreaterThan(15);
  });

  it('chooses a port that a server can listen on', async () => {
    const port = await freePort();
    const server = createServer();
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, '127.0.0.1', resolve);
    });
    await new Promise((resolve) => server.close(resolve));
  });
});

describe('onFreePort', () => {
  it('chooses another port when the first was taken before the process listened', async () => {
    const tried: number[] = [];
    const started = await onFreePort((port) => {
      tried.push(port);
      if (tried.length === 1) return Promise.reject(new PortTakenError(`port ${port} taken`));
      return Promise.resolve(port);
    });
    expect(tried).toHaveLength(2);
    expect(started).toBe(tried[1]);
    expect(tried[1]).not.toBe(tried[0]);
  });

  it('gives up after three taken ports, and at once on any other failure', async () => {
    let calls = 0;
    const taken = (port: number) => {
      calls++;
      return Promise.reject(new PortTakenError(`port ${port} taken`));
    };
    await expect(onFreePort(taken)).rejects.toThrow(/taken/);
    expect(calls).toBe(3);
    calls = 0;
    const broken = () => {
      calls++;
      return Promise.reject(new Error('no such file'));
    };
    await expect(onFreePort(broken)).rejects.toThrow('no such file');
    expect(calls).toBe(1);
  });

  it('never changes a port it was given', async () => {
    const tried: number[] = [];
    const taken = (port: number) => {
      tried.push(port);
      return Promise.reject(new PortTakenError(`port ${port} taken`));
    };
    await expect(onFreePort(taken, { port: 4321 })).rejects.toThrow('port 4321 taken');
    expect(tried).toEqual([4321]);
  });
});
