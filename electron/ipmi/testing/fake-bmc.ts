import { randomBytes } from 'node:crypto';
import { CIPHER_SUITES, deriveSessionKeys, keyBytes, sameBytes, type CipherSuite, type SupportedSuiteId } from '../codec/cipher';
import { checksum } from '../codec/message';
import { rakp2AuthCode, rakp3AuthCode, rakp4CheckValue, sikInput, RakpStatus, type RakpExchange } from '../codec/rakp';
import { decodeV15Packet, decodeV20Packet, encodeV15Packet, encodeV20Packet, isV20Packet, PayloadType, peekV20Header } from '../codec/session-wrapper';
import { SecureChannel } from '../secure-channel';
import type { DatagramChannel } from '../transport';

/**
 * An in-process BMC for session tests: speaks the BMC side of RMCP+ (cipher suites 3 and 17, which ipmi_sim
 * lacks for 17), with knobs for the failures real BMCs produce. Test support only.
 */
export interface FakeBmcUser {
  readonly password: string;
  /** Highest privilege level (2 user, 3 operator, 4 administrator). */
  readonly maxPrivilege: number;
}

export interface FakeBmcRequest {
  readonly netFn: number;
  readonly command: number;
  readonly data: Buffer;
}

export interface FakeBmcOptions {
  readonly suites?: readonly SupportedSuiteId[];
  readonly users?: Readonly<Record<string, FakeBmcUser>>;
  readonly kg?: Buffer;
  /** Answer Get Channel Cipher Suites with `suites` (ipmi_sim stays silent). */
  readonly listsCipherSuites?: boolean;
  /** Stay silent on an Open Session for a suite not in `suites`, instead of refusing it. */
  readonly ignoresUnofferedSuites?: boolean;
  /** Drop this many Open Session requests before answering any, as a lossy link would. */
  readonly dropsOpenSessions?: number;
  /** Refuse every Open Session with this status. */
  readonly openSessionStatus?: RakpStatus;
  /** Answers for commands; return null to stay silent. Default: completion code 0 and no data. */
  readonly handle?: (request: FakeBmcRequest) => { completionCode: number; data?: Buffer } | null;
  readonly onSol?: (payload: Buffer, reply: (payload: Buffer) => void) => void;
}

interface Pending {
  suite: CipherSuite;
  consoleSessionId: number;
  bmcSessionId: number;
  exchange?: RakpExchange;
  userKey?: Buffer;
  maxPrivilege?: number;
}

const GUID = Buffer.from('efcdab892301674589abcdef01234567', 'hex');

export function decodeRequestMessage(message: Buffer): { request: FakeBmcRequest; sequence: number } | null {
  if (message.length < 7 || checksum(message.subarray(0, 2)) !== message[2]) return null;
  if (checksum(message.subarray(3, message.length - 1)) !== message[message.length - 1]) return null;
  return {
    request: { netFn: (message[1] ?? 0) >> 2, command: message[5] ?? 0, data: Buffer.from(message.subarray(6, -1)) },
    sequence: (message[4] ?? 0) >> 2,
  };
}

export function encodeResponseMessage(request: FakeBmcRequest, sequence: number, completionCode: number, data: Buffer): Buffer {
  const head = Buffer.from([0x81, ((request.netFn | 1) << 2) & 0xff]);
  const body = Buffer.concat([Buffer.from([0x20, (sequence << 2) & 0xff, request.command, completionCode]), data]);
  return Buffer.concat([head, Buffer.from([checksum(head)]), body, Buffer.from([checksum(body)])]);
}

export class FakeBmc {
  readonly received: Buffer[] = [];
  private listener: ((datagram: Buffer) => void) | null = null;
  private readonly pending = new Map<number, Pending>();
  private readonly sessions = new Map<number, { secure: SecureChannel; privilege: number; maxPrivilege: number }>();
  /** Set to true to drop every datagram, as an unplugged BMC would. */
  silent = false;
  /** Get Channel Cipher Suites requests received, answered or not. */
  cipherSuiteQueries = 0;
  private openSessionsDropped = 0;

  constructor(private readonly options: FakeBmcOptions = {}) {}

  /** The console's side of the wire: hand it to the session as its channel. */
  channel(): DatagramChannel {
    return {
      send: (datagram) => {
        this.received.push(datagram);
        if (!this.silent) setImmediate(() => this.handle(datagram));
      },
      onDatagram: (listener) => {
        this.listener = listener;
      },
      close: () => undefined,
    };
  }

