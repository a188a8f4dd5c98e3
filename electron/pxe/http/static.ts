// Sends one file that the path jail already resolved: GET and HEAD, a single Range, ETag / Last-Modified, and
// conditional requests. Reports body progress to the caller.
import { createReadStream } from 'node:fs';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Readable } from 'node:stream';
import { decideRange } from './range';
import { contentTypeOf } from '../../lib/mime-types';

export interface StaticFile {
  path: string;
  size: number;
  mtimeMs: number;
  /** Bytes start..end (inclusive) of a body made on the fly; a file on disk is read when absent. */
  open?: (start: number, end: number) => Readable;
}

export interface BodyProgress {
  /** Headers are decided: the status and how many body bytes will follow. */
  started(status: number, total: number): void;
  /** Cumulative body bytes written. */
  bytes(sent: number): void;
  finished(error?: string): void;
}


export function etagOf(file: StaticFile): string {
  return `"${file.size.toString(16)}-${Math.floor(file.mtimeMs).toString(16)}"`;
}

export function serveStatic(req: IncomingMessage, res: ServerResponse, file: StaticFile, progress: BodyProgress): void {
  const etag = etagOf(file);
  const headers: Record<string, string | number> = {
    'accept-ranges': 'bytes',
    etag,
    'last-modified': new Date(file.mtimeMs).toUTCString(),
    'content-type': contentTypeOf(file.path),
  };
  if (req.headers['if-none-match'] === etag) {
    res.writeHead(304, headers);
    res.end();
    progress.started(304, 0);
    progress.finished();
    return;
  }
  // If-Range with a stale validator means "send the whole new file", not the range of the old one.
  const ifRange = req.headers['if-range'];
  const range = ifRange !== undefined && ifRange !== etag ? { kind: 'full' as const } : decideRange(req.headers.range, file.size);
  if (range.kind === 'unsatisfiable') {
    res.writeHead(416, { ...headers, 'content-range': `bytes */${file.size}`, 'content-length': 0 });
    res.end();
    progress.started(416, 0);
    progress.finished();
    return;
  }
  const start = range.kind === 'partial' ? range.start : 0;
  const end = range.kind === 'partial' ? range.end : file.size - 1;
  const length = file.size === 0 ? 0 : end - start + 1;
  const status = range.kind === 'partial' ? 206 : 200;
  if (range.kind === 'partial') headers['content-range'] = `bytes ${start}-${end}/${file.size}`;
  headers['content-length'] = length;
  res.writeHead(status, headers);
  if (req.method === 'HEAD' || length === 0) {
    res.end();
    progress.started(status, 0);
    progress.finished();
    return;
  }
  progress.started(status, length);
  let sent = 0;
  const stream = file.open ? file.open(start, end) : createReadStream(file.path, { start, end, highWaterMark: 1024 * 1024 });
  stream.on('data', (chunk: Buffer) => {
    sent += chunk.length;
    progress.bytes(sent);
  });
  stream.on('error', (error: Error) => {
    progress.finished(`reading the ${file.open ? 'body' : 'file'} failed: ${error.message}`);
    res.destroy();
  });
  res.on('close', () => {
    if (res.writableFinished) progress.finished();
    else {
      stream.destroy();
      progress.finished(`the client closed the connection after ${sent} of ${length} bytes`);
    }
  });
  stream.pipe(res);
}
