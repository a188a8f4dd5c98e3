import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ipmiTargetSchema, type IpmiTargetInput } from '../../shared/ipmi';
import { IpmiClient } from '../../electron/ipmi/client';
import {
  BmcUnreachableError,
  CipherSuiteUnsupportedError,
  PrivilegeTooLowError,
  UnknownUserError,
  WrongPasswordError,
} from '../../electron/ipmi/errors';
import type { SessionEvent, SessionOptions } from '../../electron/ipmi/session';
import { missingTools, randomPortBase, startIpmiSim, type SimInstance } from './ipmi-sim';
import { startUdpProxy } from './udp-proxy';
import { failureOf } from '../../electron/ipmi/testing/failure';

const execFileAsync = promisify(execFile);
const skipReason = missingTools();
if (skipReason) console.log(`Skipping IPMI lab tests: ${skipReason}`);

const PORT_BASE = randomPortBase();
/** QEMU -uuid 89abcdef-0123-4567-89ab-cdef01234567 as SMBIOS stores it: first three fields little-endian. */
const GUID = 'efcdab8923016745' + '89abcdef01234567';
let sim: SimInstance;
const clients: IpmiClient[] = [];

function client(overrides: Partial<IpmiTargetInput> = {}, options: SessionOptions = {}, port = sim.port): IpmiClient {
  const target = ipmiTargetSchema.parse({ address: '127.0.0.1', port, user: 'root', password: 'password', cipherSuite: 3, ...overrides });
  const created = new IpmiClient(target, { initialTimeoutMs: 200, retries: 2, ...options });
  clients.push(created);
  return created;
}

async function ipmitool(...args: string[]): Promise<string> {
  const { stdout } = await execFileAsync('ipmitool', ['-I', 'lanplus', '-C', '3', '-H', '127.0.0.1', '-p', String(sim.port), '-U', 'root', '-P', 'password', ...args]);
  return stdout;
}

