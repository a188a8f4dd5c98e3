import { randomBytes, timingSafeEqual } from 'node:crypto';
import { promises as fs } from 'node:fs';
import http, { type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { WebSocketServer, type RawData, type WebSocket } from 'ws';
import type { WsMessage } from '../../shared/api';
import type { Core } from '../core/core';
import { createEventBatcher } from '../core/event-batcher';
import { DOWNLOAD_PATH, serveDownload, type DownloadShelf } from './downloads';
import { CONTENT_SECURITY_POLICY } from '../lib/content-security-policy';
import { readWsRequest } from './request';
import { contentTypeOf } from '../lib/mime-types';
import { UPLOAD_PATH } from '../../shared/uploads';
import { serveUpload } from './uploads';


export interface HeadlessOptions {
  core: Core;
  rendererDir: string;
  host: string;
  port: number;
  /** Fixed only by tests; a fresh random token per launch otherwise. */
  token?: string;
  /** Files the core offers the browser (exports), served once each under /download/. */
  downloads?: DownloadShelf;
}

export interface HeadlessServer {
  url: string;
  token: string;
  port: number;
  close(): Promise<void>;
}

function tokensMatch(expected: string, given: string | null): boolean {
  if (given === null) return false;
  const a = Buffer.from(expected);
  const b = Buffer.from(given);
  return a.length === b.length && timingSafeEqual(a, b);
}

/**
 * A browser on another site could open a WebSocket to 127.0.0.1; only pages served by this server (same host) or
 * non-browser clients (no Origin header) may talk to the API, and all of them need the launch token.
 */
function originAllowed(request: IncomingMessage): boolean {
  const origin = request.headers.origin;
  if (origin === undefined) return true;
  try {
    return new URL(origin).host === request.headers.host;
  } catch {
    return false;
  }
}

/** The request's URL; null when it does not parse (`//[` as a request target, say). */
function requestUrl(rawUrl: string | undefined): URL | null {
  try {
    return new URL(rawUrl ?? '/', 'http://localhost');
  } catch {
    return null;
  }
}

/** The URL's path with its %-escapes decoded; null when one is not valid UTF-8 or is cut short. */
function decodedPath(url: URL): string | null {
  try {
    return decodeURIComponent(url.pathname);
  } catch {
    return null;
  }
}

async function serveStatic(rendererDir: string, request: IncomingMessage, response: ServerResponse): Promise<void> {
  if (request.method !== 'GET' && request.method !== 'HEAD') {
    response.writeHead(405, { Allow: 'GET, HEAD' }).end();
    return;
  }
  const url = requestUrl(request.url);
  const urlPath = url && decodedPath(url);
  if (urlPath === null) {
    response.writeHead(400, { 'Content-Type': 'text/plain; charset=utf-8' }).end('Bad request: the address is not a valid URL path (check its %-escapes).');
    return;
  }
  const root = path.resolve(rendererDir);
  let file = path.resolve(root, `.${urlPath}`);
  if (file !== root && !file.startsWith(root + path.sep)) {
    response.writeHead(404).end();
    return;
  }
  let body: Buffer;
  try {
    body = await fs.readFile(file);
  } catch {
    // The wizard is a single page: unknown paths get the page, not a 404.
    file = path.join(root, 'index.html');
    try {
      body = await fs.readFile(file);
    } catch {
      response
        .writeHead(500, { 'Content-Type': 'text/plain; charset=utf-8' })
        .end(`The wizard is not built (${file} is missing): run "npm run build" first.`);
      return;
    }
  }
  response.writeHead(200, {
    'Content-Type': contentTypeOf(file),
    'Content-Length': body.length,
    'Content-Security-Policy': CONTENT_SECURITY_POLICY,
    'X-Content-Type-Options': 'nosniff',
    'Referrer-Policy': 'no-referrer',
    'Cache-Control': 'no-store',
  });
  response.end(request.method === 'HEAD' ? undefined : body);
}

function messageText(data: RawData, isBinary: boolean): string | null {
  if (isBinary) return null;
  if (Array.isArray(data)) return Buffer.concat(data).toString('utf8');
  return (Buffer.isBuffer(data) ? data : Buffer.from(data)).toString('utf8');
}

function send(socket: WebSocket, message: WsMessage): void {
  if (socket.readyState === socket.OPEN) socket.send(JSON.stringify(message));
}

/** Serves the built renderer and the core's API over WebSocket (`/api?token=…`), the browser twin of the Electron shell. */
export async function startHeadlessServer(options: HeadlessOptions): Promise<HeadlessServer> {
  const token = options.token ?? randomBytes(24).toString('base64url');
  const server = http.createServer((request, response) => {
    if (options.downloads && request.url?.startsWith(DOWNLOAD_PATH)) {
      serveDownload(options.downloads, (given) => tokensMatch(token, given), request, response);
      return;
    }
    const url = requestUrl(request.url);
    if (url && (url.pathname === UPLOAD_PATH || url.pathname.startsWith(`${UPLOAD_PATH}/`))) {
      serveUpload(options.core.uploads, (_request, parsed) => tokensMatch(token, parsed.searchParams.get('token')) && originAllowed(request), request, response);
      return;
    }
    serveStatic(options.rendererDir, request, response).catch(() => {
      if (response.headersSent) response.destroy();
      else response.writeHead(500).end();
    });
  });
  const wss = new WebSocketServer({ noServer: true, maxPayload: 4 * 1024 * 1024 });

  server.on('upgrade', (request, socket, head) => {
    // Node hands the socket over without its own error listener; a client resetting it must not end the server.
    socket.on('error', () => socket.destroy());
    const url = requestUrl(request.url);
    if (url === null) {
      socket.end('HTTP/1.1 400 Bad Request\r\nConnection: close\r\n\r\n');
      return;
    }
    if (url.pathname !== '/api' || !tokensMatch(token, url.searchParams.get('token')) || !originAllowed(request)) {
      socket.end('HTTP/1.1 403 Forbidden\r\nConnection: close\r\n\r\n');
      return;
    }
    wss.handleUpgrade(request, socket, head, (ws) => wss.emit('connection', ws, request));
  });

  wss.on('connection', (ws: WebSocket) => {
    const events = createEventBatcher((batch) => send(ws, { kind: 'events', events: batch }));
    const unsubscribe = options.core.bus.subscribe(events.push);
    ws.on('close', unsubscribe);
    // A protocol error (a frame over maxPayload, invalid UTF-8 in a text frame, a bad opcode, …) is that client's:
    // ws has already sent the matching close code (1009, 1007, 1002, …) and ends this one connection. Without a
    // listener the 'error' event would throw and end the whole server, and every deploy with it.
    ws.on('error', () => undefined);
    ws.on('message', (data, isBinary) => {
      const read = readWsRequest(messageText(data, isBinary));
      if (!read.ok) {
        send(ws, read.reply);
        return;
      }
      const { id, method, input } = read.request;
      void options.core
        .call(method, input)
        .then((result) => {
          events.flush();
          send(ws, result.ok ? { kind: 'result', id, ok: true, output: result.output } : { kind: 'result', id, ok: false, error: result.error });
        })
        // An answer that cannot be sent (say, output JSON cannot encode) fails this call, not the server.
        .catch((error: unknown) => {
          const reason = error instanceof Error ? error.message : String(error);
          send(ws, { kind: 'result', id, ok: false, error: { code: 'internal', message: `Rackboot could not answer this request (${reason}).` } });
        });
    });
  });

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, options.host, () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  const hostForUrl = options.host.includes(':') ? `[${options.host}]` : options.host;
  return {
    url: `http://${hostForUrl}:${port}/?token=${token}`,
    token,
    port,
    close: async () => {
      for (const client of wss.clients) client.terminate();
      wss.close();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
