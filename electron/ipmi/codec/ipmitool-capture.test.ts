import { describe, expect, it } from 'vitest';
import capture from './fixtures/ipmitool-lanplus-c3.json';
import {
  decodeChannelAuthCapabilities,
  decodeDeviceId,
  decodeSystemGuid,
  getChannelAuthCapabilitiesRequest,
} from './app-commands';
import { bootFlagsValue, decodeBootFlags, decodeBootOption, decodeChassisStatus } from './chassis-commands';
import { CIPHER_SUITES, deriveSessionKeys, keyBytes, type SessionKeys } from './cipher';
import { decodeLanParameter } from './lan-commands';
import { checksum, decodeResponseMessage, encodeRequestMessage, NetFn, type IpmiResponse } from './message';
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
  RakpStatus,
  type RakpExchange,
} from './rakp';
import { decodePresencePong, encodePresencePing } from './rmcp';
import { decodeV15Packet, decodeV20Packet, encodeV20Packet, PayloadType } from './session-wrapper';

/** Real bytes: ipmitool 1.8.19 talking to ipmi_sim, captured with tcpdump (see the fixture's description). */
type Run = ReadonlyArray<{ from: string; hex: string }>;
const runs: Readonly<Record<string, Run>> = capture.runs;
const suite = CIPHER_SUITES[3];

function bytesOf(run: Run, index: number): Buffer {
  const packet = run[index];
  if (!packet) throw new Error(`capture has no packet ${index}`);
  return Buffer.from(packet.hex, 'hex');
}

function unprotected(run: Run, index: number): Buffer {
  const packet = decodeV20Packet(bytesOf(run, index), null);
  if (!packet.ok) throw new Error(packet.reason);
  return packet.value.payload;
}

/** The handshake as ipmitool saw it, every field taken from the captured packets. */
function handshake(run: Run, password: string): { exchange: RakpExchange; keys: SessionKeys; rakp2Code: Buffer } {
  const openRequest = unprotected(run, 2);
  const opened = decodeOpenSessionResponse(unprotected(run, 3));
  const rakp1 = unprotected(run, 4);
  const rakp2 = decodeRakp2(unprotected(run, 5));
  if (!opened.ok || !rakp2.ok) throw new Error('handshake did not decode');
  const exchange: RakpExchange = {
    suite,
    consoleSessionId: openRequest.readUInt32LE(4),
    bmcSessionId: opened.value.bmcSessionId,
    consoleRandom: rakp1.subarray(8, 24),
    bmcRandom: rakp2.value.bmcRandom,
    bmcGuid: rakp2.value.bmcGuid,
    role: rakp1[24] ?? 0,
    userName: rakp1.subarray(28, 28 + (rakp1[27] ?? 0)),
  };
  return { exchange, keys: deriveSessionKeys(suite, keyBytes(password), sikInput(exchange)), rakp2Code: rakp2.value.authCode };
}

/** Requests are ipmitool's, so the test reads them by the spec's layout rather than with our encoder. */
function requestOf(message: Buffer): { netFn: number; command: number; sequence: number; data: Buffer } {
  expect(checksum(message.subarray(0, 2))).toBe(message[2]);
  expect(checksum(message.subarray(3, message.length - 1))).toBe(message[message.length - 1]);
  return { netFn: (message[1] ?? 0) >> 2, sequence: (message[4] ?? 0) >> 2, command: message[5] ?? 0, data: message.subarray(6, -1) };
}

function sessionMessages(run: Run, keys: SessionKeys): { requests: ReturnType<typeof requestOf>[]; responses: IpmiResponse[] } {
  const requests: ReturnType<typeof requestOf>[] = [];
  const responses: IpmiResponse[] = [];
  run.slice(8).forEach((packet, offset) => {
    const opened = decodeV20Packet(bytesOf(run, offset + 8), keys);
    if (!opened.ok) throw new Error(`packet ${offset + 8}: ${opened.reason}`);
    if (packet.from === 'console') requests.push(requestOf(opened.value.payload));
    else {
      const response = decodeResponseMessage(opened.value.payload);
      if (!response.ok) throw new Error(response.reason);
      responses.push(response.value);
    }
  });
  return { requests, responses };
}