  /** Delivers any bytes to the console, as an attacker on the network could. */
  inject(datagram: Buffer): void {
    this.listener?.(datagram);
  }

  /** Forgets every session, as a BMC reboot or idle timeout does. */
  forgetSessions(): void {
    this.sessions.clear();
  }

  get sessionCount(): number {
    return this.sessions.size;
  }

  private reply(datagram: Buffer): void {
    setImmediate(() => this.listener?.(datagram));
  }

  private handle(datagram: Buffer): void {
    if (!isV20Packet(datagram)) {
      const message = decodeV15Packet(datagram);
      const decoded = message.ok ? decodeRequestMessage(message.value) : null;
      if (decoded?.request.command === 0x38) {
        const caps = Buffer.from([0x01, 0x97, 0x04 | (this.options.kg ? 0x20 : 0), 0x02, 0, 0, 0, 0]);
        this.reply(encodeV15Packet(encodeResponseMessage(decoded.request, decoded.sequence, 0, caps)));
      }
      return;
    }
    const header = peekV20Header(datagram);
    if (!header.ok) return;
    if (header.value.sessionId !== 0) return this.handleSession(datagram, header.value.sessionId);
    const packet = decodeV20Packet(datagram, null);
    if (!packet.ok) return;
    const payload = packet.value.payload;
    switch (packet.value.payloadType) {
      case PayloadType.Ipmi:
        return this.handleCipherSuites(payload);
      case PayloadType.OpenSessionRequest:
        return this.handleOpenSession(payload);
      case PayloadType.Rakp1:
        return this.handleRakp1(payload);
      case PayloadType.Rakp3:
        return this.handleRakp3(payload);
    }
  }

  private clear(type: PayloadType, payload: Buffer): void {
    this.reply(encodeV20Packet({ payloadType: type, sessionId: 0, sequence: 0, payload }, null));
  }

  private handleCipherSuites(payload: Buffer): void {
    const decoded = decodeRequestMessage(payload);
    if (!decoded || decoded.request.command !== 0x54) return;
    this.cipherSuiteQueries += 1;
    if (!this.options.listsCipherSuites) return;
    const records = Buffer.concat(
      (this.options.suites ?? [17, 3]).map((id) => {
        const suite = CIPHER_SUITES[id];
        return Buffer.from([0xc0, id, suite.auth, 0x40 | suite.integrity, 0x80 | suite.confidentiality]);
      }),
    );
    const page = (decoded.request.data[2] ?? 0) & 0x3f;
    const data = Buffer.concat([Buffer.from([0x01]), records.subarray(page * 16, page * 16 + 16)]);
    this.clear(PayloadType.Ipmi, encodeResponseMessage(decoded.request, decoded.sequence, 0, data));
  }

  private handleOpenSession(payload: Buffer): void {
    if (this.openSessionsDropped < (this.options.dropsOpenSessions ?? 0)) {
      this.openSessionsDropped += 1;
      return;
    }
    const tag = payload[0] ?? 0;
    const consoleSessionId = payload.readUInt32LE(4);
    const wanted = { auth: payload[12], integrity: payload[20], confidentiality: payload[28] };
    const suite = (this.options.suites ?? [17, 3])
      .map((id) => CIPHER_SUITES[id])
      .find((candidate) => candidate.auth === wanted.auth && candidate.integrity === wanted.integrity && candidate.confidentiality === wanted.confidentiality);
    if (!suite && this.options.ignoresUnofferedSuites) return;
    const status = this.options.openSessionStatus ?? (suite ? RakpStatus.NoErrors : RakpStatus.NoCipherSuiteMatch);
    if (status !== RakpStatus.NoErrors || !suite) return this.clear(PayloadType.OpenSessionResponse, Buffer.from([tag, status]));
    const bmcSessionId = randomBytes(4).readUInt32LE() || 7;
    this.pending.set(bmcSessionId, { suite, consoleSessionId, bmcSessionId });
    const out = Buffer.alloc(36);
    out[0] = tag;
    out[2] = 4;
    out.writeUInt32LE(consoleSessionId, 4);
    out.writeUInt32LE(bmcSessionId, 8);
    Buffer.from([0, 0, 0, 8, suite.auth, 0, 0, 0, 1, 0, 0, 8, suite.integrity, 0, 0, 0, 2, 0, 0, 8, suite.confidentiality, 0, 0, 0]).copy(out, 12);
    this.clear(PayloadType.OpenSessionResponse, out);
  }

