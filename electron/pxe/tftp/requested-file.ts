// What a read request names, opened for sending: an extra file by its exact name, otherwise a file inside the jailed
// root; netascii is converted in memory. Refusals come back as the TFTP error to answer with.
import { open, readFile, stat, type FileHandle } from 'node:fs/promises';
import { resolveInRoot, type JailRefusal } from '../path-jail';
import { ErrorCode, type RequestPacket } from './codec';
import { toNetascii } from './netascii';

/** A file ready to send: still on disk (octet) or converted in memory (netascii). */
export type OpenedContent = { kind: 'file'; handle: FileHandle } | { kind: 'memory'; bytes: Buffer };
export type OpenedFile = { ok: true; size: number; content: OpenedContent } | { ok: false; code: ErrorCode; message: string };

/** Where requested names are looked up. */
export interface ServedFiles {
  /** Served folder; names resolve inside it only. */
  root: string;
  /** Names served from outside the root (name → absolute path). */
  extraFiles?: ReadonlyMap<string, string>;
  /** Largest file served in netascii, which is converted in memory. */
  maxNetasciiBytes: number;
}

const REFUSAL_TEXT: Record<JailRefusal, { code: ErrorCode; message: string }> = {
  empty: { code: ErrorCode.FILE_NOT_FOUND, message: 'File not found' },
  'not-found': { code: ErrorCode.FILE_NOT_FOUND, message: 'File not found' },
  'not-a-file': { code: ErrorCode.FILE_NOT_FOUND, message: 'Not a regular file' },
  absolute: { code: ErrorCode.ACCESS_VIOLATION, message: 'Access violation: absolute paths are not served' },
  'parent-segment': { code: ErrorCode.ACCESS_VIOLATION, message: 'Access violation: ".." is not allowed' },
  backslash: { code: ErrorCode.ACCESS_VIOLATION, message: 'Access violation: backslashes are not allowed' },
  'control-character': { code: ErrorCode.ACCESS_VIOLATION, message: 'Access violation: control characters in name' },
  'outside-root': { code: ErrorCode.ACCESS_VIOLATION, message: 'Access violation: path leads outside the TFTP root' },
};

/** Opens what a request names: an extra file by exact name, otherwise a file inside the jailed root. */
export async function openRequestedFile(served: ServedFiles, request: RequestPacket): Promise<OpenedFile> {
  const extra = served.extraFiles?.get(request.filename);
  let path: string;
  let size: number;
  if (extra !== undefined) {
    try {
      const info = await stat(extra);
      if (!info.isFile()) return { ok: false, ...REFUSAL_TEXT['not-a-file'] };
      path = extra;
      size = info.size;
    } catch {
      return { ok: false, ...REFUSAL_TEXT['not-found'] };
    }
  } else {
    const resolved = await resolveInRoot(served.root, request.filename);
    if (!resolved.ok) return { ok: false, ...REFUSAL_TEXT[resolved.refusal] };
    path = resolved.path;
    size = resolved.size;
  }
  try {
    if (request.mode === 'netascii') {
      if (size > served.maxNetasciiBytes) {
        return { ok: false, code: ErrorCode.NOT_DEFINED, message: 'File too large for netascii, use octet mode' };
      }
      const converted = toNetascii(await readFile(path));
      return { ok: true, size: converted.length, content: { kind: 'memory', bytes: converted } };
    }
    return { ok: true, size, content: { kind: 'file', handle: await open(path, 'r') } };
  } catch {
    return { ok: false, code: ErrorCode.ACCESS_VIOLATION, message: 'File cannot be read' };
  }
}
