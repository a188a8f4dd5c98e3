import type { IncomingMessage, ServerResponse } from 'node:http';
import type { RawHandler } from '../../pxe/http/server';
import type { AgentApi } from '../../deploy/agent-api';
import { readBody } from '../../lib/read-body';

const MAX_BODY = 64 * 1024;
/** An inventory carries sampled bytes of every disk (about 260 KiB each, base64): room for a server with 100 disks. */
const MAX_INVENTORY_BODY = 32 * 1024 * 1024;

/** Puts the agent API (docs/agent-api.md) on the boot HTTP server, in the plain text busybox wget sends and reads. */
export function agentHttpHandler(api: AgentApi): RawHandler {
  return async (req: IncomingMessage, res: ServerResponse, url: URL) => {
    if (!url.pathname.startsWith('/agent/')) return false;
    const body = req.method === 'POST' ? await readBody(req, url.pathname === '/agent/v1/inventory' ? MAX_INVENTORY_BODY : MAX_BODY) : '';
    if (body === null) {
      res.writeHead(413, { 'content-type': 'text/plain' }).end('report too large\n');
      return true;
    }
    const response = api.handle({ method: req.method ?? 'GET', path: url.pathname, query: url.searchParams, body });
    const { status, body: text } = response ?? { status: 404, body: 'no such agent endpoint\n' };
    res.writeHead(status, { 'content-type': 'text/plain; charset=utf-8', 'cache-control': 'no-store' }).end(text);
    return true;
  };
}