function responseTo(run: Run, keys: SessionKeys, netFn: number, command: number): IpmiResponse {
  const found = sessionMessages(run, keys).responses.find((response) => response.netFn === netFn && response.command === command);
  if (!found) throw new Error(`no response to netFn ${netFn} command ${command}`);
  return found;
}

describe('codec against ipmitool ↔ ipmi_sim captures (cipher suite 3)', () => {
  const run = runs['chassisStatus'] ?? [];

  it('encodes Get Channel Authentication Capabilities byte for byte as ipmitool does', () => {
    const sent = decodeV15Packet(bytesOf(run, 0));
    expect(sent.ok && encodeRequestMessage(getChannelAuthCapabilitiesRequest(4), 0)).toEqual(sent.ok && sent.value);
  });

  it('reads the BMC channel authentication capabilities: channel 1, IPMI 2.0, no Kg', () => {
    const message = decodeV15Packet(bytesOf(run, 1));
    const response = message.ok ? decodeResponseMessage(message.value) : message;
    const caps = response.ok ? decodeChannelAuthCapabilities(response.value.data) : response;
    expect(caps.ok && caps.value).toMatchObject({ channel: 1, ipmi20: true, kgRequired: false, authTypes: ['none', 'md2', 'md5', 'password'] });
  });

  it('encodes Open Session and RAKP 1 byte for byte as ipmitool does', () => {
    const { exchange } = handshake(run, 'password');
    const openRequest = unprotected(run, 2);
    expect(encodeOpenSessionRequest({ messageTag: openRequest[0] ?? 0, requestedPrivilege: 0, consoleSessionId: exchange.consoleSessionId, suite })).toEqual(openRequest);
    const rakp1 = unprotected(run, 4);
    expect(
      encodeRakp1({ messageTag: rakp1[0] ?? 0, bmcSessionId: exchange.bmcSessionId, consoleRandom: exchange.consoleRandom, role: exchange.role, userName: exchange.userName }),
    ).toEqual(rakp1);
    expect(exchange.userName.toString()).toBe('root');
  });

  it("verifies the BMC's RAKP 2 auth code with the right password only", () => {
    const { exchange, rakp2Code } = handshake(run, 'password');
    expect(verifyRakp2(exchange, keyBytes('password'), rakp2Code)).toBe(true);
    expect(verifyRakp2(exchange, keyBytes('passwore'), rakp2Code)).toBe(false);
  });

  it('computes the RAKP 3 message ipmitool sent', () => {
    const { exchange } = handshake(run, 'password');
    const rakp3 = unprotected(run, 6);
    expect(encodeRakp3(rakp3[0] ?? 0, RakpStatus.NoErrors, exchange.bmcSessionId, rakp3AuthCode(exchange, keyBytes('password')))).toEqual(rakp3);
  });

  it("derives the session integrity key the BMC proves in RAKP 4", () => {
    const { exchange, keys } = handshake(run, 'password');
    const rakp4 = decodeRakp4(unprotected(run, 7));
    expect(rakp4.ok && rakp4.value.integrityCheckValue).toEqual(rakp4CheckValue(exchange, keys.sik));
  });

  it('authenticates and decrypts every session packet in both directions', () => {
    const { keys } = handshake(run, 'password');
    const { requests, responses } = sessionMessages(run, keys);
    expect(requests.map((request) => [request.netFn, request.command])).toContainEqual([NetFn.Chassis, 0x01]);
    expect(responses.map((response) => response.requestSequence)).toEqual(requests.map((request) => request.sequence));
  });

  it('re-encodes a captured session packet byte for byte from its IV and sequence number', () => {
    const { keys, exchange } = handshake(run, 'password');
    const captured = bytesOf(run, 8);
    const opened = decodeV20Packet(captured, keys);
    if (!opened.ok) throw new Error(opened.reason);
    const iv = captured.subarray(16, 32);
    const again = encodeV20Packet(
      { payloadType: PayloadType.Ipmi, sessionId: exchange.bmcSessionId, sequence: opened.value.sequence, payload: opened.value.payload },
      { keys, iv },
    );
    expect(again).toEqual(captured);
  });

  it('reads chassis status: power off, restore policy always-off', () => {
    const { keys } = handshake(run, 'password');
    const status = decodeChassisStatus(responseTo(run, keys, NetFn.Chassis, 0x01).data);
    expect(status.ok && status.value).toMatchObject({ powerOn: false, restorePolicy: 'always-off' });
  });

  it('refuses session packets under keys derived from another password', () => {
    const { keys } = handshake(run, 'not-the-password');
    expect(decodeV20Packet(bytesOf(run, 9), keys)).toEqual({ ok: false, reason: 'integrity check failed' });
  });
});

