import type { IncomingMessage, ServerResponse } from 'node:http';
import { parseContentRange, UPLOAD_PATH, uploadStartSchema } from '../../shared/uploads';
import { readBody } from '../lib/read-body';
import { UploadOffsetMismatch, type UploadStore } from '../lib/upload-store';
import { UserFacingError } from '../lib/user-facing-error';

/** HTTP status of each refusal the store can give. */
const STATUS_OF: Record<string, number> = {
  'upload-not-found': 404,
  'upload-offset': 409,
  'upload-busy': 409,
  'upload-too-large': 413,
  'upload-too-long': 413,
  'upload-no-space': 507,
  'upload-checksum': 422,
  'upload-incomplete': 409,
};

function reply(response: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  // A refusal sent before the body was read: the connection closes, or the client would wait to send the rest.
  if (!response.req.complete) response.setHeader('Connection', 'close');
  response.writeHead(status, {
    'Content-Type': 'application/json; charset=utf-8',
    'Content-Length': Buffer.byteLength(text),
    'Cache-Control': 'no-store',
    'X-Content-Type-Options': 'nosniff',
  });
  response.end(text);
}

function refuse(response: ServerResponse, status: number, code: string, message: string): void {
  reply(response, status, { code, message });
}

function replyWithError(response: ServerResponse, error: unknown): void {
  if (response.headersSent || response.destroyed) return;
  if (error instanceof UploadOffsetMismatch) return reply(response, 409, { code: error.code, message: error.message, status: error.status });
  if (error instanceof UserFacingError) return refuse(response, STATUS_OF[error.code] ?? 400, error.code, error.message);
  if (error instanceof Error && 'issues' in error) return refuse(response, 400, 'invalid', 'The upload request is not valid: ' + error.message);
  refuse(response, 500, 'internal', `Rackboot could not store the upload (${error instanceof Error ? error.message : String(error)}).`);
}

/**
 * The upload endpoint of headless mode, under the launch token like the API:
 * - `POST /upload` with `{ name, size, lastModified, sha256? }` starts one, or finds the unfinished one of the same file;
 * - `GET /upload/<id>` says what the core holds (`received`), so a cut-off upload continues from there;
 * - `PUT /upload/<id>` with `Content-Range: bytes START-END/SIZE` streams those bytes to disk (409 with the status when
 *   START is not where the core's copy ends); the answer to the last piece is the finished upload, or 422 when the
 *   checksum given does not match (the file is then removed);
 * - `DELETE /upload/<id>` drops an unfinished one.
 */
export function serveUpload(
  store: UploadStore,
  allowed: (request: IncomingMessage, url: URL) => boolean,
  request: IncomingMessage,
  response: ServerResponse,
): void {
  const url = new URL(request.url ?? '/', 'http://localhost');
  if (!allowed(request, url)) {
    refuse(response, 403, 'forbidden', 'Forbidden: uploads need the token of the page that started them.');
    return;
  }
  const id = url.pathname === UPLOAD_PATH ? null : url.pathname.slice(UPLOAD_PATH.length + 1);
  handle(store, id, request, response).catch((error: unknown) => replyWithError(response, error));
}

async function handle(store: UploadStore, id: string | null, request: IncomingMessage, response: ServerResponse): Promise<void> {
  if (id === null) {
    if (request.method !== 'POST') return refuse(response, 405, 'method', 'Start an upload with POST.');
    const text = await readBody(request, 4096);
    if (text === null) return refuse(response, 413, 'invalid', 'The upload request is too large.');
    let json: unknown;
    try {
      json = JSON.parse(text);
    } catch {
      return refuse(response, 400, 'invalid', 'The upload request is not JSON.');
    }
    const parsed = uploadStartSchema.safeParse(json);
    if (!parsed.success) return refuse(response, 400, 'invalid', `The upload was refused: ${parsed.error.issues[0]!.message}.`);
    return reply(response, 201, await store.begin(parsed.data));
  }
  switch (request.method) {
    case 'GET':
      return reply(response, 200, await store.status(id));
    case 'DELETE':
      return reply(response, 200, { removed: await store.discard(id) });
    case 'PUT': {
      const range = parseContentRange(request.headers['content-range']);
      if (!range) return refuse(response, 400, 'invalid', 'A piece of an upload needs a Content-Range of bytes START-END/SIZE.');
      const status = await store.status(id);
      if (range.total !== status.size) return refuse(response, 400, 'invalid', `${status.name} was announced as ${status.size} bytes, not ${range.total}.`);
      const length = Number(request.headers['content-length']);
      if (request.headers['content-length'] !== undefined && length !== range.end - range.start + 1) {
        return refuse(response, 400, 'invalid', 'The Content-Length does not match the Content-Range.');
      }
      return reply(response, 200, await store.append(id, range.start, request));
    }
    default:
      return refuse(response, 405, 'method', 'Uploads take GET, PUT and DELETE.');
  }
}
