import http from 'node:http';
import https from 'node:https';
import { readBody } from '../lib/read-body';
import { UserFacingError } from '../lib/user-facing-error';

export interface HttpRequest {
  method: 'GET' | 'POST' | 'PATCH' | 'PUT' | 'DELETE';
  url: URL;
  headers: Record<string, string>;
  body?: string;
}

export interface HttpResponse {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: string;
}

export type HttpSend = (request: HttpRequest) => Promise<HttpResponse>;

export interface HttpTransport {
  send: HttpSend;
  close(): void;
}

/** A node list of thousands of nodes is a few MB; anything far bigger is not Ironic. */
const MAX_RESPONSE_BYTES = 64 * 1024 * 1024;

/**
 * HTTP(S) with kept-alive connections, at most `maxSockets` at once to one API: an enrolment of a hundred nodes
 * reuses a handful of connections instead of opening one per request.
 */
export function openHttpTransport(options: { verifyTls: boolean; timeoutMs: number; maxSockets: number }): HttpTransport {
  const httpAgent = new http.Agent({ keepAlive: true, maxSockets: options.maxSockets });
  const httpsAgent = new https.Agent({ keepAlive: true, maxSockets: options.maxSockets, rejectUnauthorized: options.verifyTls });
  const send: HttpSend = (request) =>
    new Promise((resolve, reject) => {
      const secure = request.url.protocol === 'https:';
      const body = request.body === undefined ? undefined : Buffer.from(request.body, 'utf8');
      const headers = { ...request.headers, ...(body ? { 'Content-Length': String(body.length) } : {}) };
      const call = (secure ? https : http).request(
        request.url,
        { method: request.method, headers, agent: secure ? httpsAgent : httpAgent, timeout: options.timeoutMs },
        (response) => {
          void readBody(response, MAX_RESPONSE_BYTES).then((text) => {
            if (text === null) {
              reject(new UserFacingError('ironic-unreachable', `${where(request.url)} sent a broken or oversized answer: check that the address is Ironic's API.`));
            } else resolve({ status: response.statusCode ?? 0, headers: response.headers, body: text });
          });
        },
      );
      call.on('timeout', () => call.destroy(new Error(`no answer within ${Math.round(options.timeoutMs / 1000)} s`)));
      call.on('error', (error) => reject(connectionError(request.url, error)));
      call.end(body);
    });
  return {
    send,
    close: () => {
      httpAgent.destroy();
      httpsAgent.destroy();
    },
  };
}

const where = (url: URL): string => `${url.protocol}//${url.host}`;

function connectionError(url: URL, error: Error & { code?: string }): UserFacingError {
  const code = error.code ?? '';
  const hint =
    code === 'ECONNREFUSED'
      ? 'nothing listens there: check the address and port, and that ironic-api runs'
      : code === 'ENOTFOUND' || code === 'EAI_AGAIN'
        ? 'the host name does not resolve: check the address'
        : /CERT|SELF_SIGNED|UNABLE_TO_VERIFY/.test(code)
          ? 'its TLS certificate is not trusted: install the CA, or untick "verify TLS" for a lab Ironic'
          : 'check the address and the network path to it';
  return new UserFacingError('ironic-unreachable', `Could not reach ${where(url)} (${error.message}): ${hint}.`);
}
