// A WebSocket client on a bare TCP socket, for tests that must send what a well-behaved client library refuses to:
// reserved opcodes, RSV bits, unmasked frames, lengths it does not send, invalid UTF-8, broken fragmentation.
import { randomBytes } from 'node:crypto';
import net from 'node:net';

export const OPCODE = { continuation: 0x0, text: 0x1, binary: 0x2, close: 0x8, ping: 0x9, pong: 0xa } as const;

export interface FrameSpec {
  opcode: number;
  payload?: Buffer;
  /** Defaults to true. */
  fin?: boolean;
  /** RSV1..3 as the three bits 0b100, 0b010, 0b001. */
  rsv?: number;
  /** Clients must mask; false sends an unmasked frame. */
  masked?: boolean;
  /** A length to declare instead of the payload's own (the payload sent stays as given). */
  declaredLength?: bigint;
}

export function encodeFrame(spec: FrameSpec): Buffer {
  const payload = spec.payload ?? Buffer.alloc(0);
  const length = spec.declaredLength ?? BigInt(payload.length);
  const masked = spec.masked ?? true;
  const first = ((spec.fin ?? true) ? 0x80 : 0) | ((spec.rsv ?? 0) << 4) | (spec.opcode & 0x0f);
  let header: Buffer;
  if (length < 126n) {
    header = Buffer.from([first, Number(length)]);
  } else if (length < 65536n) {
    header = Buffer.alloc(4);
    header[0] = first;
    header[1] = 126;
    header.writeUInt16BE(Number(length), 2);
  } else {
    header = Buffer.alloc(10);
    header[0] = first;
    header[1] = 127;
    header.writeBigUInt64BE(length, 2);
  }
  if (!masked) return Buffer.concat([header, payload]);
  header.writeUInt8(header.readUInt8(1) | 0x80, 1);
  const key = randomBytes(4);
  const body = Buffer.from(payload);
  for (let i = 0; i < body.length; i++) body[i] = body[i]! ^ key[i & 3]!;
  return Buffer.concat([header, key, body]);
}

export interface ServerFrame {
  opcode: number;
  payload: Buffer;
}

/** Splits the server's (unmasked) frames off the front of `buffer`; returns them and the bytes left over. */
export function decodeServerFrames(buffer: Buffer): { frames: ServerFrame[]; rest: Buffer } {
  const frames: ServerFrame[] = [];
  let offset = 0;
  for (;;) {
    if (buffer.length - offset < 2) break;
    const opcode = buffer.readUInt8(offset) & 0x0f;
    let length = buffer.readUInt8(offset + 1) & 0x7f;
    let start = offset + 2;
    if (length === 126) {
      if (buffer.length - offset < 4) break;
      length = buffer.readUInt16BE(offset + 2);
      start = offset + 4;
    } else if (length === 127) {
      if (buffer.length - offset < 10) break;
      length = Number(buffer.readBigUInt64BE(offset + 2));
      start = offset + 10;
    }
    if (buffer.length < start + length) break;
    frames.push({ opcode, payload: buffer.subarray(start, start + length) });
    offset = start + length;
  }
  return { frames, rest: buffer.subarray(offset) };
}

/** The close code in a close frame's payload, or null for a close frame without one. */
export function closeCode(frame: ServerFrame): number | null {
  return frame.payload.length >= 2 ? frame.payload.readUInt16BE(0) : null;
}

export class RawWebSocket {
  readonly frames: ServerFrame[] = [];
  ended = false;
  private pending: Buffer = Buffer.alloc(0);
  private wakers: (() => void)[] = [];

  private constructor(private readonly socket: net.Socket) {
    socket.on('data', (data) => {
      const { frames, rest } = decodeServerFrames(Buffer.concat([this.pending, data]));
      this.pending = rest;
      this.frames.push(...frames);
      this.wake();
    });
    socket.on('close', () => {
      this.ended = true;
      this.wake();
    });
    socket.on('error', () => undefined);
  }

  /** Sends `request` (an HTTP upgrade, or anything else) and resolves with the response head and, on 101, a client. */
  static async open(port: number, request: string): Promise<{ status: string; client: RawWebSocket | null }> {
    const socket = net.connect(port, '127.0.0.1');
    socket.on('error', () => undefined);
    let head: Buffer = Buffer.alloc(0);
    const status = await new Promise<string>((resolve) => {
      const onData = (data: Buffer): void => {
        head = Buffer.concat([head, data]);
        const end = head.indexOf('\r\n\r\n');
        if (end < 0) return;
        socket.off('data', onData);
        const rest = head.subarray(end + 4);
        if (rest.length > 0) socket.unshift(rest);
        resolve(head.subarray(0, end).toString('latin1').split('\r\n')[0] ?? '');
      };
      socket.on('data', onData);
      socket.once('close', () => resolve(head.toString('latin1').split('\r\n')[0] || 'closed without a response'));
      socket.write(request);
    });
    if (!status.startsWith('HTTP/1.1 101')) {
      socket.destroy();
      return { status, client: null };
    }
    return { status, client: new RawWebSocket(socket) };
  }

  static upgradeRequest(pathAndQuery: string, extraHeaders = ''): string {
    return (
      `GET ${pathAndQuery} HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n` +
      `Sec-WebSocket-Key: ${randomBytes(16).toString('base64')}\r\nSec-WebSocket-Version: 13\r\n${extraHeaders}\r\n`
    );
  }

  write(data: Buffer): void {
    if (!this.socket.destroyed) this.socket.write(data);
  }

  destroy(): void {
    this.socket.destroy();
  }

  /** Resolves once `done()` holds (checked on every frame and on close); rejects after `timeoutMs`. */
  waitUntil(done: () => boolean, timeoutMs: number, what: string): Promise<void> {
    if (done()) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`timed out after ${timeoutMs} ms waiting for ${what}`)), timeoutMs);
      const check = (): void => {
        if (done()) {
          clearTimeout(timer);
          resolve();
        } else {
          this.wakers.push(check);
        }
      };
      this.wakers.push(check);
    });
  }

  private wake(): void {
    const wakers = this.wakers;
    this.wakers = [];
    for (const waker of wakers) waker();
  }
}
