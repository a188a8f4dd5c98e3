import { describe, expect, it } from 'vitest';
import { ipmiTargetSchema, type IpmiTargetInput } from '../../shared/ipmi';
import { IpmiClient } from './client';
import { encodeV20Packet, PayloadType } from './codec/session-wrapper';
import {
  BmcBusyError,
  BmcUnreachableError,
  CipherSuiteUnsupportedError,
  PrivilegeTooLowError,
  UnknownUserError,
  WrongBmcKeyError,
  WrongPasswordError,
} from './errors';
import type { SessionEvent } from './session';
import { FakeBmc, type FakeBmcOptions } from './testing/fake-bmc';
import { failureOf } from './testing/failure';

const DEVICE_ID = Buffer.from('20038109020f5b0a001d06', 'hex');
const users = { ADMIN: { password: 'Adm1n-pass', maxPrivilege: 4 }, reader: { password: 'read-only', maxPrivilege: 2 } };

function setup(bmcOptions: FakeBmcOptions = {}, target: Partial<IpmiTargetInput> = {}) {
  const bmc = new FakeBmc({
    users,
    handle: (request) => (request.netFn === 0x06 && request.command === 0x01 ? { completionCode: 0, data: DEVICE_ID } : { completionCode: 0 }),
    ...bmcOptions,
  });
  const events: SessionEvent[] = [];
  const client = new IpmiClient(
    ipmiTargetSchema.parse({ address: '192.0.2.10', user: 'ADMIN', password: 'Adm1n-pass', ...target }),
    { initialTimeoutMs: 30, retries: 2, openChannel: async () => bmc.channel(), onEvent: (event) => events.push(event) },
  );
  return { bmc, client, events };
}

