import { accept, refuse, type Decoded } from './result';

/** IPMI v2.0 §13.8: the request/response message carried inside a session wrapper. */
export const BMC_SLAVE_ADDRESS = 0x20;
export const REMOTE_CONSOLE_SOFTWARE_ID = 0x81;

export const enum NetFn {
  Chassis = 0x00,
  App = 0x06,
  Transport = 0x0c,
}

export interface IpmiRequest {
  readonly netFn: number;
  readonly command: number;
  readonly data: Buffer;
}

export interface IpmiResponse {
  readonly netFn: number;
  readonly command: number;
  /** 6-bit requester sequence the BMC echoes so replies can be matched to requests. */
  readonly requestSequence: number;
  readonly completionCode: number;
  readonly data: Buffer;
}

/** Two's-complement checksum: the covered bytes plus the checksum sum to zero modulo 256. */
export function checksum(bytes: Buffer): number {
  let sum = 0;
  for (const byte of bytes) sum = (sum + byte) & 0xff;
  return (0x100 - sum) & 0xff;
}

export function encodeRequestMessage(request: IpmiRequest, requestSequence: number): Buffer {
  const head = Buffer.from([BMC_SLAVE_ADDRESS, (request.netFn << 2) & 0xfc]);
  const body = Buffer.concat([
    Buffer.from([REMOTE_CONSOLE_SOFTWARE_ID, (requestSequence << 2) & 0xfc, request.command & 0xff]),
    request.data,
  ]);
  return Buffer.concat([head, Buffer.from([checksum(head)]), body, Buffer.from([checksum(body)])]);
}

export function decodeResponseMessage(message: Buffer): Decoded<IpmiResponse> {
  if (message.length < 8) return refuse('IPMI response shorter than 8 bytes');
  if (checksum(message.subarray(0, 2)) !== message[2]) return refuse('IPMI response header checksum is wrong');
  const bodyEnd = message.length - 1;
  if (checksum(message.subarray(3, bodyEnd)) !== message[bodyEnd]) return refuse('IPMI response body checksum is wrong');
  if (message[0] !== REMOTE_CONSOLE_SOFTWARE_ID) return refuse('IPMI response is addressed to another requester');
  const netFn = (message[1] ?? 0) >> 2;
  if ((netFn & 1) === 0) return refuse('IPMI message is a request, not a response');
  return accept({
    netFn: netFn & 0xfe,
    requestSequence: (message[4] ?? 0) >> 2,
    command: message[5] ?? 0,
    completionCode: message[6] ?? 0,
    data: Buffer.from(message.subarray(7, bodyEnd)),
  });
}

/** IPMI v2.0 table 5-2, generic completion codes; command-specific ones are named by their command. */
const GENERIC_COMPLETION_CODES: Readonly<Record<number, string>> = {
  0xc0: 'node busy',
  0xc1: 'invalid command',
  0xc2: 'command invalid for this LUN',
  0xc3: 'timeout while processing command',
  0xc4: 'out of space',
  0xc5: 'reservation cancelled or invalid',
  0xc6: 'request data truncated',
  0xc7: 'request data length invalid',
  0xc8: 'request data field length limit exceeded',
  0xc9: 'parameter out of range',
  0xca: 'cannot return number of requested data bytes',
  0xcb: 'requested sensor, data or record not present',
  0xcc: 'invalid data field in request',
  0xcd: 'command illegal for this sensor or record type',
  0xce: 'command response could not be provided',
  0xcf: 'cannot execute duplicated request',
  0xd0: 'SDR repository in update mode',
  0xd1: 'device in firmware update mode',
  0xd2: 'BMC initialization in progress',
  0xd3: 'destination unavailable',
  0xd4: 'insufficient privilege level',
  0xd5: 'command not supported in present state',
  0xd6: 'command sub-function disabled or unavailable',
  0xff: 'unspecified error',
};

export function describeCompletionCode(code: number): string {
  const hex = `0x${code.toString(16).padStart(2, '0')}`;
  const known = GENERIC_COMPLETION_CODES[code];
  return known ? `${known} (${hex})` : `completion code ${hex}`;
}

export const COMPLETION_NODE_BUSY = 0xc0;
export const COMPLETION_INSUFFICIENT_PRIVILEGE = 0xd4;
