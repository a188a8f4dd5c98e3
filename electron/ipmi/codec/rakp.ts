import { hmac, sameBytes, type CipherSuite } from './cipher';
import { accept, refuse, type Decoded } from './result';

/** IPMI v2.0 §13.17–13.23: Open Session and the four RAKP messages that authenticate both ends. */

export const enum PrivilegeLevel {
  Highest = 0x00,
  Callback = 0x01,
  User = 0x02,
  Operator = 0x03,
  Administrator = 0x04,
}

/** RAKP1 role bit 4: look the user up by name only, not by name and privilege. */
export const NAME_ONLY_LOOKUP = 0x10;

/** IPMI v2.0 table 13-15: RMCP+ and RAKP message status codes. */
export const enum RakpStatus {
  NoErrors = 0x00,
  InsufficientResources = 0x01,
  InvalidSessionId = 0x02,
  InvalidPayloadType = 0x03,
  InvalidAuthAlgorithm = 0x04,
  InvalidIntegrityAlgorithm = 0x05,
  NoMatchingAuthPayload = 0x06,
  NoMatchingIntegrityPayload = 0x07,
  InactiveSessionId = 0x08,
  InvalidRole = 0x09,
  UnauthorizedRole = 0x0a,
  InsufficientResourcesForRole = 0x0b,
  InvalidNameLength = 0x0c,
  UnauthorizedName = 0x0d,
  UnauthorizedGuid = 0x0e,
  InvalidIntegrityCheckValue = 0x0f,
  InvalidConfidentialityAlgorithm = 0x10,
  NoCipherSuiteMatch = 0x11,
  IllegalParameter = 0x12,
}

export interface OpenSessionRequest {
  readonly messageTag: number;
  readonly requestedPrivilege: PrivilegeLevel;
  readonly consoleSessionId: number;
  readonly suite: CipherSuite;
}

export function encodeOpenSessionRequest(request: OpenSessionRequest): Buffer {
  const out = Buffer.alloc(32);
  out[0] = request.messageTag;
  out[1] = request.requestedPrivilege;
  out.writeUInt32LE(request.consoleSessionId >>> 0, 4);
  algorithmRecord(0x00, request.suite.auth).copy(out, 8);
  algorithmRecord(0x01, request.suite.integrity).copy(out, 16);
  algorithmRecord(0x02, request.suite.confidentiality).copy(out, 24);
  return out;
}

function algorithmRecord(payloadType: number, algorithm: number): Buffer {
  return Buffer.from([payloadType, 0, 0, 0x08, algorithm, 0, 0, 0]);
}

export interface OpenSessionResponse {
  readonly messageTag: number;
  readonly status: RakpStatus;
  readonly privilege: number;
  readonly consoleSessionId: number;
  readonly bmcSessionId: number;
  readonly auth: number;
  readonly integrity: number;
  readonly confidentiality: number;
}

/** Tag, status and console session id: the head every BMC answer in session setup starts with. */
interface SetupAnswerHead {
  readonly messageTag: number;
  readonly status: RakpStatus;
  readonly consoleSessionId: number;
}

/** A refusal may be cut short after the status byte (ipmi_sim sends just tag and status). */
function setupAnswerHead(payload: Buffer): SetupAnswerHead | null {
  if (payload.length < 2) return null;
  return { messageTag: payload[0] ?? 0, status: payload[1] ?? 0, consoleSessionId: payload.length >= 8 ? payload.readUInt32LE(4) : 0 };
}

export function decodeOpenSessionResponse(payload: Buffer): Decoded<OpenSessionResponse> {
  const head = setupAnswerHead(payload);
  if (!head) return refuse('Open Session response is truncated');
  const base = { ...head, privilege: payload[2] ?? 0 };
  if (head.status !== RakpStatus.NoErrors) return accept({ ...base, bmcSessionId: 0, auth: 0, integrity: 0, confidentiality: 0 });
  if (payload.length < 36) return refuse('Open Session response is truncated');
  return accept({
    ...base,
    bmcSessionId: payload.readUInt32LE(8),
    auth: (payload[16] ?? 0) & 0x3f,
    integrity: (payload[24] ?? 0) & 0x3f,
    confidentiality: (payload[32] ?? 0) & 0x3f,
  });
}

/** What both ends feed into the RAKP HMACs; gathered once so every code is computed from the same facts. */
export interface RakpExchange {
  readonly suite: CipherSuite;
  readonly consoleSessionId: number;
  readonly bmcSessionId: number;
  readonly consoleRandom: Buffer;
  readonly bmcRandom: Buffer;
  readonly bmcGuid: Buffer;
  /** Role byte as sent in RAKP1, including the name-only lookup bit. */
  readonly role: number;
  readonly userName: Buffer;
}