describe('RMCP+ session login', () => {
  it('logs in with cipher suite 17 (HMAC-SHA256, AES-CBC-128) when the BMC has it', async () => {
    const { client, events } = setup({ suites: [17, 3] });
    expect((await client.getDeviceId()).manufacturerId).toBe(2651);
    expect(events).toContainEqual({ type: 'logged-in', cipherSuite: 17 });
  });

  it('falls back to cipher suite 3 when the BMC refuses 17', async () => {
    const { client, events } = setup({ suites: [3] });
    await client.connect();
    expect(events).toContainEqual({ type: 'logged-in', cipherSuite: 3 });
  });

  it('logs in without first asking the BMC for its cipher suite list', async () => {
    const { bmc, client, events } = setup({ suites: [17, 3], listsCipherSuites: true });
    await client.connect();
    expect(events).toContainEqual({ type: 'logged-in', cipherSuite: 17 });
    expect(bmc.cipherSuiteQueries).toBe(0);
  });

  it('asks for the list when a BMC ignores an Open Session for a suite it lacks, then skips that suite', async () => {
    const { bmc, client, events } = setup({ suites: [3], listsCipherSuites: true, ignoresUnofferedSuites: true });
    await client.connect();
    expect(events).toContainEqual({ type: 'logged-in', cipherSuite: 3 });
    expect(bmc.cipherSuiteQueries).toBeGreaterThan(0);
    const openSessions = bmc.received.filter((datagram) => datagram[5] === PayloadType.OpenSessionRequest);
    expect(openSessions).toHaveLength(2);
  });

  it('keeps suite 17 when its first Open Session is lost and the BMC does not list its suites', async () => {
    const { client, events } = setup({ suites: [17, 3], listsCipherSuites: false, dropsOpenSessions: 1 });
    await client.connect();
    expect(events).toContainEqual({ type: 'logged-in', cipherSuite: 17 });
  });

  it('names the suites a BMC offers when it has neither 17 nor 3', async () => {
    const { client } = setup({ suites: [], listsCipherSuites: false });
    const error = await failureOf(client.connect());
    expect(error).toBeInstanceOf(CipherSuiteUnsupportedError);
    expect(error.message).toContain('accepts none of cipher suites 17, 3');
  });

  it('uses only the pinned suite', async () => {
    const { client } = setup({ suites: [17] }, { cipherSuite: 3 });
    expect(await failureOf(client.connect())).toBeInstanceOf(CipherSuiteUnsupportedError);
  });

  it('reports a wrong password with suite 17 without echoing it', async () => {
    const { client } = setup({}, { password: 'Hunter2-typo' });
    const error = await failureOf(client.connect());
    expect(error).toBeInstanceOf(WrongPasswordError);
    expect(`${error.message}${error.stack}${JSON.stringify(error)}`).not.toContain('Hunter2-typo');
  });

  it('reports an unknown user', async () => {
    const { client } = setup({}, { user: 'ghost' });
    expect(await failureOf(client.connect())).toBeInstanceOf(UnknownUserError);
  });

  it('reports a privilege the user does not have, with name-only lookup (BMC grants less)', async () => {
    const { client } = setup({}, { user: 'reader', password: 'read-only', privilege: 'operator' });
    expect(await failureOf(client.connect())).toBeInstanceOf(PrivilegeTooLowError);
  });

  it('reports a privilege the user does not have, with name-and-privilege lookup (RAKP refuses)', async () => {
    const bmc = new FakeBmc({ users });
    const client = new IpmiClient(ipmiTargetSchema.parse({ address: '192.0.2.10', user: 'reader', password: 'read-only', privilege: 'administrator' }), {
      openChannel: async () => bmc.channel(),
      initialTimeoutMs: 30,
      lookup: 'name-and-privilege',
    });
    expect(await failureOf(client.connect())).toBeInstanceOf(PrivilegeTooLowError);
  });

  it('reports a busy BMC when it has no session slot', async () => {
    const { client } = setup({ openSessionStatus: 0x01 });
    const error = await failureOf(client.connect());
    expect(error).toBeInstanceOf(BmcBusyError);
    expect(error.message).toContain('is busy');
  });

  it('logs in with the BMC key (Kg) and names a wrong one', async () => {
    const kg = Buffer.from('0102030405060708090a0b0c0d0e0f1011121314', 'hex');
    await setup({ kg }, { kg: '0x0102030405060708090a0b0c0d0e0f1011121314' }).client.connect();
    expect(await failureOf(setup({ kg }, { kg: '0x0102030405060708090a0b0c0d0e0f1011121399' }).client.connect())).toBeInstanceOf(WrongBmcKeyError);
  });

  it('reports an unreachable BMC after retries with growing waits', async () => {
    const { bmc, client } = setup();
    bmc.silent = true;
    const started = Date.now();
    expect(await failureOf(client.connect())).toBeInstanceOf(BmcUnreachableError);
    expect(bmc.received).toHaveLength(3);
    expect(Date.now() - started).toBeGreaterThanOrEqual(30 + 60 + 120 - 5);
  });
});

describe('RMCP+ session traffic', () => {
  it('ignores a forged reply and takes the genuine one', async () => {
    const { bmc, client } = setup();
    const { consoleSessionId } = await client.session.login();
    const pending = client.getDeviceId();
    // Addressed to our session and marked authenticated, but with a made-up auth code; it arrives first.
    const forged = encodeV20Packet({ payloadType: PayloadType.Ipmi, sessionId: consoleSessionId, sequence: 99, payload: Buffer.alloc(20, 0x41) }, null);
    forged[5] = 0xc0;
    bmc.inject(Buffer.concat([forged, Buffer.from([0xff, 0xff, 0x02, 0x07]), Buffer.alloc(16, 0x42)]));
    expect((await pending).manufacturerId).toBe(2651);
  });

  it('logs in again when the BMC has forgotten the session', async () => {
    const { bmc, client, events } = setup();
    await client.getDeviceId();
    bmc.forgetSessions();
    expect((await client.getDeviceId()).productId).toBe(0x061d);
    expect(events.filter((event) => event.type === 'logged-in')).toHaveLength(2);
    expect(events.some((event) => event.type === 'relogin')).toBe(true);
  });

  it('closes the session on the BMC', async () => {
    const { bmc, client } = setup();
    await client.connect();
    expect(bmc.sessionCount).toBe(1);
    await client.close();
    expect(bmc.sessionCount).toBe(0);
  });
});
