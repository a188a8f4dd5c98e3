import { UPLOAD_CHUNK_BYTES, UPLOAD_PATH, uploadStatusSchema, type UploadStatus } from '../../../shared/uploads';
import { launchToken } from './client';

/** A refusal from the server: a message for the technician, and what the server holds when it says so (409). */
class UploadRefused extends Error {
  constructor(
    message: string,
    readonly httpStatus: number,
    readonly held: UploadStatus | null,
  ) {
    super(message);
  }
}

/** The connection broke (cable, Wi-Fi, server restart): the upload waits and continues from what the server holds. */
class ConnectionLost extends Error {}

/** Tries after a broken connection before giving up; the waits between them grow to 15 s. */
const RETRIES = 10;

function uploadUrl(suffix = ''): string {
  return `${UPLOAD_PATH}${suffix}?token=${encodeURIComponent(launchToken())}`;
}

/** One request; the answer parsed as an upload's status, or UploadRefused / ConnectionLost. */
function send(method: string, url: string, body: Blob | string | null, headers: Record<string, string>, onSent?: (bytes: number) => void): Promise<UploadStatus> {
  return new Promise((resolve, reject) => {
    const request = new XMLHttpRequest();
    request.open(method, url);
    for (const [name, value] of Object.entries(headers)) request.setRequestHeader(name, value);
    if (onSent) request.upload.onprogress = (event) => onSent(event.loaded);
    request.onerror = () => reject(new ConnectionLost('The connection to Rackboot broke during the upload.'));
    request.onabort = request.onerror;
    request.onload = () => {
      let answer: unknown;
      try {
        answer = JSON.parse(request.responseText);
      } catch {
        reject(new UploadRefused(`The upload failed (HTTP ${request.status}).`, request.status, null));
        return;
      }
      if (request.status >= 200 && request.status < 300) {
        resolve(uploadStatusSchema.parse(answer));
        return;
      }
      const refusal = answer as { message?: unknown; status?: unknown };
      const held = uploadStatusSchema.safeParse(refusal.status);
      const message = typeof refusal.message === 'string' ? refusal.message : `The upload failed (HTTP ${request.status}).`;
      reject(new UploadRefused(message, request.status, held.success ? held.data : null));
    };
    request.send(body);
  });
}

const pause = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

export interface UploadProgress {
  /** Bytes the server holds plus those on the way. */
  sent: number;
  total: number;
  /** Where the upload continued from after a break (or from an earlier, cut-off upload of the same file). */
  resumedAt: number | null;
}

/**
 * Uploads a file to the core (headless mode), in pieces, each PUT at the offset the server says it holds: a connection
 * that breaks is retried, and continues from the bytes already on the server; starting the same file again (same name,
 * size and date) continues an upload that was cut off earlier. The server computes the SHA-256 as the bytes arrive and
 * refuses the file, removing it, when `sha256` is given and does not match.
 */
export async function uploadFile(file: File, sha256: string | undefined, onProgress: (progress: UploadProgress) => void): Promise<UploadStatus> {
  const start = JSON.stringify({ name: file.name, size: file.size, lastModified: Math.max(0, Math.floor(file.lastModified)), ...(sha256 ? { sha256 } : {}) });
  let status = await send('POST', uploadUrl(), start, { 'Content-Type': 'application/json' });
  let resumedAt = status.received > 0 ? status.received : null;
  let failures = 0;
  onProgress({ sent: status.received, total: file.size, resumedAt });
  while (!status.complete) {
    const offset = status.received;
    const end = Math.min(offset + UPLOAD_CHUNK_BYTES, file.size);
    try {
      status = await send('PUT', uploadUrl(`/${status.id}`), file.slice(offset, end), { 'Content-Range': `bytes ${offset}-${end - 1}/${file.size}` }, (bytes) =>
        onProgress({ sent: offset + bytes, total: file.size, resumedAt }),
      );
      failures = 0;
    } catch (error) {
      if (error instanceof UploadRefused && error.held) {
        status = error.held;
      } else if (error instanceof ConnectionLost && failures < RETRIES) {
        failures += 1;
        await pause(Math.min(500 * 2 ** failures, 15_000));
        status = await send('GET', uploadUrl(`/${status.id}`), null, {}).catch(() => status);
      } else {
        throw error;
      }
      resumedAt = status.received;
    }
    onProgress({ sent: status.received, total: file.size, resumedAt });
  }
  return status;
}
