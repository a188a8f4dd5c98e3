import { readFileSync } from 'node:fs';
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import path from 'node:path';

/** A request as the fake BMC saw it. */
export interface SeenRequest {
  method: string;
  path: string;
  headers: Record<string, string | string[] | undefined>;
  body: unknown;
}

export interface FakeAnswer {
  status: number;
  body?: unknown;
  headers?: Record<string, string>;
}

export type FakeHandler = (request: SeenRequest) => FakeAnswer | undefined;

/** The test certificates: two self-signed ones, so a test can swap the BMC's certificate under a pin. */
export function testCertificate(name: 'a' | 'b'): { cert: Buffer; key: Buffer } {
  const dir = path.join(import.meta.dirname, '.');
  return { cert: readFileSync(path.join(dir, `bmc-${name}.crt`)), key: readFileSync(path.join(dir, `bmc-${name}.key`)) };
}

/**
 * An HTTPS server on 127.0.0.1 answering from `handler` (recorded exchanges of real BMCs are replayed through it),
 * recording every request it received — so a test can show that none arrived before the certificate was trusted.
 */
export async function startFakeBmc(handler: FakeHandler, certificate: 'a' | 'b' = 'a'): Promise<{
  port: number;
  requests: SeenRequest[];
  connections: () => number;
  setCertificate(name: 'a' | 'b'): void;
  close(): Promise<void>;
}> {
  const requests: SeenRequest[] = [];
  let connections = 0;
  const server = https.createServer(testCertificate(certificate), (request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      const text = Buffer.concat(chunks).toString('utf8');
      const seen: SeenRequest = { method: request.method ?? '', path: request.url ?? '', headers: request.headers, body: text ? JSON.parse(text) : undefined };
      requests.push(seen);
      const answer = handler(seen) ?? { status: 404, body: { error: { code: 'Base.1.8.ResourceNotFound', message: 'not found' } } };
      const body = answer.body === undefined ? '' : JSON.stringify(answer.body);
      response.writeHead(answer.status, { 'Content-Type': 'application/json', ...answer.headers });
      response.end(body);
    });
  });
  server.on('secureConnection', () => (connections += 1));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    port: (server.address() as AddressInfo).port,
    requests,
    connections: () => connections,
    setCertificate: (name) => server.setSecureContext(testCertificate(name)),
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