describe.skipIf(skipReason !== null)('IPMI client against ipmi_sim', () => {
  beforeAll(async () => {
    sim = await startIpmiSim({
      port: PORT_BASE,
      guid: GUID,
      users: [
        { name: 'root', password: 'password', privilege: 'admin' },
        { name: 'op', password: 'oppass', privilege: 'operator' },
        { name: 'viewer', password: 'viewpass', privilege: 'user' },
      ],
    });
  });

  afterAll(async () => {
    await Promise.all(clients.map((each) => each.close()));
    await sim?.stop();
  });

  it('reads the device id that ipmitool mc info reports', async () => {
    const device = await client().getDeviceId();
    const info = await ipmitool('mc', 'info');
    expect(info).toContain(`Manufacturer ID           : ${device.manufacturerId}`);
    expect(info).toContain(`Product ID                : ${device.productId} `);
    expect(info).toContain(`Firmware Revision         : ${device.firmwareVersion}`);
    expect(info).toContain(`IPMI Version              : ${device.ipmiVersion}`);
  });

  it('reads the system GUID bytes configured in the BMC, decoded like the SMBIOS UUID', async () => {
    const guid = await client().getSystemGuid();
    expect(guid.bytesHex).toBe(GUID);
    expect(guid.uuid).toBe('89abcdef-0123-4567-89ab-cdef01234567');
    // ipmitool recognises the SMBIOS byte order (and warns that the IPMI spec wants another one).
    expect(await ipmitool('mc', 'guid')).toContain(`System GUID   : ${guid.uuid}`);
  });

  it('powers on, off, cycles, resets and soft-stops the chassis, seen by ipmitool', async () => {
    const bmc = client();
    await bmc.chassisControl('on');
    expect(await sim.power()).toBe('1');
    expect(await ipmitool('power', 'status')).toContain('Chassis Power is on');
    expect((await bmc.getChassisStatus()).powerOn).toBe(true);
    await bmc.chassisControl('cycle');
    await bmc.chassisControl('reset');
    await bmc.chassisControl('soft');
    await bmc.chassisControl('off');
    expect(await sim.power()).toBe('0');
    expect(await ipmitool('power', 'status')).toContain('Chassis Power is off');
    expect((await bmc.getChassisStatus()).powerOn).toBe(false);
  });

  it('sets the boot device to PXE and ipmitool bootparam get 5 reads it back', async () => {
    await client().setBootDevice({ device: 'pxe', efi: true });
    expect(await sim.bootDevice()).toBe('pxe');
    expect(await ipmitool('chassis', 'bootparam', 'get', '5')).toContain('Boot Device Selector : Force PXE');
  });

  it('reads the boot device that ipmitool chassis bootdev set', async () => {
    await ipmitool('chassis', 'bootdev', 'cdrom');
    expect((await client().getBootDevice()).device).toBe('cdrom');
    await ipmitool('chassis', 'bootdev', 'disk');
    expect((await client().getBootDevice()).device).toBe('disk');
  });

  it('sets disk and BIOS setup as boot devices', async () => {
    const bmc = client();
    await bmc.setBootDevice({ device: 'bios-setup' });
    expect(await sim.bootDevice()).toBe('bios');
    await bmc.setBootDevice({ device: 'disk', persistent: true });
    expect(await sim.bootDevice()).toBe('default');
  });

  it('reads the LAN configuration that ipmitool lan print shows', async () => {
    const lan = await client().getLanConfig();
    const printed = await ipmitool('lan', 'print', String(lan.channel));
    expect(printed).toMatch(new RegExp(`IP Address\\s+: ${lan.ipAddress.replace(/\./g, '\\.')}`));
    expect(printed).toMatch(new RegExp(`MAC Address\\s+: ${lan.macAddress}`));
    expect(printed).toMatch(new RegExp(`Subnet Mask\\s+: ${lan.subnetMask.replace(/\./g, '\\.')}`));
  });

  it('logs in once and reuses the session for later commands', async () => {
    const events: SessionEvent[] = [];
    const bmc = client({}, { onEvent: (event) => events.push(event) });
    await bmc.getChassisStatus();
    await bmc.getDeviceId();
    await Promise.all([bmc.getChassisStatus(), bmc.getSystemGuid(), bmc.getDeviceId()]);
    expect(events.filter((event) => event.type === 'logged-in')).toHaveLength(1);
  });

  it('chooses cipher suite 3 automatically when the BMC refuses 17', async () => {
    const events: SessionEvent[] = [];
    await client({ cipherSuite: 'auto' }, { onEvent: (event) => events.push(event) }).getDeviceId();
    expect(events).toContainEqual({ type: 'logged-in', cipherSuite: 3 });
  });

  it('fails a wrong password in under 3 s with the wrong-password error and without the password', async () => {
    const started = Date.now();
    const error = await failureOf(client({ password: 'Secr3t-wrong' }).getDeviceId());
    expect(Date.now() - started).toBeLessThan(3000);
    expect(error).toBeInstanceOf(WrongPasswordError);
    expect(error.message).toBe(
      'BMC 127.0.0.1:' + sim.port + ' rejected user root: wrong password — check BMC LAN Configuration in BIOS or reset the password in the BMC user settings',
    );
    expect(JSON.stringify(error) + error.message + String(error.stack)).not.toContain('Secr3t-wrong');
  });

  it('names an unknown user', async () => {
    const error = await failureOf(client({ user: 'nobody' }).getDeviceId());
    expect(error).toBeInstanceOf(UnknownUserError);
    expect(error.message).toContain('does not know user nobody');
  });

  it('lets a user-privilege account read status but not control power', async () => {
    const viewer = client({ user: 'viewer', password: 'viewpass', privilege: 'user' });
    expect((await viewer.getDeviceId()).manufacturerId).toBe(4753);
    expect(await failureOf(viewer.chassisControl('on'))).toBeInstanceOf(PrivilegeTooLowError);
  });

  it('says when the BMC does not support the pinned cipher suite', async () => {
    const error = await failureOf(client({ cipherSuite: 17 }).getDeviceId());
    expect(error).toBeInstanceOf(CipherSuiteUnsupportedError);
    expect(error.message).toContain('accepts none of cipher suites 17');
  });

  it('reports an unreachable BMC after its retries', async () => {
    const started = Date.now();
    const error = await failureOf(client({}, { initialTimeoutMs: 100, retries: 2 }, PORT_BASE + 99).getDeviceId());
    expect(error).toBeInstanceOf(BmcUnreachableError);
    expect(error.message).toContain(`did not answer on UDP port ${PORT_BASE + 99} after 3 tries`);
    expect(Date.now() - started).toBeLessThan(2000);
  });

  it('logs in again transparently after the BMC forgot the session', async () => {
    const events: SessionEvent[] = [];
    const bmc = client({}, { onEvent: (event) => events.push(event) });
    await bmc.getDeviceId();
    await sim.restart();
    expect((await bmc.getDeviceId()).manufacturerId).toBe(4753);
    expect(events.filter((event) => event.type === 'logged-in')).toHaveLength(2);
    expect(events.some((event) => event.type === 'relogin')).toBe(true);
  });

  it('retransmits lost requests with backoff', async () => {
    const proxy = await startUdpProxy(sim.port);
    try {
      const events: SessionEvent[] = [];
      const bmc = client({}, { onEvent: (event) => events.push(event) }, proxy.port);
      await bmc.connect();
      let dropped = 0;
      proxy.dropToBmc = () => dropped++ < 2;
      expect((await bmc.getDeviceId()).manufacturerId).toBe(4753);
      expect(events.filter((event) => event.type === 'retry')).toHaveLength(2);
    } finally {
      await proxy.close();
    }
  });

  it('keeps no more requests in flight than the per-BMC limit', async () => {
    const proxy = await startUdpProxy(sim.port);
    try {
      const bmc = client({}, { maxInFlight: 2 }, proxy.port);
      await bmc.connect();
      proxy.stats.maxOutstanding = 0;
      await Promise.all(Array.from({ length: 20 }, () => bmc.getDeviceId()));
      expect(proxy.stats.maxOutstanding).toBe(2);
    } finally {
      await proxy.close();
    }
  });

  it('keeps an idle session alive', async () => {
    const events: SessionEvent[] = [];
    const bmc = client({}, { keepAliveMs: 150, onEvent: (event) => events.push(event) });
    await bmc.connect();
    await new Promise((resolve) => setTimeout(resolve, 700));
    expect(events.filter((event) => event.type === 'keep-alive').length).toBeGreaterThanOrEqual(3);
    expect(events.some((event) => event.type === 'session-lost')).toBe(false);
  });
});