  private handleRakp1(payload: Buffer): void {
    const tag = payload[0] ?? 0;
    const pending = this.pending.get(payload.readUInt32LE(4));
    if (!pending) return this.clear(PayloadType.Rakp2, Buffer.from([tag, RakpStatus.InvalidSessionId, 0, 0, 0, 0, 0, 0]));
    const role = payload[24] ?? 0;
    const userName = payload.subarray(28, 28 + (payload[27] ?? 0));
    const user = this.options.users?.[userName.toString()];
    const refuse = (status: RakpStatus) => {
      const out = Buffer.alloc(8);
      out[0] = tag;
      out[1] = status;
      out.writeUInt32LE(pending.consoleSessionId, 4);
      this.clear(PayloadType.Rakp2, out);
    };
    if (!user) return refuse(RakpStatus.UnauthorizedName);
    if ((role & 0x10) === 0 && (role & 0x0f) > user.maxPrivilege) return refuse(RakpStatus.UnauthorizedRole);
    const exchange: RakpExchange = {
      suite: pending.suite,
      consoleSessionId: pending.consoleSessionId,
      bmcSessionId: pending.bmcSessionId,
      consoleRandom: Buffer.from(payload.subarray(8, 24)),
      bmcRandom: randomBytes(16),
      bmcGuid: GUID,
      role,
      userName: Buffer.from(userName),
    };
    pending.exchange = exchange;
    pending.userKey = keyBytes(user.password);
    pending.maxPrivilege = user.maxPrivilege;
    const head = Buffer.alloc(8);
    head[0] = tag;
    head.writeUInt32LE(pending.consoleSessionId, 4);
    this.clear(PayloadType.Rakp2, Buffer.concat([head, exchange.bmcRandom, GUID, rakp2AuthCode(exchange, pending.userKey)]));
  }

  private handleRakp3(payload: Buffer): void {
    const tag = payload[0] ?? 0;
    const pending = this.pending.get(payload.readUInt32LE(4));
    if (!pending?.exchange || !pending.userKey) return;
    const head = Buffer.alloc(8);
    head[0] = tag;
    head.writeUInt32LE(pending.consoleSessionId, 4);
    if (!sameBytes(payload.subarray(8), rakp3AuthCode(pending.exchange, pending.userKey))) {
      head[1] = RakpStatus.InvalidIntegrityCheckValue;
      return this.clear(PayloadType.Rakp4, head);
    }
    const keys = deriveSessionKeys(pending.suite, this.options.kg ?? pending.userKey, sikInput(pending.exchange));
    this.pending.delete(pending.bmcSessionId);
    this.sessions.set(pending.bmcSessionId, {
      secure: new SecureChannel(keys, pending.consoleSessionId, pending.bmcSessionId),
      privilege: 2,
      maxPrivilege: pending.maxPrivilege ?? 2,
    });
    this.clear(PayloadType.Rakp4, Buffer.concat([head, rakp4CheckValue(pending.exchange, keys.sik)]));
  }

  private handleSession(datagram: Buffer, bmcSessionId: number): void {
    const session = this.sessions.get(bmcSessionId);
    if (!session) return;
    const packet = session.secure.open(datagram);
    if (!packet.ok) return;
    const send = (type: PayloadType, payload: Buffer) => this.reply(session.secure.seal(type, payload, randomBytes(16)));
    if (packet.value.payloadType === PayloadType.Sol) {
      this.options.onSol?.(packet.value.payload, (payload) => send(PayloadType.Sol, payload));
      return;
    }
    const decoded = decodeRequestMessage(packet.value.payload);
    if (!decoded) return;
    const { request, sequence } = decoded;
    const answer = (completionCode: number, data: Buffer = Buffer.alloc(0)) =>
      send(PayloadType.Ipmi, encodeResponseMessage(request, sequence, completionCode, data));
    if (request.netFn === 0x06 && request.command === 0x3b) {
      session.privilege = Math.min((request.data[0] ?? 0) & 0x0f, session.maxPrivilege);
      return answer(0, Buffer.from([session.privilege]));
    }
    if (request.netFn === 0x06 && request.command === 0x3c) {
      this.sessions.delete(bmcSessionId);
      return answer(0);
    }
    const handled = this.options.handle ? this.options.handle(request) : { completionCode: 0 };
    if (handled) answer(handled.completionCode, handled.data);
  }
}
