import { createServer, request, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { readBody } from './read-body';

let server: Server | undefined;
afterEach(() => new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve())));

/** Posts `body` to a loopback server that reads it with a 16-byte limit; resolves with what readBody gave. */
async function posted(body: string): Promise<string | null> {
  let read: (text: string | null) => void = () => undefined;
  const result = new Promise<string | null>((resolve) => (read = resolve));
  server = createServer((req, res) => {
    void readBody(req, 16).then((text) => {
      read(text);
      res.end();
    });
  });
  await new Promise<void>((resolve) => server!.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  const client = request({ host: '127.0.0.1', port, method: 'POST' });
  client.on('error', () => undefined);
  client.end(body);
  return result;
}

describe('request body reader', () => {
  it('reads a body within the limit as text', async () => {
    expect(await posted('written=4096')).toBe('written=4096');
  });

  it('gives null for a body over the limit, without keeping it', async () => {
    expect(await posted('x'.repeat(17))).toBeNull();
  });
});