export interface Rakp1 {
  readonly messageTag: number;
  readonly bmcSessionId: number;
  readonly consoleRandom: Buffer;
  readonly role: number;
  readonly userName: Buffer;
}

export function encodeRakp1(message: Rakp1): Buffer {
  const out = Buffer.alloc(28);
  out[0] = message.messageTag;
  out.writeUInt32LE(message.bmcSessionId >>> 0, 4);
  message.consoleRandom.copy(out, 8, 0, 16);
  out[24] = message.role;
  out[27] = message.userName.length;
  return Buffer.concat([out, message.userName]);
}

export interface Rakp2 {
  readonly messageTag: number;
  readonly status: RakpStatus;
  readonly consoleSessionId: number;
  readonly bmcRandom: Buffer;
  readonly bmcGuid: Buffer;
  readonly authCode: Buffer;
}

export function decodeRakp2(payload: Buffer): Decoded<Rakp2> {
  const head = setupAnswerHead(payload);
  if (!head) return refuse('RAKP 2 is truncated');
  const empty = Buffer.alloc(0);
  if (head.status !== RakpStatus.NoErrors) return accept({ ...head, bmcRandom: empty, bmcGuid: empty, authCode: empty });
  if (payload.length < 40) return refuse('RAKP 2 is truncated');
  return accept({
    ...head,
    bmcRandom: Buffer.from(payload.subarray(8, 24)),
    bmcGuid: Buffer.from(payload.subarray(24, 40)),
    authCode: Buffer.from(payload.subarray(40)),
  });
}

function ids(first: number, second: number): Buffer {
  const out = Buffer.alloc(8);
  out.writeUInt32LE(first >>> 0, 0);
  out.writeUInt32LE(second >>> 0, 4);
  return out;
}

function roleAndName(exchange: RakpExchange): Buffer {
  return Buffer.concat([Buffer.from([exchange.role, exchange.userName.length]), exchange.userName]);
}

/** RAKP2's key exchange auth code: proof that the BMC knows the user's password. */
export function rakp2AuthCode(exchange: RakpExchange, userKey: Buffer): Buffer {
  return hmac(
    exchange.suite,
    userKey,
    ids(exchange.consoleSessionId, exchange.bmcSessionId),
    exchange.consoleRandom,
    exchange.bmcRandom,
    exchange.bmcGuid,
    roleAndName(exchange),
  );
}

export function verifyRakp2(exchange: RakpExchange, userKey: Buffer, received: Buffer): boolean {
  return sameBytes(rakp2AuthCode(exchange, userKey), received);
}

/** RAKP3's auth code: our proof that we know the password. */
export function rakp3AuthCode(exchange: RakpExchange, userKey: Buffer): Buffer {
  const consoleId = Buffer.alloc(4);
  consoleId.writeUInt32LE(exchange.consoleSessionId >>> 0);
  return hmac(exchange.suite, userKey, exchange.bmcRandom, consoleId, roleAndName(exchange));
}

export function sikInput(exchange: RakpExchange): Buffer {
  return Buffer.concat([exchange.consoleRandom, exchange.bmcRandom, roleAndName(exchange)]);
}

export function encodeRakp3(messageTag: number, status: RakpStatus, bmcSessionId: number, authCode: Buffer): Buffer {
  const out = Buffer.alloc(8);
  out[0] = messageTag;
  out[1] = status;
  out.writeUInt32LE(bmcSessionId >>> 0, 4);
  return Buffer.concat([out, authCode]);
}

export interface Rakp4 {
  readonly messageTag: number;
  readonly status: RakpStatus;
  readonly consoleSessionId: number;
  readonly integrityCheckValue: Buffer;
}

export function decodeRakp4(payload: Buffer): Decoded<Rakp4> {
  const head = setupAnswerHead(payload);
  if (!head || (head.status === RakpStatus.NoErrors && payload.length < 8)) return refuse('RAKP 4 is truncated');
  return accept({ ...head, integrityCheckValue: Buffer.from(payload.subarray(8)) });
}

/** RAKP4's integrity check value: proof that the BMC derived the same session integrity key. */
export function rakp4CheckValue(exchange: RakpExchange, sik: Buffer): Buffer {
  const bmcId = Buffer.alloc(4);
  bmcId.writeUInt32LE(exchange.bmcSessionId >>> 0);
  return hmac(exchange.suite, sik, exchange.consoleRandom, bmcId, exchange.bmcGuid).subarray(0, exchange.suite.integrityLength);
}
