// The whole RMCP+ login handshake with one BMC: Get Channel Authentication Capabilities → cipher suite choice →
// Open Session → RAKP 1–4 → Set Session Privilege Level. Its result is a SecureChannel for the session; every
// login failure becomes the error a technician can act on. It sends through the session's transport and keeps no
// session state of its own beyond the message tags.
import { randomBytes } from 'node:crypto';
import type { IpmiPrivilege, IpmiTarget } from '../../shared/ipmi';
import {
  decodeChannelAuthCapabilities,
  getChannelAuthCapabilitiesRequest,
  getChannelCipherSuitesRequest,
  setSessionPrivilegeRequest,
  type ChannelAuthCapabilities,
} from './codec/app-commands';
import { CIPHER_SUITES, deriveSessionKeys, keyBytes, sameBytes, type CipherSuite, type SupportedSuiteId } from './codec/cipher';
import { COMPLETION_INSUFFICIENT_PRIVILEGE } from './codec/message';
import { listCipherSuites } from './codec/pre-session';
import {
  decodeOpenSessionResponse,
  decodeRakp2,
  decodeRakp4,
  encodeOpenSessionRequest,
  encodeRakp1,
  encodeRakp3,
  rakp3AuthCode,
  rakp4CheckValue,
  sikInput,
  verifyRakp2,
  NAME_ONLY_LOOKUP,
  PrivilegeLevel,
  RakpStatus,
  type OpenSessionResponse,
  type RakpExchange,
} from './codec/rakp';
import type { Decoded } from './codec/result';
import { PayloadType } from './codec/session-wrapper';
import {
  BmcBusyError,
  BmcUnreachableError,
  CipherSuiteUnsupportedError,
  commandFailure,
  IpmiProtocolError,
  PrivilegeTooLowError,
  UnknownUserError,
  WrongBmcKeyError,
  WrongPasswordError,
} from './errors';
import { SecureChannel } from './secure-channel';
import type { SessionTransport } from './session-transport';

/** A session the BMC has set up at the privilege asked for. */
export interface LoggedIn {
  readonly secure: SecureChannel;
  readonly cipherSuite: SupportedSuiteId;
  /** The LAN channel the BMC answered on (from Get Channel Authentication Capabilities). */
  readonly lanChannel: number;
}

const PRIVILEGE_LEVEL: Readonly<Record<IpmiPrivilege, PrivilegeLevel>> = {
  administrator: PrivilegeLevel.Administrator,
  operator: PrivilegeLevel.Operator,
  user: PrivilegeLevel.User,
};

/** Open Session statuses that mean "not this cipher suite": try the next one. */
const SUITE_REJECTIONS = new Set<number>([
  RakpStatus.InvalidAuthAlgorithm,
  RakpStatus.InvalidIntegrityAlgorithm,
  RakpStatus.NoMatchingAuthPayload,
  RakpStatus.NoMatchingIntegrityPayload,
  RakpStatus.InvalidConfidentialityAlgorithm,
  RakpStatus.NoCipherSuiteMatch,
]);

export class SessionLogin {
  private readonly privilege: PrivilegeLevel;
  private readonly nameOnly: boolean;
  private nextMessageTag = 0;

  constructor(
    private readonly transport: SessionTransport,
    private readonly target: IpmiTarget,
    /** How errors name the BMC. */
    private readonly bmc: string,
    /** RAKP user lookup: by name only (the common default), or by name and requested privilege. */
    lookup: 'name-only' | 'name-and-privilege',
  ) {
    this.privilege = PRIVILEGE_LEVEL[target.privilege];
    this.nameOnly = lookup === 'name-only';
  }

  /**
   * Runs the handshake. From RAKP 4 on the transport receives for the new session (Set Session Privilege travels
   * inside it); when raising the privilege fails it stops again.
   */
  async logIn(): Promise<LoggedIn> {
    const capabilities = await this.authCapabilities();
    if (!capabilities.ipmi20) {
      throw new IpmiProtocolError(this.bmc, 'it speaks only IPMI 1.5; enable IPMI 2.0 / RMCP+ (lanplus) in the BMC settings');
    }
    const tried: number[] = [];
    let offered: number[] | null | undefined;
    const offeredSuites = async (): Promise<number[] | null> => (offered === undefined ? (offered = await this.offeredSuites()) : offered);
    for (const suite of this.preferredSuites()) {
      tried.push(suite.id);
      const opened = await this.openSessionWith(suite, offeredSuites);
      if (opened === null || SUITE_REJECTIONS.has(opened.status)) continue;
      if (opened.status === RakpStatus.InsufficientResources) throw new BmcBusyError(this.bmc, 'no free session slot');
      if (opened.status !== RakpStatus.NoErrors) throw new IpmiProtocolError(this.bmc, `Open Session status 0x${opened.status.toString(16)}`);
      const secure = await this.authenticate(suite, opened.consoleSessionId, opened);
      this.transport.receiveFor(secure);
      try {
        await this.raisePrivilege(secure);
      } catch (error) {
        this.transport.receiveFor(null);
        throw error;
      }
      return { secure, cipherSuite: suite.id, lanChannel: capabilities.channel };
    }
    throw new CipherSuiteUnsupportedError(this.bmc, tried, (await offeredSuites()) ?? []);
  }

