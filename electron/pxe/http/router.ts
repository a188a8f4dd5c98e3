// A small router for JSON routes that other services (the deploy engine's agent API) add to the boot server.
import type { IncomingMessage, ServerResponse } from 'node:http';

export type HttpMethod = 'GET' | 'POST' | 'PUT' | 'DELETE';

export interface RouteRequest {
  params: Readonly<Record<string, string>>;
  query: URLSearchParams;
  /** Parsed JSON body (undefined when there was none). */
  body: unknown;
  client: { address: string; port: number };
}

export interface RouteResponse {
  status?: number;
  json: unknown;
}

export type RouteHandler = (request: RouteRequest) => RouteResponse | Promise<RouteResponse>;

/** Matches `/api/nodes/:mac/log` against a path; returns the decoded parameters, or null. Pure. */
export function matchPattern(pattern: string, path: string): Record<string, string> | null {
  const want = pattern.split('/');
  const got = path.split('/');
  if (want.length !== got.length) return null;
  const params: Record<string, string> = {};
  for (let i = 0; i < want.length; i += 1) {
    const w = want[i] as string;
    const g = got[i] as string;
    if (w.startsWith(':')) {
      if (g === '') return null;
      try {
        params[w.slice(1)] = decodeURIComponent(g);
      } catch {
        return null;
      }
    } else if (w !== g) {
      return null;
    }
  }
  return params;
}

const MAX_JSON_BODY = 1024 * 1024;

export class Router {
  private readonly routes: { method: HttpMethod; pattern: string; handler: RouteHandler }[] = [];

  add(method: HttpMethod, pattern: string, handler: RouteHandler): void {
    this.routes.push({ method, pattern, handler });
  }

  /** Answers the request when a route matches; false when none does (the caller serves it otherwise). */
  async handle(req: IncomingMessage, res: ServerResponse, url: URL): Promise<boolean> {
    let pathMatched = false;
    for (const route of this.routes) {
      const params = matchPattern(route.pattern, url.pathname);
      if (!params) continue;
      pathMatched = true;
      if (route.method !== req.method) continue;
      const body = await readJsonBody(req);
      if (!body.ok) {
        sendJson(res, body.status, { error: body.error });
        return true;
      }
      try {
        const answer = await route.handler({
          params,
          query: url.searchParams,
          body: body.value,
          client: { address: req.socket.remoteAddress ?? '', port: req.socket.remotePort ?? 0 },
        });
        sendJson(res, answer.status ?? 200, answer.json);
      } catch (error) {
        sendJson(res, 500, { error: (error as Error).message });
      }
      return true;
    }
    if (pathMatched) {
      sendJson(res, 405, { error: `${req.method} is not allowed here` });
      return true;
    }
    return false;
  }
}

type BodyResult = { ok: true; value: unknown } | { ok: false; status: number; error: string };

async function readJsonBody(req: IncomingMessage): Promise<BodyResult> {
  const chunks: Buffer[] = [];
  let length = 0;
  for await (const chunk of req) {
    length += (chunk as Buffer).length;
    if (length > MAX_JSON_BODY) return { ok: false, status: 413, error: 'request body larger than 1 MiB' };
    chunks.push(chunk as Buffer);
  }
  if (length === 0) return { ok: true, value: undefined };
  try {
    return { ok: true, value: JSON.parse(Buffer.concat(chunks).toString('utf8')) };
  } catch {
    return { ok: false, status: 400, error: 'request body is not valid JSON' };
  }
}

export function sendJson(res: ServerResponse, status: number, value: unknown): void {
  const body = JSON.stringify(value);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) });
  res.end(body);
}