describe('command codecs against captured answers', () => {
  it('reads Get Device ID as ipmitool mc info showed it', () => {
    const run = runs['mcInfo'] ?? [];
    const { keys } = handshake(run, 'password');
    const device = decodeDeviceId(responseTo(run, keys, NetFn.App, 0x01).data);
    expect(device.ok && device.value).toMatchObject({ manufacturerId: 4753, productId: 0x0f02, firmwareVersion: '9.08', ipmiVersion: '2.0', deviceRevision: 3 });
  });

  it('reads the System GUID bytes in wire order', () => {
    const run = runs['mcGuid'] ?? [];
    const { keys } = handshake(run, 'password');
    const guid = decodeSystemGuid(responseTo(run, keys, NetFn.App, 0x37).data);
    expect(guid.ok && guid.value.bytesHex).toBe('a123456789abcdefa123456789abcdef');
  });

  it("writes the same PXE + EFI boot flags as ipmitool's chassis bootdev pxe options=efiboot", () => {
    const run = runs['bootdevPxeEfi'] ?? [];
    const { keys } = handshake(run, 'password');
    const flagsWrite = sessionMessages(run, keys).requests.find((request) => request.command === 0x08 && request.data[0] === 5);
    expect(flagsWrite?.data.subarray(1)).toEqual(bootFlagsValue({ device: 'pxe', persistent: false, efi: true }));
  });

  it('reads boot parameter 5 (PXE) from Get System Boot Options', () => {
    const run = runs['bootparamGet5'] ?? [];
    const { keys } = handshake(run, 'password');
    const option = decodeBootOption(responseTo(run, keys, NetFn.Chassis, 0x09).data);
    const flags = option.ok ? decodeBootFlags(option.value.value) : option;
    expect(option.ok && option.value.parameter).toBe(5);
    expect(flags.ok && flags.value.device).toBe('pxe');
  });

  it('reads LAN parameters (IP address, MAC) from Get LAN Configuration Parameters', () => {
    const run = runs['lanPrint'] ?? [];
    const { keys } = handshake(run, 'password');
    const { requests, responses } = sessionMessages(run, keys);
    const macRequest = requests.find((request) => request.netFn === NetFn.Transport && request.command === 0x02 && request.data[1] === 5);
    const mac = responses.find((response) => response.command === 0x02 && response.requestSequence === macRequest?.sequence);
    const value = mac ? decodeLanParameter(mac.data, 6) : null;
    expect(value?.ok && value.value).toEqual(Buffer.alloc(6));
  });
});

describe('login failures as ipmi_sim reports them', () => {
  it('wrong password: RAKP 2 succeeds but its auth code fails under the password ipmitool used', () => {
    const run = runs['wrongPassword'] ?? [];
    const { exchange, rakp2Code } = handshake(run, 'wrong');
    expect(verifyRakp2(exchange, keyBytes('wrong'), rakp2Code)).toBe(false);
    expect(verifyRakp2(exchange, keyBytes('password'), rakp2Code)).toBe(true);
  });

  it('unknown user: RAKP 2 carries status 0x0d (unauthorized name)', () => {
    const rakp2 = decodeRakp2(unprotected(runs['unknownUser'] ?? [], 5));
    expect(rakp2.ok && rakp2.value.status).toBe(RakpStatus.UnauthorizedName);
  });
});

describe('RMCP presence ping', () => {
  const run = runs['presencePing'] ?? [];

  it("encodes the ping as OpenIPMI's rmcp_ping does", () => {
    expect(encodePresencePing(0)).toEqual(bytesOf(run, 0));
  });

  it("reads ipmi_sim's pong: IPMI supported", () => {
    expect(decodePresencePong(bytesOf(run, 1))).toEqual({ ok: true, value: { messageTag: 0, ipmiSupported: true, asfVersion: 1 } });
  });
});