  /** Pinned suite: just that one. Automatic: 17, then 3. */
  private preferredSuites(): CipherSuite[] {
    return this.target.cipherSuite === 'auto' ? [CIPHER_SUITES[17], CIPHER_SUITES[3]] : [CIPHER_SUITES[this.target.cipherSuite]];
  }

  /**
   * Opens a session with one suite; null when the BMC is known not to offer it. BMCs answer an Open Session for a
   * suite they lack with a rejection status, so in automatic mode the first try gets one short wait, not the whole
   * backoff: silence then asks the BMC's Get Channel Cipher Suites list (which some BMCs, ipmi_sim among them, never
   * answer) before trying the suite again in earnest. Asking for the list up front would cost every login a round
   * trip, and a whole wait on BMCs that keep quiet about it.
   */
  private async openSessionWith(suite: CipherSuite, offeredSuites: () => Promise<number[] | null>): Promise<OpenSessionResponse | null> {
    if (this.target.cipherSuite === 'auto') {
      const quick = await this.openSession(suite, 0).catch((error: unknown) => {
        if (error instanceof BmcUnreachableError) return null;
        throw error;
      });
      if (quick !== null) return quick;
      const offered = await offeredSuites();
      if (offered !== null && !offered.includes(suite.id)) return null;
    }
    return this.openSession(suite, this.transport.retries);
  }

  /** The suites the BMC lists, or null when it does not answer (asked once per page, without retries). */
  private offeredSuites(): Promise<number[] | null> {
    return listCipherSuites((index) =>
      this.transport.preSession(getChannelCipherSuitesRequest(index), 'Get Channel Cipher Suites', 'v2.0', 0).catch(() => null),
    );
  }

  private async authCapabilities(): Promise<ChannelAuthCapabilities> {
    const what = 'Get Channel Authentication Capabilities';
    const response = await this.transport.preSession(getChannelAuthCapabilitiesRequest(this.privilege), what, 'v1.5');
    if (response.completionCode !== 0) throw commandFailure(this.bmc, this.target, what, response.completionCode);
    const capabilities = decodeChannelAuthCapabilities(response.data);
    if (!capabilities.ok) throw new IpmiProtocolError(this.bmc, capabilities.reason);
    return capabilities.value;
  }

  private openSession(suite: CipherSuite, retries: number): Promise<OpenSessionResponse> {
    const messageTag = this.takeMessageTag();
    const consoleSessionId = randomBytes(4).readUInt32LE() || 1;
    const payload = encodeOpenSessionRequest({ messageTag, requestedPrivilege: PrivilegeLevel.Highest, consoleSessionId, suite });
    return this.transport.setupStep('Open Session', PayloadType.OpenSessionRequest, payload, PayloadType.OpenSessionResponse, (answer) => {
      const response = decodeOpenSessionResponse(answer);
      if (!response.ok || response.value.messageTag !== messageTag) return undefined;
      if (response.value.status === RakpStatus.NoErrors && response.value.consoleSessionId !== consoleSessionId) return undefined;
      return response.value;
    }, retries);
  }

  /** The answer of a RAKP step, if it decodes and carries our message tag. */
  private static tagged<T extends { readonly messageTag: number }>(decoded: Decoded<T>, messageTag: number): T | undefined {
    return decoded.ok && decoded.value.messageTag === messageTag ? decoded.value : undefined;
  }

