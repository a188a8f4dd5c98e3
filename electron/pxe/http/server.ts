// The HTTP boot server on the provisioning address: iPXE scripts per node, static files (kernels, initrds, images)
// from a jailed root, handlers added by other services (the deploy agent's API), and transfer events per client.
import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import path from 'node:path';
import type { HttpTransferEvent } from '../../../shared/pxe-transfer';
import { describeBindError } from '../../lib/bind-errors';
import { Listeners } from '../listeners';
import { resolveInRoot } from '../path-jail';
import { renderEntryScript, renderNodeScript, renderUnknownNodeScript, type BootTarget } from './ipxe-script';
import { parseMac } from '../../../shared/mac';
import { serveStatic, type BodyProgress, type StaticFile } from './static';

export interface HttpBootServerOptions {
  /** The provisioning address; the server listens on it only. */
  address: string;
  /** Default 8080 (ports below 1024 need privileges on Linux). */
  port?: number;
  /** Folder served for every path no script or route claims. */
  root: string;
  /** "What should this machine boot?" — null when the MAC belongs to no node. */
  bootTarget(mac: string): BootTarget | null | Promise<BootTarget | null>;
  /** Which MAC has this IPv4 address (from our DHCP leases), to attribute downloads without a `mac=` query. */
  macForAddress?(address: string): string | null;
  /** Minimum time between two progress events of one response. Default 250 ms. */
  progressIntervalMs?: number;
  /** Seconds a node script waits before retrying failed downloads. Default 5. */
  retrySeconds?: number;
}

const NODE_SCRIPT = /^\/ipxe\/([0-9A-Fa-f:-]{12,17})\.ipxe$/;

/** A handler that owns its requests entirely (status, headers, body); returns false to pass a request on. */
export type RawHandler = (req: IncomingMessage, res: ServerResponse, url: URL) => boolean | Promise<boolean>;

export class HttpBootServer {
  private readonly listeners = new Listeners<HttpTransferEvent>();
  private readonly rawHandlers: RawHandler[] = [];
  private readonly outsideFiles = new Map<string, string>();
  private readonly generated = new Map<string, StaticFile & Required<Pick<StaticFile, 'open'>>>();
  private server: Server | null = null;
  private origin = '';

  constructor(private readonly options: HttpBootServerOptions) {}

  onTransfer(listener: (event: HttpTransferEvent) => void): () => void {
    return this.listeners.add(listener);
  }

  /** Adds a handler that sees every request first (the deploy agent's plain-text API, which busybox can speak). */
  addRawHandler(handler: RawHandler): void {
    this.rawHandlers.push(handler);
  }

  /**
   * Serves one file from outside the root under a URL path (an OS image where the operator keeps it), with the same
   * Range, HEAD and progress handling; it is jailed to its own folder.
   */
  serveFile(urlPath: string, file: string): void {
    this.outsideFiles.set(urlPath, file);
  }

  /**
   * Serves a body made on the fly (an image's data extents, decoded from its file) under a URL path, with the same
   * Range, HEAD, ETag and progress handling as a file; `open(start, end)` gives bytes start..end inclusive.
   */
  serveGenerated(urlPath: string, body: StaticFile & Required<Pick<StaticFile, 'open'>>): void {
    this.generated.set(urlPath, body);
  }

  /** http://ADDRESS:PORT once listening. */
  get serverOrigin(): string {
    return this.origin;
  }

  /** The script any iPXE client can start with (hand it out in DHCP to clients with user class "iPXE"). */
  get entryScriptUrl(): string {
    return `${this.origin}/boot.ipxe`;
  }

  nodeScriptUrl(mac: string): string {
    return `${this.origin}/ipxe/${(parseMac(mac) ?? mac).replace(/:/g, '-')}.ipxe`;
  }

  async listen(): Promise<{ address: string; port: number }> {
    const port = this.options.port ?? 8080;
    const server = createServer((req, res) => {
      this.handle(req, res).catch((error: unknown) => {
        if (!res.headersSent) res.writeHead(500, { 'content-type': 'text/plain' });
        res.end(`internal error: ${(error as Error).message}\n`);
      });
    });
    await new Promise<void>((resolve, reject) => {
      server.once('error', (error) =>
        reject(describeBindError(error, { service: 'HTTP boot', protocol: 'tcp', address: this.options.address, port })),
      );
      server.listen({ host: this.options.address, port, exclusive: true }, () => resolve());
    });
    server.removeAllListeners('error');
    server.on('error', () => undefined);
    this.server = server;
    const bound = server.address();
    const boundPort = typeof bound === 'object' && bound !== null ? bound.port : port;
    this.origin = `http://${this.options.address}:${boundPort}`;
    return { address: this.options.address, port: boundPort };
  }