  private async authenticate(suite: CipherSuite, consoleSessionId: number, opened: OpenSessionResponse): Promise<SecureChannel> {
    const userName = Buffer.from(this.target.user, 'utf8');
    const role = (this.nameOnly ? NAME_ONLY_LOOKUP : 0) | this.privilege;
    const consoleRandom = randomBytes(16);
    const tag1 = this.takeMessageTag();
    const rakp1 = encodeRakp1({ messageTag: tag1, bmcSessionId: opened.bmcSessionId, consoleRandom, role, userName });
    const rakp2 = await this.transport.setupStep('RAKP 1', PayloadType.Rakp1, rakp1, PayloadType.Rakp2, (answer) =>
      SessionLogin.tagged(decodeRakp2(answer), tag1),
    );
    this.throwForRakpStatus(rakp2.status);
    if (rakp2.consoleSessionId !== consoleSessionId) throw new IpmiProtocolError(this.bmc, 'RAKP 2 names another session');

    const exchange: RakpExchange = {
      suite,
      consoleSessionId,
      bmcSessionId: opened.bmcSessionId,
      consoleRandom,
      bmcRandom: rakp2.bmcRandom,
      bmcGuid: rakp2.bmcGuid,
      role,
      userName,
    };
    const userKey = keyBytes(this.target.password);
    if (!verifyRakp2(exchange, userKey, rakp2.authCode)) throw new WrongPasswordError(this.bmc, this.target.user);

    const keys = deriveSessionKeys(suite, this.target.kg ? bmcKeyBytes(this.target.kg) : userKey, sikInput(exchange));
    const tag3 = this.takeMessageTag();
    const rakp3 = encodeRakp3(tag3, RakpStatus.NoErrors, opened.bmcSessionId, rakp3AuthCode(exchange, userKey));
    const rakp4 = await this.transport.setupStep('RAKP 3', PayloadType.Rakp3, rakp3, PayloadType.Rakp4, (answer) =>
      SessionLogin.tagged(decodeRakp4(answer), tag3),
    );
    this.throwForRakpStatus(rakp4.status);
    if (!sameBytes(rakp4CheckValue(exchange, keys.sik), rakp4.integrityCheckValue)) {
      throw this.target.kg ? new WrongBmcKeyError(this.bmc) : new IpmiProtocolError(this.bmc, 'RAKP 4 integrity check failed');
    }
    return new SecureChannel(keys, opened.bmcSessionId, consoleSessionId);
  }

  private throwForRakpStatus(status: number): void {
    switch (status) {
      case RakpStatus.NoErrors:
        return;
      case RakpStatus.UnauthorizedName:
      case RakpStatus.InvalidNameLength:
        throw new UnknownUserError(this.bmc, this.target.user);
      case RakpStatus.InvalidRole:
      case RakpStatus.UnauthorizedRole:
        throw PrivilegeTooLowError.forLogin(this.bmc, this.target.user, this.target.privilege);
      case RakpStatus.InsufficientResources:
      case RakpStatus.InsufficientResourcesForRole:
        throw new BmcBusyError(this.bmc, 'no free session slot');
      case RakpStatus.InvalidIntegrityCheckValue:
        throw this.target.kg ? new WrongBmcKeyError(this.bmc) : new WrongPasswordError(this.bmc, this.target.user);
      default:
        throw new IpmiProtocolError(this.bmc, `RAKP status 0x${status.toString(16)}`);
    }
  }

  private async raisePrivilege(secure: SecureChannel): Promise<void> {
    const what = 'Set Session Privilege Level';
    const response = await this.transport.inSession(secure, setSessionPrivilegeRequest(this.privilege), what);
    // Some BMCs (ipmi_sim among them) grant less than asked instead of refusing: the answer names the new level.
    const granted = (response.data[0] ?? 0) & 0x0f;
    const refused = response.completionCode === 0x80 || response.completionCode === 0x81 || response.completionCode === COMPLETION_INSUFFICIENT_PRIVILEGE;
    if (refused || (response.completionCode === 0 && granted < this.privilege)) {
      throw PrivilegeTooLowError.forLogin(this.bmc, this.target.user, this.target.privilege);
    }
    if (response.completionCode !== 0) throw commandFailure(this.bmc, this.target, what, response.completionCode);
  }

  private takeMessageTag(): number {
    this.nextMessageTag = (this.nextMessageTag + 1) & 0xff;
    return this.nextMessageTag;
  }
}

/** A BMC key given as 0x-prefixed hex is taken as bytes; anything else as text, like ipmitool's -y and -k. */
function bmcKeyBytes(kg: string): Buffer {
  if (/^0x([0-9a-f]{2}){1,20}$/i.test(kg)) {
    const bytes = Buffer.alloc(20);
    Buffer.from(kg.slice(2), 'hex').copy(bytes);
    return bytes;
  }
  return keyBytes(kg);
}