  async close(): Promise<void> {
    const server = this.server;
    this.server = null;
    if (!server) return;
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    let url: URL;
    try {
      url = new URL(req.url ?? '/', 'http://boot.invalid');
    } catch {
      res.writeHead(400).end();
      return;
    }
    for (const handler of this.rawHandlers) if (await handler(req, res, url)) return;
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.writeHead(405, { allow: 'GET, HEAD' }).end();
      return;
    }
    const nodeScript = NODE_SCRIPT.exec(url.pathname);
    if (url.pathname === '/boot.ipxe') {
      this.sendScript(req, res, url, renderEntryScript(this.origin), null);
    } else if (nodeScript) {
      await this.sendNodeScript(req, res, url, nodeScript[1] as string);
    } else {
      await this.sendFile(req, res, url);
    }
  }

  private async sendNodeScript(req: IncomingMessage, res: ServerResponse, url: URL, macText: string): Promise<void> {
    const mac = parseMac(macText);
    if (!mac) {
      this.refuse(req, res, url, null, 404, 'not a MAC address in the script name');
      return;
    }
    const target = await this.options.bootTarget(mac);
    if (!target) {
      this.sendScript(req, res, url, renderUnknownNodeScript(mac), mac);
      return;
    }
    const rendered = renderNodeScript({ mac, target, serverOrigin: this.origin, retrySeconds: this.options.retrySeconds });
    if (!rendered.ok) {
      this.refuse(req, res, url, mac, 500, `cannot build the boot script for ${mac}: ${rendered.error}`);
      return;
    }
    this.sendScript(req, res, url, rendered.script, mac);
  }

  private sendScript(req: IncomingMessage, res: ServerResponse, url: URL, script: string, mac: string | null): void {
    const body = Buffer.from(script, 'utf8');
    const tracker = this.track(req, url, mac ?? this.macOf(req, url));
    res.writeHead(200, { 'content-type': 'text/plain; charset=utf-8', 'content-length': body.length, 'cache-control': 'no-store' });
    res.end(req.method === 'HEAD' ? undefined : body);
    tracker.started(200, req.method === 'HEAD' ? 0 : body.length);
    tracker.bytes(req.method === 'HEAD' ? 0 : body.length);
    tracker.finished();
  }

  private async sendFile(req: IncomingMessage, res: ServerResponse, url: URL): Promise<void> {
    let requested: string;
    try {
      requested = decodeURIComponent(url.pathname.slice(1));
    } catch {
      this.refuse(req, res, url, null, 400, 'malformed percent-encoding in the path');
      return;
    }
    const generated = this.generated.get(url.pathname);
    if (generated) {
      serveStatic(req, res, generated, this.track(req, url, this.macOf(req, url)));
      return;
    }
    const outside = this.outsideFiles.get(url.pathname);
    const resolved = outside
      ? await resolveInRoot(path.dirname(outside), path.basename(outside))
      : await resolveInRoot(this.options.root, requested);
    if (!resolved.ok) {
      const notFound = resolved.refusal === 'not-found' || resolved.refusal === 'not-a-file' || resolved.refusal === 'empty';
      this.refuse(req, res, url, this.macOf(req, url), notFound ? 404 : 403, notFound ? 'file not found' : `refused: ${resolved.refusal}`);
      return;
    }
    serveStatic(req, res, resolved, this.track(req, url, this.macOf(req, url)));
  }

  private refuse(req: IncomingMessage, res: ServerResponse, url: URL, mac: string | null, status: number, error: string): void {
    res.writeHead(status, { 'content-type': 'text/plain; charset=utf-8' });
    res.end(`${error}\n`);
    this.emit(req, url, { id: randomUUID(), mac, phase: 'refused', status, bytes: 0, total: 0, error });
  }

  private macOf(req: IncomingMessage, url: URL): string | null {
    const fromQuery = url.searchParams.get('mac');
    const normalized = fromQuery === null ? null : parseMac(fromQuery);
    if (normalized) return normalized;
    const address = (req.socket.remoteAddress ?? '').replace(/^::ffff:/, '');
    return this.options.macForAddress?.(address) ?? null;
  }

  /** Turns body progress into started / progress (throttled) / done or failed events. */
  private track(req: IncomingMessage, url: URL, mac: string | null): BodyProgress {
    const id = randomUUID();
    const interval = this.options.progressIntervalMs ?? 250;
    let status = 0;
    let total = 0;
    let sent = 0;
    let lastAt = 0;
    let finished = false;
    return {
      started: (s, t) => {
        status = s;
        total = t;
        lastAt = Date.now();
        this.emit(req, url, { id, mac, phase: 'started', status, bytes: 0, total });
      },
      bytes: (n) => {
        sent = n;
        const now = Date.now();
        if (now - lastAt < interval) return;
        lastAt = now;
        this.emit(req, url, { id, mac, phase: 'progress', status, bytes: sent, total });
      },
      finished: (error) => {
        if (finished) return;
        finished = true;
        this.emit(req, url, { id, mac, phase: error === undefined ? 'done' : 'failed', status, bytes: sent, total, error });
      },
    };
  }

  private emit(req: IncomingMessage, url: URL, fields: EventFields): void {
    const { error, ...rest } = fields;
    this.listeners.emit({
      kind: 'http-transfer',
      ...rest,
      client: { address: (req.socket.remoteAddress ?? '').replace(/^::ffff:/, ''), port: req.socket.remotePort ?? 0 },
      method: req.method ?? 'GET',
      path: url.pathname,
      at: Date.now(),
      ...(error === undefined ? {} : { error }),
    });
  }
}

/** What differs between the events of one response; the request supplies the rest. */
type EventFields = Pick<HttpTransferEvent, 'id' | 'mac' | 'phase' | 'status' | 'bytes' | 'total'> & { error?: string };
